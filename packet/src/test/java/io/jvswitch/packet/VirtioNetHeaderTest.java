package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.Random;

class VirtioNetHeaderTest {
    private static final int VNET = 6;
    private static final int FRAME = VNET + VirtioNetHeader.LENGTH;

    @Test
    void readsLittleEndianFields() {
        // flags=NEEDS_CSUM, gso=TCPV4|ECN, hdr_len=66, gso_size=1448, csum_start=34, csum_offset=16
        final UnsafeBuffer buffer = SampleFrames.buffer("01" + "81" + "4200" + "a805" + "2200" + "1000", VNET);
        assertEquals(VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.flags(buffer, VNET));
        assertTrue(VirtioNetHeader.needsChecksum(buffer, VNET));
        assertEquals(VirtioNetHeader.GSO_TCPV4, VirtioNetHeader.gsoType(buffer, VNET));
        assertTrue(VirtioNetHeader.hasEcn(buffer, VNET));
        assertTrue(VirtioNetHeader.isGso(buffer, VNET));
        assertEquals(66, VirtioNetHeader.headerLength(buffer, VNET));
        assertEquals(1448, VirtioNetHeader.gsoSize(buffer, VNET));
        assertEquals(34, VirtioNetHeader.checksumStart(buffer, VNET));
        assertEquals(16, VirtioNetHeader.checksumOffset(buffer, VNET));
    }

    @Test
    void aTcpSegmentationRequestIsTheHeaderLinuxWritesForATsoSuperFrame() {
        final UnsafeBuffer buffer = SampleFrames.buffer("00000000000000000000", VNET);
        VirtioNetHeader.setTcpSegmentation(buffer, VNET, VirtioNetHeader.GSO_TCPV4, 34, 66, 1448);
        // the bytes of the header read in readsLittleEndianFields, without ECN
        assertArrayEquals(
                SampleFrames.bytes("01" + "01" + "4200" + "a805" + "2200" + "1000"),
                slice(buffer, VNET, VirtioNetHeader.LENGTH));
    }

    @Test
    void writesLittleEndianFieldsAndClearsExactlyTenBytes() {
        final UnsafeBuffer buffer = SampleFrames.buffer("00000000000000000000", VNET);
        VirtioNetHeader.setFlags(buffer, VNET, VirtioNetHeader.FLAG_DATA_VALID);
        VirtioNetHeader.setGsoType(buffer, VNET, VirtioNetHeader.GSO_UDP_L4);
        VirtioNetHeader.setHeaderLength(buffer, VNET, 0x1234);
        VirtioNetHeader.setGsoSize(buffer, VNET, 0xFFEE);
        VirtioNetHeader.setChecksumStart(buffer, VNET, 54);
        VirtioNetHeader.setChecksumOffset(buffer, VNET, 6);
        assertArrayEquals(
                SampleFrames.bytes("02" + "05" + "3412" + "eeff" + "3600" + "0600"),
                slice(buffer, VNET, VirtioNetHeader.LENGTH));
        assertEquals(0xFFEE, VirtioNetHeader.gsoSize(buffer, VNET));
        assertFalse(VirtioNetHeader.hasEcn(buffer, VNET));
        assertFalse(VirtioNetHeader.needsChecksum(buffer, VNET));

        VirtioNetHeader.clear(buffer, VNET);
        assertArrayEquals(new byte[VirtioNetHeader.LENGTH], slice(buffer, VNET, VirtioNetHeader.LENGTH));
        assertEquals(0x5A, buffer.getByte(VNET - 1));
        assertEquals(0x5A, buffer.getByte(VNET + VirtioNetHeader.LENGTH));
        assertFalse(VirtioNetHeader.isGso(buffer, VNET));
    }

    @Test
    void completesTcpChecksumFromPseudoHeaderSum() {
        final UnsafeBuffer buffer = partialTcpSyn();
        final int length = VirtioNetHeader.LENGTH + SampleFrames.bytes(SampleFrames.TCP_SYN).length;

        assertTrue(VirtioNetHeader.completeChecksum(buffer, VNET, length));

        final int field = FRAME + SampleFrames.TCP_SYN_L4_OFFSET + TcpPacket.CHECKSUM_OFFSET;
        assertEquals(SampleFrames.TCP_CHECKSUM, buffer.getShort(field, ByteOrder.BIG_ENDIAN) & 0xFFFF);
        assertEquals(VirtioNetHeader.FLAG_DATA_VALID, VirtioNetHeader.flags(buffer, VNET));
        // The whole frame now equals the original, correctly checksummed capture.
        assertArrayEquals(SampleFrames.bytes(SampleFrames.TCP_SYN), slice(buffer, FRAME, length - 10));
    }

    @Test
    void completesUdpOverIpv6Checksum() {
        final byte[] frame = SampleFrames.bytes(SampleFrames.IPV6_UDP);
        final UnsafeBuffer buffer = SampleFrames.buffer("00000000000000000000" + SampleFrames.IPV6_UDP, VNET);
        final Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(buffer, FRAME + EthernetFrame.HEADER_LENGTH, frame.length - EthernetFrame.HEADER_LENGTH));
        final int field = FRAME + SampleFrames.IPV6_UDP_L4_OFFSET + UdpPacket.CHECKSUM_OFFSET;
        final int pseudo = InternetChecksum.fold(ip.pseudoHeaderSum(Ipv6Packet.NEXT_HEADER_UDP, ip.payloadLength()));
        buffer.putShort(field, (short) pseudo, ByteOrder.BIG_ENDIAN);
        VirtioNetHeader.setFlags(buffer, VNET, VirtioNetHeader.FLAG_NEEDS_CSUM);
        VirtioNetHeader.setChecksumStart(buffer, VNET, SampleFrames.IPV6_UDP_L4_OFFSET);
        VirtioNetHeader.setChecksumOffset(buffer, VNET, UdpPacket.CHECKSUM_OFFSET);

        assertTrue(VirtioNetHeader.completeChecksum(buffer, VNET, VirtioNetHeader.LENGTH + frame.length));
        assertEquals(SampleFrames.IPV6_UDP_CHECKSUM, buffer.getShort(field, ByteOrder.BIG_ENDIAN) & 0xFFFF);
    }

    @Test
    void completedChecksumEqualsFullComputationForRandomSegments() {
        final Random random = new Random(9);
        final byte[] frame = SampleFrames.bytes(SampleFrames.TCP_SYN);
        final int ipOffset = FRAME + EthernetFrame.HEADER_LENGTH;
        final int l4 = FRAME + SampleFrames.TCP_SYN_L4_OFFSET;
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FRAME + frame.length + 1500]);
        final Ipv4Packet ip = new Ipv4Packet();
        final TcpPacket tcp = new TcpPacket();
        for (int i = 0; i < 500; i++) {
            final int payload = random.nextInt(1400);
            buffer.putBytes(FRAME, frame);
            for (int j = 0; j < payload; j++) {
                buffer.putByte(FRAME + frame.length + j, (byte) random.nextInt(256));
            }
            buffer.putInt(ipOffset + Ipv4Packet.SOURCE_OFFSET, random.nextInt(), ByteOrder.BIG_ENDIAN);
            buffer.putShort(
                    ipOffset + Ipv4Packet.TOTAL_LENGTH_OFFSET,
                    (short) (frame.length - EthernetFrame.HEADER_LENGTH + payload),
                    ByteOrder.BIG_ENDIAN);
            final int frameLength = frame.length + payload;
            assertTrue(ip.wrap(buffer, ipOffset, frameLength - EthernetFrame.HEADER_LENGTH));
            assertTrue(tcp.wrap(buffer, ip.payloadOffset(), ip.payloadLength()));

            // Independent expectation: plain loop over pseudo-header plus segment.
            final byte[] bytes = SampleFrames.copy(buffer);
            final int expected = ReferenceChecksum.checksumWithPseudoHeader(
                    ReferenceChecksum.ipv4PseudoHeader(ip.source(), ip.destination(), 6, ip.payloadLength()),
                    bytes,
                    l4,
                    FRAME + frameLength,
                    l4 + TcpPacket.CHECKSUM_OFFSET);
            assertEquals(expected, tcp.computeChecksum(ip.pseudoHeaderSum()));

            VirtioNetHeader.clear(buffer, VNET);
            VirtioNetHeader.setFlags(buffer, VNET, VirtioNetHeader.FLAG_NEEDS_CSUM);
            VirtioNetHeader.setChecksumStart(buffer, VNET, SampleFrames.TCP_SYN_L4_OFFSET);
            VirtioNetHeader.setChecksumOffset(buffer, VNET, TcpPacket.CHECKSUM_OFFSET);
            tcp.setChecksum(InternetChecksum.fold(ip.pseudoHeaderSum()));
            assertTrue(VirtioNetHeader.completeChecksum(buffer, VNET, VirtioNetHeader.LENGTH + frameLength));
            assertEquals(expected == 0 ? 0xFFFF : expected, tcp.checksum());
            assertTrue(tcp.isChecksumValid(ip.pseudoHeaderSum()));
        }
    }

    @Test
    void rejectsChecksumPositionsOutsideTheFrameWithoutChangingAnything() {
        final int frameLength = SampleFrames.bytes(SampleFrames.TCP_SYN).length;
        final int totalLength = VirtioNetHeader.LENGTH + frameLength;
        final int[][] startAndOffset = {
            {frameLength, 0}, // start at the end: no room for the field
            {frameLength + 1, 0}, // start past the end
            {0xFFFF, 0xFFFF}, // both at their maximum
            {frameLength - 1, 0}, // field would straddle the end
            {SampleFrames.TCP_SYN_L4_OFFSET, frameLength - SampleFrames.TCP_SYN_L4_OFFSET - 1},
            {0, frameLength - 1},
        };
        for (final int[] position : startAndOffset) {
            final UnsafeBuffer buffer = partialTcpSyn();
            VirtioNetHeader.setChecksumStart(buffer, VNET, position[0]);
            VirtioNetHeader.setChecksumOffset(buffer, VNET, position[1]);
            final byte[] before = SampleFrames.copy(buffer);
            assertFalse(
                    VirtioNetHeader.completeChecksum(buffer, VNET, totalLength),
                    () -> "start " + position[0] + " offset " + position[1]);
            assertArrayEquals(before, SampleFrames.copy(buffer));
        }

        // The last two bytes of the frame are a legal place for the field.
        final UnsafeBuffer buffer = partialTcpSyn();
        VirtioNetHeader.setChecksumStart(buffer, VNET, frameLength - 2);
        VirtioNetHeader.setChecksumOffset(buffer, VNET, 0);
        assertTrue(VirtioNetHeader.completeChecksum(buffer, VNET, totalLength));
    }

    @Test
    void rejectsLengthsThatDoNotFitTheBuffer() {
        final UnsafeBuffer buffer = partialTcpSyn();
        final byte[] before = SampleFrames.copy(buffer);
        assertFalse(VirtioNetHeader.completeChecksum(buffer, VNET, VirtioNetHeader.LENGTH - 1));
        assertFalse(VirtioNetHeader.completeChecksum(buffer, VNET, buffer.capacity() - VNET + 1));
        assertFalse(VirtioNetHeader.completeChecksum(buffer, -1, 20));
        // A frame cut short so the TCP checksum field is outside it.
        assertFalse(VirtioNetHeader.completeChecksum(buffer, VNET, FRAME - VNET + 40));
        assertArrayEquals(before, SampleFrames.copy(buffer));
    }

    @Test
    void leavesFramesWithoutNeedsChecksumAlone() {
        final UnsafeBuffer buffer = partialTcpSyn();
        VirtioNetHeader.setFlags(buffer, VNET, 0);
        final byte[] before = SampleFrames.copy(buffer);
        assertTrue(VirtioNetHeader.completeChecksum(buffer, VNET, VirtioNetHeader.LENGTH + 74));
        assertArrayEquals(before, SampleFrames.copy(buffer));
    }

    /**
     * The TCP SYN as a guest with checksum offload hands it to a TAP: NEEDS_CSUM, csum_start at the TCP header,
     * csum_offset at its checksum field, and the folded pseudo-header sum (not complemented) in that field.
     */
    private static UnsafeBuffer partialTcpSyn() {
        final UnsafeBuffer buffer = SampleFrames.buffer("00000000000000000000" + SampleFrames.TCP_SYN, VNET);
        VirtioNetHeader.setFlags(buffer, VNET, VirtioNetHeader.FLAG_NEEDS_CSUM);
        VirtioNetHeader.setChecksumStart(buffer, VNET, SampleFrames.TCP_SYN_L4_OFFSET);
        VirtioNetHeader.setChecksumOffset(buffer, VNET, TcpPacket.CHECKSUM_OFFSET);
        final int tcpLength = SampleFrames.bytes(SampleFrames.TCP_SYN).length - SampleFrames.TCP_SYN_L4_OFFSET;
        final byte[] pseudo = ReferenceChecksum.ipv4PseudoHeader(
                SampleFrames.IP_A, SampleFrames.IP_B, Ipv4Packet.PROTOCOL_TCP, tcpLength);
        final int partial = ReferenceChecksum.foldedSum(pseudo, 0, pseudo.length);
        assertEquals(0x1431, partial);
        buffer.putShort(
                FRAME + SampleFrames.TCP_SYN_L4_OFFSET + TcpPacket.CHECKSUM_OFFSET,
                (short) partial,
                ByteOrder.BIG_ENDIAN);
        return buffer;
    }

    private static byte[] slice(final UnsafeBuffer buffer, final int offset, final int length) {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }
}
