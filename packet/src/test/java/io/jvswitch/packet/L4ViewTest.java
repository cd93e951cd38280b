package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

class L4ViewTest {
    private static final int ETHERNET = 14;

    private final L4View view = new L4View();

    @Test
    void readsTcpPortsAndFlags() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, 0);
        assertTrue(view.wrap(buffer, ETHERNET, buffer.capacity() - ETHERNET));
        assertEquals(Ipv4Packet.PROTOCOL_TCP, view.protocol());
        assertEquals(SampleFrames.TCP_SYN_L4_OFFSET, view.l4Offset());
        assertEquals(40, view.l4Length());
        assertTrue(view.headerComplete());
        assertEquals(Ipv4Address.parse("10.0.0.2"), view.source());
        assertEquals(Ipv4Address.parse("10.0.0.1"), view.destination());
        assertEquals(40000, view.sourcePort());
        assertEquals(80, view.destinationPort());
        assertEquals(TcpPacket.SYN, view.tcpFlags());
        assertFalse(view.isFragment());
    }

    @Test
    void icmpEchoIdentifierStandsForBothPorts() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, 0);
        assertTrue(view.wrap(buffer, ETHERNET, buffer.capacity() - ETHERNET));
        assertEquals(Ipv4Packet.PROTOCOL_ICMP, view.protocol());
        assertEquals(IcmpPacket.TYPE_ECHO_REQUEST, view.icmpType());
        assertEquals(0x1234, view.sourcePort());
        assertEquals(0x1234, view.destinationPort());
        assertEquals(0, view.tcpFlags());
        assertFalse(view.partialChecksum(0), "ICMP is never offloaded");
    }

    @Test
    void totalLengthBoundsTheL4BytesNotTheFramePadding() {
        final byte[] frame = SampleFrames.bytes(SampleFrames.TCP_SYN);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[frame.length + 6]);
        buffer.putBytes(0, frame);
        assertTrue(view.wrap(buffer, ETHERNET, buffer.capacity() - ETHERNET));
        assertEquals(40, view.l4Length());
    }

    @Test
    void refusesAHeaderThatDoesNotFit() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, 0);
        assertFalse(view.wrap(buffer, ETHERNET, Ipv4Packet.MIN_HEADER_LENGTH - 1));
        assertFalse(view.isWrapped());
        buffer.putByte(ETHERNET, (byte) 0x44); // IHL 16 bytes
        assertFalse(view.wrap(buffer, ETHERNET, buffer.capacity() - ETHERNET));
        buffer.putByte(ETHERNET, (byte) 0x45);
        buffer.putShort(ETHERNET + Ipv4Packet.TOTAL_LENGTH_OFFSET, (short) 19, ByteOrder.BIG_ENDIAN);
        assertFalse(view.wrap(buffer, ETHERNET, buffer.capacity() - ETHERNET));
    }

    @Test
    void aShortTcpHeaderIsIncomplete() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, 0);
        assertTrue(view.wrap(buffer, ETHERNET, Ipv4Packet.MIN_HEADER_LENGTH + 19));
        assertFalse(view.headerComplete());
        assertTrue(view.wrap(buffer, ETHERNET, Ipv4Packet.MIN_HEADER_LENGTH + 20));
        assertTrue(view.headerComplete());
    }

    @Test
    void tellsFirstFromLaterFragments() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, 0);
        final int field = ETHERNET + Ipv4Packet.FLAGS_FRAGMENT_OFFSET;
        buffer.putShort(field, (short) Ipv4Packet.FLAG_MORE_FRAGMENTS, ByteOrder.BIG_ENDIAN);
        assertTrue(view.wrap(buffer, ETHERNET, buffer.capacity() - ETHERNET));
        assertTrue(view.isFragment());
        assertFalse(view.isLaterFragment());
        buffer.putShort(field, (short) 3, ByteOrder.BIG_ENDIAN);
        assertTrue(view.isFragment());
        assertTrue(view.isLaterFragment());
        buffer.putShort(field, (short) Ipv4Packet.FLAG_DONT_FRAGMENT, ByteOrder.BIG_ENDIAN);
        assertFalse(view.isFragment());
    }

    @Test
    void partialWhenTheVirtioHeaderPointsAtThisL4Header() {
        final byte[] frame = SampleFrames.bytes(SampleFrames.TCP_SYN);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[VirtioNetHeader.LENGTH + frame.length]);
        buffer.putBytes(VirtioNetHeader.LENGTH, frame);
        final int ip = VirtioNetHeader.LENGTH + ETHERNET;
        assertTrue(view.wrap(buffer, ip, frame.length - ETHERNET));
        assertFalse(view.partialChecksum(0), "no NEEDS_CSUM");
        VirtioNetHeader.setFlags(buffer, 0, VirtioNetHeader.FLAG_NEEDS_CSUM);
        VirtioNetHeader.setChecksumStart(buffer, 0, SampleFrames.TCP_SYN_L4_OFFSET);
        assertTrue(view.partialChecksum(0));
        VirtioNetHeader.setChecksumStart(buffer, 0, SampleFrames.TCP_SYN_L4_OFFSET + 2);
        assertFalse(view.partialChecksum(0), "csum_start points elsewhere");
        assertFalse(view.partialChecksum(ip - VirtioNetHeader.LENGTH + 1), "no room for the virtio-net header");
    }

    @Test
    void quotedPacketNeedsVersionFourAndEightL4Bytes() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, 0);
        // An ICMP error quotes the header and 8 bytes: the total length still says 60.
        assertTrue(view.wrapQuoted(buffer, ETHERNET, Ipv4Packet.MIN_HEADER_LENGTH + L4View.QUOTED_L4_LENGTH));
        assertEquals(L4View.QUOTED_L4_LENGTH, view.l4Length());
        assertEquals(40000, view.sourcePort());
        assertEquals(80, view.destinationPort());
        assertFalse(view.headerComplete(), "a quote need not hold the whole TCP header");
        assertFalse(view.wrapQuoted(buffer, ETHERNET, Ipv4Packet.MIN_HEADER_LENGTH + L4View.QUOTED_L4_LENGTH - 1));
        buffer.putByte(ETHERNET, (byte) 0x65);
        assertFalse(view.wrapQuoted(buffer, ETHERNET, Ipv4Packet.MIN_HEADER_LENGTH + L4View.QUOTED_L4_LENGTH));
    }

    @Test
    void checksumFieldsByProtocol() {
        assertEquals(TcpPacket.CHECKSUM_OFFSET, L4View.pseudoHeaderChecksumOffset(Ipv4Packet.PROTOCOL_TCP));
        assertEquals(UdpPacket.CHECKSUM_OFFSET, L4View.pseudoHeaderChecksumOffset(Ipv4Packet.PROTOCOL_UDP));
        assertEquals(-1, L4View.pseudoHeaderChecksumOffset(Ipv4Packet.PROTOCOL_ICMP));
    }
}
