package io.jvswitch.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.packet.VxlanHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;

/**
 * Which header differences keep a segment out of the super-frame being built: every byte of the
 * Ethernet, IPv4 and TCP headers (with timestamps) is changed in turn in the second segment of a
 * stream, with its checksums made valid again, and only the fields that differ between segments
 * of one flow may differ.
 */
class TcpCoalescerTest {
    private static final int ETH = 14;
    private static final int IP = ETH;
    private static final int TCP = ETH + 20;
    private static final int TCP_HEADER = 32;
    private static final int HEADERS = TCP + TCP_HEADER;
    /** IPv4 identification, TCP window and urgent pointer: free to differ, and nothing else checks them. */
    private static final Set<Integer> MAY_DIFFER = Set.of(IP + 4, IP + 5, TCP + 14, TCP + 15, TCP + 18, TCP + 19);
    /** The checksum fields themselves: made valid again after every change, so never changed. */
    private static final Set<Integer> CHECKSUMS = Set.of(IP + 10, IP + 11, TCP + 16, TCP + 17);

    private static final int MSS = 1398;

    @Test
    void onlyFieldsThatDifferBetweenSegmentsOfOneFlowMayDiffer() {
        final Stream stream = Stream.ofThreeSegments(MSS);
        final int frameLength = stream.frameLength();
        assertEquals(HEADERS + MSS, frameLength);
        final UnsafeBuffer first = stream.segment(0);
        final UnsafeBuffer target = new UnsafeBuffer(ByteBuffer.allocateDirect(70_000));

        // unchanged, the second segment joins
        assertTrue(join(target, first, stream.segment(1)));
        int joined = 0;
        for (int at = 0; at < HEADERS; at++) {
            if (CHECKSUMS.contains(at)) {
                continue;
            }
            final UnsafeBuffer second = stream.segment(1);
            second.putByte(at, (byte) (second.getByte(at) ^ 0x10));
            validChecksums(second, frameLength);
            final boolean expected = MAY_DIFFER.contains(at);
            assertEquals(expected, join(target, first, second), "a second segment that differs at byte " + at);
            joined += expected ? 1 : 0;
        }
        assertEquals(MAY_DIFFER.size(), joined);
    }

    /**
     * Segments whose sender left the TCP checksum to offload (the field holds the pseudo-header sum,
     * as a Linux VTEP sends them across a veth): they join as verified ones do, and one left alone is
     * passed on marked NEEDS_CSUM; a segment with a wrong checksum of any other value is not.
     */
    @Test
    void partialChecksumsJoinAndAreMarkedAndCorruptOnesAreNot() {
        final Stream stream = Stream.ofThreeSegments(MSS);
        final int frameLength = stream.frameLength();
        final UnsafeBuffer first = stream.segment(0);
        final UnsafeBuffer second = stream.segment(1);
        partialChecksum(first, frameLength);
        partialChecksum(second, frameLength);
        assertEquals(TCP, PartialChecksum.partialStart(first, 0, frameLength));
        final UnsafeBuffer target = new UnsafeBuffer(ByteBuffer.allocateDirect(70_000));

        final TcpCoalescer coalescer = new TcpCoalescer();
        coalescer.begin(target, 0, target.capacity());
        assertTrue(coalescer.first(7, first, 0, frameLength, false));
        assertTrue(coalescer.append(7, second, 0, frameLength, false), "a partial segment joins");
        coalescer.finish();
        assertEquals(2, coalescer.partialSegments());
        assertTrue(VirtioNetHeader.needsChecksum(target, 0) && VirtioNetHeader.isGso(target, 0));

        // One partial segment alone (the next one does not continue it): marked, the field kept.
        coalescer.begin(target, 0, target.capacity());
        assertTrue(coalescer.first(7, second, 0, frameLength, false));
        assertEquals(frameLength + VirtioNetHeader.LENGTH, coalescer.finish());
        assertEquals(1, coalescer.partialSegments());
        assertTrue(VirtioNetHeader.needsChecksum(target, 0) && !VirtioNetHeader.isGso(target, 0));
        assertEquals(TCP, VirtioNetHeader.checksumStart(target, 0));
        assertEquals(TcpPacket.CHECKSUM_OFFSET, VirtioNetHeader.checksumOffset(target, 0));
        // Completing it as a kernel would gives the checksum a verifying receiver expects.
        assertTrue(VirtioNetHeader.completeChecksum(target, 0, frameLength + VirtioNetHeader.LENGTH));
        final UnsafeBuffer completed = new UnsafeBuffer(ByteBuffer.allocateDirect(frameLength));
        completed.putBytes(0, target, VirtioNetHeader.LENGTH, frameLength);
        final UnsafeBuffer verified = stream.segment(1);
        validChecksums(verified, frameLength);
        assertEquals(
                verified.getShort(TCP + TcpPacket.CHECKSUM_OFFSET),
                completed.getShort(TCP + TcpPacket.CHECKSUM_OFFSET));

        // A corrupt checksum (neither complete nor the pseudo-header sum): not joined, not marked.
        final UnsafeBuffer corrupt = stream.segment(1);
        validChecksums(corrupt, frameLength);
        corrupt.putShort(
                TCP + TcpPacket.CHECKSUM_OFFSET, (short) (corrupt.getShort(TCP + TcpPacket.CHECKSUM_OFFSET) + 1));
        assertEquals(-1, PartialChecksum.partialStart(corrupt, 0, frameLength));
        coalescer.begin(target, 0, target.capacity());
        assertTrue(coalescer.first(7, first, 0, frameLength, false));
        assertFalse(coalescer.append(7, corrupt, 0, frameLength, false));
        coalescer.finish();
        coalescer.begin(target, 0, target.capacity());
        assertTrue(coalescer.first(7, corrupt, 0, frameLength, false));
        coalescer.finish();
        assertEquals(0, coalescer.partialSegments());
        assertFalse(VirtioNetHeader.needsChecksum(target, 0));
    }

    /**
     * A segment whose datagram came with an outer checksum the kernel verified joins without its
     * inner checksum being checked: a corrupt inner checksum (which the outer one would have caught
     * on the wire, so only a sender could have put it there) joins then, and the same segment
     * without an outer checksum does not. The super-frame goes out NEEDS_CSUM either way.
     */
    @Test
    void anOuterChecksumSkipsTheInnerCheck() {
        final Stream stream = Stream.ofThreeSegments(MSS);
        final int frameLength = stream.frameLength();
        final UnsafeBuffer first = stream.segment(0);
        final UnsafeBuffer unverifiable = stream.segment(1);
        unverifiable.putShort(
                TCP + TcpPacket.CHECKSUM_OFFSET, (short) (unverifiable.getShort(TCP + TcpPacket.CHECKSUM_OFFSET) + 1));
        final UnsafeBuffer target = new UnsafeBuffer(ByteBuffer.allocateDirect(70_000));
        final TcpCoalescer coalescer = new TcpCoalescer();

        coalescer.begin(target, 0, target.capacity());
        assertTrue(coalescer.first(7, first, 0, frameLength, false));
        assertFalse(coalescer.append(7, unverifiable, 0, frameLength, false), "checked without an outer checksum");
        coalescer.finish();

        coalescer.begin(target, 0, target.capacity());
        assertTrue(coalescer.first(7, first, 0, frameLength, true));
        assertTrue(coalescer.append(7, unverifiable, 0, frameLength, true), "not checked again with one");
        assertEquals(2 * MSS + HEADERS + VirtioNetHeader.LENGTH, coalescer.finish());
        assertTrue(VirtioNetHeader.needsChecksum(target, 0) && VirtioNetHeader.isGso(target, 0));
    }

    /** What a Linux sender that offloads leaves in the TCP checksum field: the folded pseudo-header sum. */
    private static void partialChecksum(UnsafeBuffer frame, int length) {
        validChecksums(frame, length);
        final int pseudo = InternetChecksum.pseudoHeaderIpv4(
                frame.getInt(IP + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
                frame.getInt(IP + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN),
                Ipv4Packet.PROTOCOL_TCP,
                length - TCP);
        frame.putShort(TCP + TcpPacket.CHECKSUM_OFFSET, (short) InternetChecksum.fold(pseudo), ByteOrder.BIG_ENDIAN);
    }

    private static boolean join(UnsafeBuffer target, UnsafeBuffer first, UnsafeBuffer second) {
        final TcpCoalescer coalescer = new TcpCoalescer();
        coalescer.begin(target, 0, target.capacity());
        assertTrue(coalescer.first(7, first, 0, first.capacity(), false));
        assertTrue(coalescer.open());
        final boolean joined = coalescer.append(7, second, 0, second.capacity(), false);
        assertEquals(joined ? 2 : 1, coalescer.segments());
        coalescer.finish();
        return joined;
    }

    /** A TCP stream's segments as the segmenter sends them (VXLAN datagrams of one stride each). */
    private record Stream(UnsafeBuffer datagrams, int stride, int frameLength) {
        static Stream ofThreeSegments(int mss) {
            final byte[] superFrame = VtepFrames.tcpSuperFrame(3 * mss, mss, TcpPacket.ACK);
            final TcpSegmenter segmenter = new TcpSegmenter();
            final UnsafeBuffer datagrams = new UnsafeBuffer(ByteBuffer.allocateDirect(8_000));
            assertTrue(segmenter.segment(new UnsafeBuffer(superFrame), 0, superFrame.length, datagrams, 1, 1450));
            return new Stream(datagrams, segmenter.stride(), segmenter.stride() - VxlanHeader.LENGTH);
        }

        /** A copy of segment {@code i}'s inner frame. */
        UnsafeBuffer segment(int i) {
            return frame(datagrams, i * stride, frameLength);
        }
    }

    private static UnsafeBuffer frame(UnsafeBuffer datagrams, int datagram, int length) {
        final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
        frame.putBytes(0, datagrams, datagram + VxlanHeader.LENGTH, length);
        return frame;
    }

    private static void validChecksums(UnsafeBuffer frame, int length) {
        frame.putShort(IP + Ipv4Packet.CHECKSUM_OFFSET, (short) 0);
        frame.putShort(
                IP + Ipv4Packet.CHECKSUM_OFFSET, (short) InternetChecksum.compute(frame, IP, 20), ByteOrder.BIG_ENDIAN);
        final int tcpLength = length - TCP;
        frame.putShort(TCP + TcpPacket.CHECKSUM_OFFSET, (short) 0);
        final int pseudo = InternetChecksum.pseudoHeaderIpv4(
                frame.getInt(IP + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
                frame.getInt(IP + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN),
                Ipv4Packet.PROTOCOL_TCP,
                tcpLength);
        frame.putShort(
                TCP + TcpPacket.CHECKSUM_OFFSET,
                (short) ~InternetChecksum.fold(InternetChecksum.partialSum(frame, TCP, tcpLength, pseudo)),
                ByteOrder.BIG_ENDIAN);
    }
}
