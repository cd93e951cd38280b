package io.jvswitch.control.capture;

import static io.jvswitch.control.capture.TestFrames.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

class RingSinkTest {

    @TempDir
    Path dir;

    /** Collects what the ring hands over. */
    private static final class ListSink implements CaptureSink {
        final List<CapturedFrame> frames = new ArrayList<>();
        final long limit;
        boolean closed;

        ListSink(long limit) {
            this.limit = limit;
        }

        @Override
        public void write(CapturedFrame frame) {
            frames.add(frame);
        }

        @Override
        public boolean isDone() {
            return closed || (limit > 0 && frames.size() >= limit);
        }

        @Override
        public long written() {
            return frames.size();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static CapturedFrame frame(int tag, int length) {
        return CapturedFrame.of(T0 + tag, "veth-a", CapturedFrame.RX, null, TestFrames.udpOfLength(length, tag));
    }

    private static List<Integer> tags(List<CapturedFrame> frames) {
        return frames.stream().map(f -> TestFrames.tagOf(f.data())).toList();
    }

    @Test
    void keepsExactlyTheLastN() throws IOException {
        ListSink target = new ListSink(0);
        RingSink ring = new RingSink(5, target);
        for (int i = 0; i < 23; i++) {
            ring.write(frame(i, 100));
            assertFalse(ring.isDone());
        }
        assertEquals(5, ring.size());
        assertEquals(23, ring.written());
        assertEquals(18, ring.evicted());
        assertTrue(target.frames.isEmpty(), "nothing written before close");
        ring.close();
        assertEquals(List.of(18, 19, 20, 21, 22), tags(target.frames));
        assertTrue(target.closed);
        assertTrue(ring.isDone());
        ring.write(frame(99, 100));
        ring.close();
        assertEquals(5, target.frames.size());
    }

    @Test
    void fewerFramesThanTheRingAreAllKept() throws IOException {
        ListSink target = new ListSink(0);
        try (RingSink ring = new RingSink(100, target)) {
            IntStream.range(0, 3).forEach(i -> ring.write(frame(i, 60)));
        }
        assertEquals(List.of(0, 1, 2), tags(target.frames));
    }

    @Test
    void byteCapEvictsTheOldest() throws IOException {
        ListSink target = new ListSink(0);
        long perFrame = 1000 + RingSink.FRAME_OVERHEAD_BYTES;
        RingSink ring = new RingSink(1000, 3 * perFrame + 10, target);
        for (int i = 0; i < 10; i++) {
            ring.write(frame(i, 1000));
        }
        assertEquals(3, ring.size());
        assertEquals(3 * perFrame, ring.heldBytes());
        // A frame larger than the whole cap still goes in, alone.
        ring.write(frame(10, 5000));
        assertEquals(1, ring.size());
        ring.write(frame(11, 1000));
        assertEquals(1, ring.size());
        ring.close();
        assertEquals(List.of(11), tags(target.frames));
    }

    @Test
    void targetCountLimitCutsTheDump() throws IOException {
        ListSink target = new ListSink(2);
        try (RingSink ring = new RingSink(4, target)) {
            IntStream.range(0, 8).forEach(i -> ring.write(frame(i, 60)));
        }
        assertEquals(List.of(4, 5), tags(target.frames));
    }

    @Test
    void writesTheRingAsAPcapWithDropReasons() throws Exception {
        Tools.assumeTcpdump();
        Path file = dir.resolve("ring.pcap");
        try (RingSink ring = new RingSink(3, new PcapFileSink(file.toString(), PcapFileOptions.defaults()))) {
            for (int i = 0; i < 10; i++) {
                ring.write(
                        i % 2 == 0
                                ? CapturedFrame.of(
                                        T0 + i,
                                        "p" + i,
                                        CapturedFrame.DROP,
                                        "reason-" + i,
                                        TestFrames.udpOfLength(80, i))
                                : frame(i, 80));
            }
        }
        // Frames 7, 8, 9 remain: 8 is a drop, and it is the second frame of the file.
        assertEquals(3, Tools.tcpdump(file).size());
        assertEquals(List.of("2\tp8\treason-8"), Files.readAllLines(PcapFileSink.reasonsPath(file)));
        List<CapturedFrame> back = new ArrayList<>();
        try (PcapReader r = PcapReader.open(file)) {
            r.forEachRemaining(back::add);
        }
        assertEquals(List.of(7, 8, 9), tags(back));
    }

    @Test
    void rejectsBadSizes() {
        ListSink target = new ListSink(0);
        assertEquals(
                "--ring needs at least 1 frame, not 0",
                assertThrows(IllegalArgumentException.class, () -> new RingSink(0, target))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RingSink(1, 0, target));
    }
}
