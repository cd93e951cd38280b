package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

/** The IPv6 view: its own wraps and addresses, and the reads it shares with {@link L4View} taken with ICMPv6 as its ICMP. */
class Ipv6L4ViewTest {
    private static final int ETHERNET = 14;
    private static final long HIGH = 0xFD00_0000_0000_0000L;
    private static final int IP = VirtioNetHeader.LENGTH + ETHERNET;
    private static final int L4 = IP + Ipv6Packet.HEADER_LENGTH;

    private final Ipv6L4View view = new Ipv6L4View();

    @Test
    void readsUdpAddressesAndPorts() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.IPV6_UDP, 0);
        assertTrue(view.wrap(buffer, ETHERNET, SampleFrames.bytes(SampleFrames.IPV6_UDP).length - ETHERNET));
        assertEquals(Ipv6Packet.NEXT_HEADER_UDP, view.protocol());
        assertEquals(SampleFrames.IPV6_UDP_L4_OFFSET, view.l4Offset());
        assertEquals(19, view.l4Length());
        assertTrue(view.headerComplete());
        assertEquals(HIGH, view.sourceHigh());
        assertEquals(2, view.sourceLow());
        assertEquals(HIGH, view.destinationHigh());
        assertEquals(1, view.destinationLow());
        assertEquals(5353, view.sourcePort());
        assertEquals(53, view.destinationPort());
        assertEquals(0, view.tcpFlags());
    }

    @Test
    void readsTcpPortsAndFlagsAndNeedsTheWholeTcpHeader() {
        final UnsafeBuffer buffer = packet(Ipv6Packet.NEXT_HEADER_TCP, TcpPacket.MIN_HEADER_LENGTH);
        buffer.putShort(L4 + TransportHeader.SOURCE_PORT_OFFSET, (short) 40000, ByteOrder.BIG_ENDIAN);
        buffer.putShort(L4 + TransportHeader.DESTINATION_PORT_OFFSET, (short) 443, ByteOrder.BIG_ENDIAN);
        buffer.putByte(L4 + TcpPacket.FLAGS_OFFSET, (byte) (TcpPacket.SYN | TcpPacket.ACK));
        assertTrue(view.wrap(buffer, IP, Ipv6Packet.HEADER_LENGTH + TcpPacket.MIN_HEADER_LENGTH));
        assertTrue(view.headerComplete());
        assertEquals(40000, view.sourcePort());
        assertEquals(443, view.destinationPort());
        assertEquals(TcpPacket.SYN | TcpPacket.ACK, view.tcpFlags());
        assertTrue(view.wrap(buffer, IP, Ipv6Packet.HEADER_LENGTH + TcpPacket.MIN_HEADER_LENGTH - 1));
        assertFalse(view.headerComplete(), "19 bytes of TCP header");
    }

    @Test
    void icmpv6EchoIdentifierStandsForBothPortsAndIsNeverPartial() {
        final UnsafeBuffer buffer = packet(Ipv6Packet.NEXT_HEADER_ICMPV6, IcmpHeader.HEADER_LENGTH);
        buffer.putByte(L4 + IcmpHeader.TYPE_OFFSET, (byte) Icmpv6Packet.TYPE_ECHO_REQUEST);
        buffer.putShort(L4 + IcmpHeader.IDENTIFIER_OFFSET, (short) 0x1234, ByteOrder.BIG_ENDIAN);
        buffer.putShort(L4 + IcmpHeader.SEQUENCE_OFFSET, (short) 7, ByteOrder.BIG_ENDIAN);
        VirtioNetHeader.setFlags(buffer, 0, VirtioNetHeader.FLAG_NEEDS_CSUM);
        VirtioNetHeader.setChecksumStart(buffer, 0, L4 - VirtioNetHeader.LENGTH);
        assertTrue(view.wrap(buffer, IP, Ipv6Packet.HEADER_LENGTH + IcmpHeader.HEADER_LENGTH));
        assertEquals(Icmpv6Packet.TYPE_ECHO_REQUEST, view.icmpType());
        assertEquals(0x1234, view.sourcePort());
        assertEquals(0x1234, view.destinationPort());
        assertEquals(0, view.tcpFlags());
        assertFalse(view.partialChecksum(0), "ICMPv6 is never offloaded");
        assertFalse(Ipv6L4View.isIcmpError(view.icmpType()));
        assertTrue(Ipv6L4View.isIcmpError(Icmpv6Packet.TYPE_ECHO_REQUEST - 1));
    }

    @Test
    void partialWhenTheVirtioHeaderPointsAtThisL4Header() {
        final UnsafeBuffer buffer = packet(Ipv6Packet.NEXT_HEADER_UDP, UdpPacket.HEADER_LENGTH);
        assertTrue(view.wrap(buffer, IP, Ipv6Packet.HEADER_LENGTH + UdpPacket.HEADER_LENGTH));
        assertFalse(view.partialChecksum(0), "no NEEDS_CSUM");
        VirtioNetHeader.setFlags(buffer, 0, VirtioNetHeader.FLAG_NEEDS_CSUM);
        VirtioNetHeader.setChecksumStart(buffer, 0, L4 - VirtioNetHeader.LENGTH);
        assertTrue(view.partialChecksum(0));
        VirtioNetHeader.setChecksumStart(buffer, 0, L4 - VirtioNetHeader.LENGTH + 2);
        assertFalse(view.partialChecksum(0), "csum_start points elsewhere");
    }

    @Test
    void payloadLengthBoundsTheL4BytesAndAnExtensionHeaderIsShownAsIs() {
        final UnsafeBuffer buffer = packet(Ipv6Packet.NEXT_HEADER_FRAGMENT, 8);
        assertTrue(view.wrap(buffer, IP, buffer.capacity() - IP), "padding after the payload");
        assertEquals(8, view.l4Length());
        assertEquals(Ipv6Packet.NEXT_HEADER_FRAGMENT, view.protocol());
        assertFalse(view.wrap(buffer, IP, Ipv6Packet.HEADER_LENGTH - 1));
        assertFalse(view.isWrapped());
    }

    @Test
    void quotedPacketNeedsVersionSixAndEightL4Bytes() {
        final UnsafeBuffer buffer = packet(Ipv6Packet.NEXT_HEADER_UDP, 100); // the payload length the original had
        buffer.putShort(L4 + TransportHeader.SOURCE_PORT_OFFSET, (short) 5353, ByteOrder.BIG_ENDIAN);
        final int quoted = Ipv6Packet.HEADER_LENGTH + IpL4View.QUOTED_L4_LENGTH;
        assertTrue(view.wrapQuoted(buffer, IP, quoted));
        assertEquals(IpL4View.QUOTED_L4_LENGTH, view.l4Length());
        assertEquals(5353, view.sourcePort());
        assertFalse(view.wrapQuoted(buffer, IP, quoted - 1));
        buffer.putByte(IP, (byte) 0x40);
        assertFalse(view.wrapQuoted(buffer, IP, quoted), "version 4");
    }

    @Test
    void checksumFieldsByNextHeader() {
        assertEquals(TcpPacket.CHECKSUM_OFFSET, Ipv6L4View.checksumOffset(Ipv6Packet.NEXT_HEADER_TCP));
        assertEquals(UdpPacket.CHECKSUM_OFFSET, Ipv6L4View.checksumOffset(Ipv6Packet.NEXT_HEADER_UDP));
        assertEquals(IcmpHeader.CHECKSUM_OFFSET, Ipv6L4View.checksumOffset(Ipv6Packet.NEXT_HEADER_ICMPV6));
        assertEquals(-1, Ipv6L4View.checksumOffset(Ipv6Packet.NEXT_HEADER_FRAGMENT));
        assertEquals(IcmpHeader.IDENTIFIER_OFFSET, Ipv6L4View.sourcePortOffset(Ipv6Packet.NEXT_HEADER_ICMPV6));
        assertEquals(TransportHeader.SOURCE_PORT_OFFSET, Ipv6L4View.sourcePortOffset(Ipv4Packet.PROTOCOL_ICMP));
        assertEquals(
                TransportHeader.DESTINATION_PORT_OFFSET, Ipv6L4View.destinationPortOffset(Ipv6Packet.NEXT_HEADER_TCP));
    }

    /** A virtio-net header, Ethernet, and an IPv6 fixed header with {@code payloadLength}, 16 bytes of padding after it. */
    private static UnsafeBuffer packet(final int nextHeader, final int payloadLength) {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[L4 + Math.max(payloadLength, 8) + 16]);
        buffer.putShort(VirtioNetHeader.LENGTH + 12, (short) 0x86DD, ByteOrder.BIG_ENDIAN);
        buffer.putInt(IP, Ipv6Packet.VERSION_WORD, ByteOrder.BIG_ENDIAN);
        buffer.putShort(IP + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) payloadLength, ByteOrder.BIG_ENDIAN);
        buffer.putByte(IP + Ipv6Packet.NEXT_HEADER_OFFSET, (byte) nextHeader);
        return buffer;
    }
}
