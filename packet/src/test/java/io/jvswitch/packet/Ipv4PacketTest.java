package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.Random;

class Ipv4PacketTest {
    private static final int OFFSET = 7;
    private static final int IP = OFFSET + EthernetFrame.HEADER_LENGTH;

    private final Ipv4Packet ip = new Ipv4Packet();

    @Test
    void readsIcmpEchoRequestHeader() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, OFFSET);
        assertTrue(ip.wrap(buffer, IP, 60));
        assertEquals(4, ip.version());
        assertEquals(20, ip.headerLength());
        assertEquals(60, ip.totalLength());
        assertEquals(0xabcd, ip.identification());
        assertTrue(ip.dontFragment());
        assertFalse(ip.moreFragments());
        assertEquals(0, ip.fragmentOffset());
        assertFalse(ip.isFragment());
        assertEquals(64, ip.ttl());
        assertEquals(Ipv4Packet.PROTOCOL_ICMP, ip.protocol());
        assertEquals(SampleFrames.ICMP_IP_CHECKSUM, ip.checksum());
        assertEquals(SampleFrames.IP_A, ip.source());
        assertEquals(SampleFrames.IP_B, ip.destination());
        assertEquals(IP + 20, ip.payloadOffset());
        assertEquals(40, ip.payloadLength());
    }

    @Test
    void headerChecksumMatchesCaptureAndPlainLoop() {
        final byte[] frame = SampleFrames.bytes(SampleFrames.TCP_SYN);
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        assertTrue(ip.wrap(buffer, 14, frame.length - 14));
        frame[14 + Ipv4Packet.CHECKSUM_OFFSET] = 0;
        frame[14 + Ipv4Packet.CHECKSUM_OFFSET + 1] = 0;
        assertEquals(SampleFrames.TCP_IP_CHECKSUM, ReferenceChecksum.checksum(frame, 14, 34));
        assertEquals(SampleFrames.TCP_IP_CHECKSUM, ip.computeHeaderChecksum());
        assertFalse(ip.isHeaderChecksumValid());
        ip.updateHeaderChecksum();
        assertEquals(SampleFrames.TCP_IP_CHECKSUM, ip.checksum());
        assertTrue(ip.isHeaderChecksumValid());
    }

    @Test
    void headerChecksumMatchesWellKnownExample() {
        // A header often used to illustrate the IPv4 checksum; its checksum is b861.
        final UnsafeBuffer buffer =
                new UnsafeBuffer(SampleFrames.bytes("450000730000400040110000c0a80001c0a800c7" + "00".repeat(95)));
        assertTrue(ip.wrap(buffer, 0, 115));
        assertEquals(0xb861, ip.computeHeaderChecksum());
        // The computation skips the field, so a stale value in it does not matter.
        ip.setChecksum(0x1234);
        assertEquals(0xb861, ip.computeHeaderChecksum());
    }

    @Test
    void coversOptionsInHeaderLengthAndChecksum() {
        // IHL 6: one 4-byte option (router alert, 94 04 00 00).
        final UnsafeBuffer buffer = new UnsafeBuffer(SampleFrames.bytes(
                "46000020000000000102" + "0000" + "0a000002e0000016" + "94040000" + "1100eeff00000000"));
        assertTrue(ip.wrap(buffer, 0, 32));
        assertEquals(24, ip.headerLength());
        assertEquals(24, ip.payloadOffset());
        assertEquals(8, ip.payloadLength());
        ip.updateHeaderChecksum();
        final byte[] bytes = SampleFrames.copy(buffer);
        assertEquals(0, ReferenceChecksum.checksum(bytes, 0, 24));
        assertTrue(Ipv4Address.isMulticast(ip.destination()));
    }

    @Test
    void decrementTtlMatchesFullRecomputation() {
        final Random random = new Random(10);
        final byte[] header = SampleFrames.bytes("4500003c1c46400040060a740a0000020a000001");
        final UnsafeBuffer buffer = new UnsafeBuffer(header);
        for (int i = 0; i < 5000; i++) {
            random.nextBytes(header);
            header[0] = 0x45;
            header[2] = 0;
            header[3] = 20;
            assertTrue(ip.wrap(buffer, 0, 20));
            ip.updateHeaderChecksum();
            final int ttl = ip.ttl();
            final int expectedTtl = Math.max(ttl - 1, 0);

            assertEquals(expectedTtl, ip.decrementTtl());
            assertEquals(expectedTtl, ip.ttl());
            assertTrue(ip.isHeaderChecksumValid());
            assertEquals(ip.computeHeaderChecksum(), ip.checksum(), () -> "ttl " + ttl);
        }
    }

    @Test
    void decrementTtlStopsAtZero() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, OFFSET);
        assertTrue(ip.wrap(buffer, IP, 60));
        ip.setTtl(1);
        ip.updateHeaderChecksum();
        assertEquals(0, ip.decrementTtl());
        final int checksum = ip.checksum();
        assertEquals(0, ip.decrementTtl());
        assertEquals(0, ip.ttl());
        assertEquals(checksum, ip.checksum());
        assertEquals(Ipv4Packet.PROTOCOL_ICMP, ip.protocol());
        assertTrue(ip.isHeaderChecksumValid());
    }

    @Test
    void readsFragmentFields() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, OFFSET);
        assertTrue(ip.wrap(buffer, IP, 60));
        buffer.putShort(IP + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) 0x2000, ByteOrder.BIG_ENDIAN);
        assertTrue(ip.moreFragments());
        assertFalse(ip.dontFragment());
        assertTrue(ip.isFragment());
        buffer.putShort(IP + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) 0x00b9, ByteOrder.BIG_ENDIAN);
        assertFalse(ip.moreFragments());
        assertEquals(0xb9, ip.fragmentOffset());
        assertTrue(ip.isFragment());
        buffer.putShort(IP + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) 0x5fff, ByteOrder.BIG_ENDIAN);
        assertTrue(ip.dontFragment());
        assertEquals(0x1fff, ip.fragmentOffset());
    }

    @Test
    void settersWriteInPlace() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, OFFSET);
        assertTrue(ip.wrap(buffer, IP, 60));
        ip.setSource(0xc0a8_0001);
        ip.setDestination(0xc0a8_00c7);
        ip.setTtl(255);
        assertEquals(0xc0a8_0001, ip.source());
        assertEquals(0xc0a8_00c7, ip.destination());
        assertEquals(255, ip.ttl());
        assertFalse(ip.isHeaderChecksumValid());
        ip.updateHeaderChecksum();
        assertTrue(ip.isHeaderChecksumValid());
        ip.setChecksum(0xffff);
        assertEquals(0xffff, ip.checksum());
    }

    @Test
    void pseudoHeaderSumMatchesReference() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, OFFSET);
        assertTrue(ip.wrap(buffer, IP, 60));
        final byte[] pseudo = ReferenceChecksum.ipv4PseudoHeader(SampleFrames.IP_A, SampleFrames.IP_B, 6, 40);
        assertEquals(ReferenceChecksum.foldedSum(pseudo, 0, 12), InternetChecksum.fold(ip.pseudoHeaderSum()));
    }

    @Test
    void allowsEthernetPaddingAfterTotalLength() {
        // A 28-byte ICMP datagram padded to the 46-byte minimum Ethernet payload.
        final UnsafeBuffer buffer = new UnsafeBuffer(SampleFrames.bytes(
                "4500001c0001000040010000" + "0a0000020a000001" + "0800f7fe00010000" + "00".repeat(18)));
        assertTrue(ip.wrap(buffer, 0, 46));
        assertEquals(28, ip.totalLength());
        assertEquals(8, ip.payloadLength());
        assertEquals(46, ip.wrappedLength());
    }

    @Test
    void rejectsEveryTruncation() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, OFFSET);
        for (int length = 0; length < 60; length++) {
            // Below 20 the header does not fit; from 20 to 59 the total length (60) does not.
            final int truncated = length;
            assertFalse(ip.wrap(buffer, IP, length), () -> "length " + truncated);
            assertFalse(ip.isWrapped());
        }
        assertTrue(ip.wrap(buffer, IP, 60));
    }

    @Test
    void rejectsImplausibleHeaders() {
        final String valid = "4500001c0001000040010000" + "0a0000020a000001" + "0800f7fe00010000";
        assertTrue(ip.wrap(new UnsafeBuffer(SampleFrames.bytes(valid)), 0, 28));
        assertRejected("6500" + valid.substring(4)); // version 6
        assertRejected("0500" + valid.substring(4)); // version 0
        assertRejected("4400" + valid.substring(4)); // IHL 4 < 5
        assertRejected("4f00" + valid.substring(4)); // IHL 15: 60-byte header, 28 available
        assertRejected("46000014" + valid.substring(8)); // total length 20 < header length 24
        assertRejected("45000013" + valid.substring(8)); // total length 19 < header length 20
        assertRejected("4500001d" + valid.substring(8)); // total length 29 > 28 available
    }

    private void assertRejected(final String hex) {
        assertFalse(ip.wrap(new UnsafeBuffer(SampleFrames.bytes(hex)), 0, hex.length() / 2), hex);
        assertFalse(ip.isWrapped());
    }
}
