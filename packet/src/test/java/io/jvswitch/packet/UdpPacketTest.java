package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

class UdpPacketTest {
    /** DNS-ish datagram 10.0.0.2:40000 -> 10.0.0.1:53 with 5 payload bytes, checksum field zero. */
    private static final String IPV4_UDP =
            "4500002100010000401100000a0000020a000001" + "9c400035000d0000" + "0102030405";

    private final Ipv4Packet ip = new Ipv4Packet();
    private final UdpPacket udp = new UdpPacket();

    @Test
    void readsHeaderAndComputesIpv4ChecksumLikePlainLoop() {
        final byte[] bytes = SampleFrames.bytes(IPV4_UDP);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        assertTrue(ip.wrap(buffer, 0, bytes.length));
        assertTrue(udp.wrap(buffer, ip.payloadOffset(), ip.payloadLength()));
        assertEquals(40000, udp.sourcePort());
        assertEquals(53, udp.destinationPort());
        assertEquals(13, udp.length());
        assertEquals(5, udp.payloadLength());
        assertEquals(28, udp.payloadOffset());
        assertEquals(0, udp.checksum());
        assertTrue(udp.isChecksumValid(ip.pseudoHeaderSum()), "a zero checksum means none over IPv4");

        final int expected = ReferenceChecksum.checksumWithPseudoHeader(
                ReferenceChecksum.ipv4PseudoHeader(SampleFrames.IP_A, SampleFrames.IP_B, 17, 13), bytes, 20, 33, 26);
        assertEquals(expected, udp.computeChecksum(ip.pseudoHeaderSum()));
        udp.setChecksum(expected);
        assertTrue(udp.isChecksumValid(ip.pseudoHeaderSum()));
        udp.setChecksum(expected ^ 1);
        assertFalse(udp.isChecksumValid(ip.pseudoHeaderSum()));
    }

    @Test
    void readsAndChecksumsIpv6Capture() {
        final byte[] bytes = SampleFrames.bytes(SampleFrames.IPV6_UDP);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final Ipv6Packet ip6 = new Ipv6Packet();
        assertTrue(ip6.wrap(buffer, 14, bytes.length - 14));
        assertTrue(udp.wrap(buffer, ip6.payloadOffset(), ip6.payloadLength()));
        assertEquals(5353, udp.sourcePort());
        assertEquals(53, udp.destinationPort());
        assertEquals(19, udp.length());
        assertEquals(SampleFrames.IPV6_UDP_CHECKSUM, udp.checksum());

        final int pseudo = ip6.pseudoHeaderSum(Ipv6Packet.NEXT_HEADER_UDP, udp.length());
        assertTrue(udp.isChecksumValid(pseudo));
        assertEquals(SampleFrames.IPV6_UDP_CHECKSUM, udp.computeChecksum(pseudo));

        // Independently: pseudo-header bytes then the datagram, one word at a time.
        final byte[] pseudoBytes = new byte[40];
        System.arraycopy(bytes, 14 + 8, pseudoBytes, 0, 32);
        pseudoBytes[35] = 19;
        pseudoBytes[39] = 17;
        assertEquals(
                SampleFrames.IPV6_UDP_CHECKSUM,
                ReferenceChecksum.checksumWithPseudoHeader(pseudoBytes, bytes, 54, 73, 60));
    }

    @Test
    void sendsComputedZeroAsAllOnes() {
        // Three more payload bytes: 8 in all, so the last payload word is at 34..35.
        final byte[] bytes = SampleFrames.bytes(IPV4_UDP + "000000");
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        buffer.putShort(Ipv4Packet.TOTAL_LENGTH_OFFSET, (short) 36, ByteOrder.BIG_ENDIAN);
        buffer.putShort(20 + UdpPacket.LENGTH_OFFSET, (short) 16, ByteOrder.BIG_ENDIAN);
        assertTrue(ip.wrap(buffer, 0, bytes.length));
        assertTrue(udp.wrap(buffer, ip.payloadOffset(), ip.payloadLength()));
        // Choose the last payload word so that everything sums to 0xFFFF: the complement is then 0.
        final int rest = InternetChecksum.fold(InternetChecksum.partialSum(buffer, 20, 14, ip.pseudoHeaderSum()));
        buffer.putShort(34, (short) (~rest & 0xFFFF), ByteOrder.BIG_ENDIAN);
        final byte[] pseudo = ReferenceChecksum.ipv4PseudoHeader(SampleFrames.IP_A, SampleFrames.IP_B, 17, 16);
        assertEquals(0, ReferenceChecksum.checksumWithPseudoHeader(pseudo, SampleFrames.copy(buffer), 20, 36, 26));
        assertEquals(0xFFFF, udp.computeChecksum(ip.pseudoHeaderSum()));
        udp.setChecksum(0xFFFF);
        assertTrue(udp.isChecksumValid(ip.pseudoHeaderSum()));
    }

    @Test
    void settersWriteInPlace() {
        final UnsafeBuffer buffer = new UnsafeBuffer(SampleFrames.bytes(IPV4_UDP));
        assertTrue(udp.wrap(buffer, 20, 13));
        udp.setSourcePort(65535);
        udp.setDestinationPort(4789);
        udp.setLength(8);
        udp.setChecksum(0xabcd);
        assertEquals(65535, udp.sourcePort());
        assertEquals(4789, udp.destinationPort());
        assertEquals(8, udp.length());
        assertEquals(0, udp.payloadLength());
        assertEquals(0xabcd, udp.checksum());
    }

    @Test
    void rejectsEveryTruncationAndBadLengthField() {
        final UnsafeBuffer buffer = new UnsafeBuffer(SampleFrames.bytes(IPV4_UDP));
        for (int length = 0; length < 13; length++) {
            // Below 8 the header does not fit; from 8 to 12 the length field (13) does not.
            assertFalse(udp.wrap(buffer, 20, length));
            assertFalse(udp.isWrapped());
        }
        assertTrue(udp.wrap(buffer, 20, 13));

        for (int field = 0; field < UdpPacket.HEADER_LENGTH; field++) {
            buffer.putShort(24, (short) field, ByteOrder.BIG_ENDIAN);
            assertFalse(udp.wrap(buffer, 20, 13));
        }
        buffer.putShort(24, (short) 8, ByteOrder.BIG_ENDIAN);
        assertTrue(udp.wrap(buffer, 20, 13), "trailing bytes beyond the length field are allowed");
    }
}
