package io.jvswitch.control.capture;

import static io.jvswitch.control.capture.TestFrames.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.testsupport.JvmFlags;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

class PcapFileSinkTest {

    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path dir;

    @BeforeEach
    void needLibpcap() {
        Tools.assumeLibpcap();
    }

    private static CapturedFrame rx(long t, byte[] data) {
        return CapturedFrame.of(t, "veth-a", CapturedFrame.RX, null, data);
    }

    private static CapturedFrame drop(long t, String port, String reason, byte[] data) {
        return CapturedFrame.of(t, port, CapturedFrame.DROP, reason, data);
    }

    private static List<String> listNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<Integer> tagsIn(Path file) throws IOException {
        List<Integer> tags = new ArrayList<>();
        try (PcapReader r = PcapReader.open(file)) {
            for (CapturedFrame f; (f = r.read()) != null; ) {
                tags.add(TestFrames.tagOf(f.data()));
            }
        }
        return tags;
    }

    @Test
    void tcpdumpDecodesEveryFrame() throws Exception {
        Tools.assumeTcpdump();
        Path file = dir.resolve("all.pcap");
        try (PcapFileSink sink = new PcapFileSink(file.toString(), PcapFileOptions.defaults())) {
            sink.write(rx(T0, TestFrames.arpRequest()));
            sink.write(rx(T0 + 1_000, TestFrames.icmpEcho()));
            sink.write(rx(T0 + 2 * SECOND, TestFrames.tcpSyn()));
            sink.write(rx(T0 + 3 * SECOND, TestFrames.dnsQuery()));
            assertEquals(4, sink.written());
            assertFalse(sink.isDone());
            assertEquals(List.of(file), sink.files());
        }
        TreeMap<Integer, Tools.Line> lines = Tools.tcpdump(file);
        assertEquals(List.of(1, 2, 3, 4), List.copyOf(lines.keySet()), lines::toString);
        assertTrue(lines.get(1).text().startsWith("ARP, Request who-has 10.0.0.2 tell 10.0.0.1"), lines::toString);
        assertTrue(
                lines.get(2).text().contains("IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64"),
                lines::toString);
        assertTrue(
                lines.get(3).text().contains("IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000"), lines::toString);
        assertTrue(
                lines.get(4).text().contains("IP 10.0.0.1.5353 > 10.0.0.2.53: 4660+ A? example.com."), lines::toString);
        // Microseconds, truncated: 123456789 ns -> .123456, +1000 ns -> .123457
        assertEquals("1700000000.123456", lines.get(1).time());
        assertEquals("1700000000.123457", lines.get(2).time());
        assertEquals("1700000002.123456", lines.get(3).time());
        assertFalse(Files.exists(PcapFileSink.reasonsPath(file)), "no drops, no side file");
    }

    @Test
    void dropReasonsSideFileNumbersMatchTcpdump() throws Exception {
        Tools.assumeTcpdump();
        Path file = dir.resolve("drops.pcap");
        try (PcapFileSink sink = new PcapFileSink(file.toString(), PcapFileOptions.defaults())) {
            sink.write(rx(T0, TestFrames.arpRequest()));
            sink.write(drop(T0 + 1, "veth-b", "no-route", TestFrames.icmpEcho()));
            sink.write(CapturedFrame.of(T0 + 2, "veth-a", CapturedFrame.TX, null, TestFrames.tcpSyn()));
            sink.write(drop(T0 + 3, "veth-c", "unknown\tethertype", TestFrames.dnsQuery()));
        }
        List<String> reasons = Files.readAllLines(PcapFileSink.reasonsPath(file));
        assertEquals(List.of("2\tveth-b\tno-route", "4\tveth-c\tunknown ethertype"), reasons);
        TreeMap<Integer, Tools.Line> lines = Tools.tcpdump(file);
        assertTrue(lines.get(2).text().contains("ICMP echo request"), lines::toString);
        assertTrue(lines.get(4).text().contains("A? example.com."), lines::toString);
    }

    @Test
    void staleSideFileIsRemoved() throws Exception {
        Path file = dir.resolve("again.pcap");
        Files.writeString(PcapFileSink.reasonsPath(file), "1\told\trun\n");
        try (PcapFileSink sink = new PcapFileSink(file.toString(), PcapFileOptions.defaults())) {
            sink.write(rx(T0, TestFrames.arpRequest()));
        }
        assertFalse(Files.exists(PcapFileSink.reasonsPath(file)));
    }

    @Test
    void countLimitStopsAfterN() throws Exception {
        Tools.assumeTcpdump();
        Path file = dir.resolve("count.pcap");
        try (PcapFileSink sink =
                new PcapFileSink(file.toString(), PcapFileOptions.defaults().withCount(3))) {
            for (int i = 0; i < 5; i++) {
                assertEquals(i >= 3, sink.isDone());
                sink.write(rx(T0 + i, TestFrames.udpOfLength(100, i)));
            }
            assertEquals(3, sink.written());
            assertTrue(sink.isDone());
        }
        assertEquals(3, Tools.tcpdump(file).size());
        assertEquals(List.of(0, 1, 2), tagsIn(file));
    }

    @Test
    void sizeRotationKeepsEveryFileUnderTheLimit() throws Exception {
        Tools.assumeTcpdump();
        Path file = dir.resolve("size.pcap");
        int frames = 1700; // 1700 * (16 + 1500) bytes = 2.58 MB: three files
        try (PcapFileSink sink =
                new PcapFileSink(file.toString(), PcapFileOptions.defaults().withRotateMegabytes(1))) {
            for (int i = 0; i < frames; i++) {
                sink.write(rx(T0 + i, TestFrames.udpOfLength(1500, i)));
            }
            assertEquals(
                    List.of(
                            dir.resolve("size-0000.pcap"),
                            dir.resolve("size-0001.pcap"),
                            dir.resolve("size-0002.pcap")),
                    sink.files());
        }
        assertEquals(List.of("size-0000.pcap", "size-0001.pcap", "size-0002.pcap"), listNames(dir));
        // 24 + n * 1516 <= 1,000,000 gives n = 659 frames in each full file.
        int[] expected = {659, 659, frames - 2 * 659};
        int next = 0;
        for (int i = 0; i < 3; i++) {
            Path f = dir.resolve("size-000" + i + ".pcap");
            assertEquals(24L + expected[i] * 1516L, Files.size(f));
            assertTrue(Files.size(f) <= 1_000_000);
            assertEquals(expected[i], Tools.tcpdump(f).size(), f::toString);
            for (int tag : tagsIn(f)) {
                assertEquals(next++, tag);
            }
        }
        assertEquals(frames, next);
    }

    @Test
    void fileRingReusesNames() throws Exception {
        Tools.assumeTcpdump();
        Path file = dir.resolve("ring.pcap");
        int frames = 659 * 5 + 10; // six files' worth, through a ring of two names
        try (PcapFileSink sink = new PcapFileSink(file.toString(), new PcapFileOptions(0, 0, 1, 2, 0))) {
            for (int i = 0; i < frames; i++) {
                // Drops only in the first cycle: their side files must not survive the names' reuse.
                CapturedFrame f = i < 700 && i % 100 == 0
                        ? drop(T0 + i, "veth-x", "tx-queue-full", TestFrames.udpOfLength(1500, i))
                        : rx(T0 + i, TestFrames.udpOfLength(1500, i));
                sink.write(f);
            }
            assertEquals(dir.resolve("ring-0001.pcap"), sink.currentFile());
            assertEquals(2, sink.files().size());
        }
        assertEquals(List.of("ring-0000.pcap", "ring-0001.pcap"), listNames(dir));
        // File 5 (index 4 -> ring-0000) holds frames 2636..3294, file 6 (ring-0001) the last ten.
        List<Integer> first = tagsIn(dir.resolve("ring-0000.pcap"));
        List<Integer> last = tagsIn(dir.resolve("ring-0001.pcap"));
        assertEquals(659, first.size());
        assertEquals(4 * 659, first.getFirst());
        assertEquals(List.of(3295, 3296, 3297, 3298, 3299, 3300, 3301, 3302, 3303, 3304), last);
        assertEquals(10, Tools.tcpdump(dir.resolve("ring-0001.pcap")).size());
    }

    @Test
    void timeRotationFollowsTheInjectedClock() throws Exception {
        Tools.assumeTcpdump();
        AtomicLong clock = new AtomicLong(5 * SECOND);
        Path file = dir.resolve("time.pcap");
        try (PcapFileSink sink =
                new PcapFileSink(file.toString(), PcapFileOptions.defaults().withRotateSeconds(1), null, clock::get)) {
            sink.write(rx(T0, TestFrames.udpOfLength(100, 0)));
            clock.addAndGet(SECOND / 2);
            sink.write(rx(T0, TestFrames.udpOfLength(100, 1)));
            clock.addAndGet(SECOND / 2); // the first file is now 1 s old
            sink.write(rx(T0, TestFrames.udpOfLength(100, 2)));
            clock.addAndGet(999_999_999L);
            sink.write(rx(T0, TestFrames.udpOfLength(100, 3)));
            clock.addAndGet(1);
            sink.write(rx(T0, TestFrames.udpOfLength(100, 4)));
            clock.addAndGet(60 * SECOND); // a quiet minute: one rotation, no empty files
            sink.write(rx(T0, TestFrames.udpOfLength(100, 5)));
            assertEquals(4, sink.files().size());
        }
        assertEquals(List.of("time-0000.pcap", "time-0001.pcap", "time-0002.pcap", "time-0003.pcap"), listNames(dir));
        assertEquals(List.of(0, 1), tagsIn(dir.resolve("time-0000.pcap")));
        assertEquals(List.of(2, 3), tagsIn(dir.resolve("time-0001.pcap")));
        assertEquals(List.of(4), tagsIn(dir.resolve("time-0002.pcap")));
        assertEquals(List.of(5), tagsIn(dir.resolve("time-0003.pcap")));
        assertEquals(2, Tools.tcpdump(dir.resolve("time-0001.pcap")).size());
    }

    @Test
    void emptyFileIsNotRotatedAway() throws Exception {
        AtomicLong clock = new AtomicLong();
        Path file = dir.resolve("quiet.pcap");
        try (PcapFileSink sink =
                new PcapFileSink(file.toString(), PcapFileOptions.defaults().withRotateSeconds(1), null, clock::get)) {
            clock.addAndGet(10 * SECOND);
            sink.write(rx(T0, TestFrames.udpOfLength(100, 0)));
            clock.addAndGet(SECOND / 2);
            sink.write(rx(T0, TestFrames.udpOfLength(100, 1)));
        }
        assertEquals(List.of("quiet-0000.pcap"), listNames(dir));
        assertEquals(List.of(0, 1), tagsIn(dir.resolve("quiet-0000.pcap")));
    }

    @Test
    void timeRingRotatesSideFilesWithTheirPcaps() throws Exception {
        Tools.assumeTcpdump();
        AtomicLong clock = new AtomicLong();
        Path file = dir.resolve("tr");
        try (PcapFileSink sink =
                new PcapFileSink(file.toString(), new PcapFileOptions(0, 5, 0, 3, 0), null, clock::get)) {
            for (int f = 0; f < 5; f++) {
                sink.write(rx(T0, TestFrames.udpOfLength(80, f * 10)));
                if (f != 3) {
                    sink.write(drop(T0, "p" + f, "reason-" + f, TestFrames.udpOfLength(80, f * 10 + 1)));
                }
                sink.write(rx(T0, TestFrames.udpOfLength(80, f * 10 + 2)));
                sink.write(drop(T0, "q" + f, "late-" + f, TestFrames.udpOfLength(80, f * 10 + 3)));
                clock.addAndGet(5 * SECOND);
            }
        }
        // Five files through three names: 0000 holds the 4th file, 0001 the 5th, 0002 the 3rd.
        assertEquals(
                List.of("tr-0000", "tr-0000.reasons", "tr-0001", "tr-0001.reasons", "tr-0002", "tr-0002.reasons"),
                listNames(dir));
        assertEquals(List.of("3\tq3\tlate-3"), Files.readAllLines(dir.resolve("tr-0000.reasons")));
        assertEquals(List.of("2\tp4\treason-4", "4\tq4\tlate-4"), Files.readAllLines(dir.resolve("tr-0001.reasons")));
        assertEquals(List.of("2\tp2\treason-2", "4\tq2\tlate-2"), Files.readAllLines(dir.resolve("tr-0002.reasons")));
        assertEquals(List.of(30, 32, 33), tagsIn(dir.resolve("tr-0000")));
        assertEquals(List.of(40, 41, 42, 43), tagsIn(dir.resolve("tr-0001")));
        assertEquals(4, Tools.tcpdump(dir.resolve("tr-0002")).size());
    }

    @Test
    void snapLengthCutsFramesAndKeepsTheOriginalLength() throws Exception {
        Path file = dir.resolve("snap.pcap");
        byte[] big = TestFrames.udpOfLength(1000, 7);
        boolean origLen;
        try (PcapFileSink sink =
                new PcapFileSink(file.toString(), PcapFileOptions.defaults().withSnaplen(64))) {
            sink.write(rx(T0, big));
            // Already cut by the switch: 50 of 1200 bytes.
            byte[] cut = new byte[50];
            System.arraycopy(big, 0, cut, 0, 50);
            sink.write(new CapturedFrame(T0, "veth-a", CapturedFrame.RX, null, 1200, cut));
            origLen = sink.recordsOriginalLength();
        }
        assertTrue(origLen, "pcap4j internals changed: orig_len falls back to the captured length");
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.nativeOrder());
        assertEquals(0xa1b2c3d4, b.getInt(0), "microsecond pcap in host order");
        assertEquals(64, b.getInt(16), "snaplen in the file header");
        assertEquals(1, b.getInt(20), "EN10MB");
        assertEquals(1_700_000_000, b.getInt(24));
        assertEquals(123_456, b.getInt(28));
        assertEquals(64, b.getInt(32), "incl_len");
        assertEquals(1000, b.getInt(36), "orig_len");
        int second = 24 + 16 + 64;
        assertEquals(50, b.getInt(second + 8));
        assertEquals(1200, b.getInt(second + 12));
        assertEquals(second + 16 + 50, b.capacity());
        try (PcapReader r = PcapReader.open(file)) {
            CapturedFrame f = r.read();
            assertEquals(1000, f.originalLength());
            assertArrayEquals(Arrays.copyOf(big, 64), f.data());
            assertEquals(64, r.snaplen());
        }
    }

    @Test
    void rotationOnStdoutIsRejected() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new PcapFileSink("-", PcapFileOptions.defaults().withRotateMegabytes(10)));
        assertEquals(
                "cannot rotate files (-G/-C/-W) when writing to stdout ('-'): give a file name instead",
                e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> new PcapFileSink("-", PcapFileOptions.defaults().withRotateSeconds(60)));
    }

    @Test
    void unwritablePathGivesLibpcapsMessage() {
        Path file = dir.resolve("no/such/dir/x.pcap");
        IOException e =
                assertThrows(IOException.class, () -> new PcapFileSink(file.toString(), PcapFileOptions.defaults()));
        assertTrue(e.getMessage().startsWith("cannot write " + file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
    }

    @Test
    void writesAfterCloseAreIgnored() throws Exception {
        Path file = dir.resolve("closed.pcap");
        PcapFileSink sink = new PcapFileSink(file.toString(), PcapFileOptions.defaults());
        sink.write(rx(T0, TestFrames.arpRequest()));
        sink.close();
        sink.close();
        assertTrue(sink.isDone());
        sink.write(rx(T0, TestFrames.arpRequest()));
        sink.flush();
        assertEquals(1, sink.written());
        assertEquals(24 + 16 + 60, Files.size(file));
    }

    @Test
    void filesAreFlushedOncePerSecond() throws Exception {
        AtomicLong clock = new AtomicLong();
        Path file = dir.resolve("flush.pcap");
        try (PcapFileSink sink = new PcapFileSink(file.toString(), PcapFileOptions.defaults(), null, clock::get)) {
            sink.write(drop(T0, "p", "r", TestFrames.arpRequest()));
            assertEquals(0, Files.size(file), "buffered");
            clock.addAndGet(SECOND);
            sink.write(rx(T0, TestFrames.arpRequest()));
            assertEquals(24 + 2 * (16 + 60), Files.size(file));
            assertEquals(List.of("1\tp\tr"), Files.readAllLines(PcapFileSink.reasonsPath(file)));
            sink.write(rx(T0, TestFrames.arpRequest()));
            sink.flush();
            assertEquals(24 + 3 * (16 + 60), Files.size(file));
        }
    }

    @Test
    void rotatedNames() {
        assertEquals(Path.of("/x/file-0000.pcap"), PcapFileSink.rotatedPath(Path.of("/x/file.pcap"), 0));
        assertEquals(Path.of("/x/file-0042.pcap"), PcapFileSink.rotatedPath(Path.of("/x/file.pcap"), 42));
        assertEquals(Path.of("file-12345.pcap"), PcapFileSink.rotatedPath(Path.of("file.pcap"), 12345));
        assertEquals(Path.of("a.b/trace-0001"), PcapFileSink.rotatedPath(Path.of("a.b/trace"), 1));
        assertEquals(Path.of("x.tar-0003.gz"), PcapFileSink.rotatedPath(Path.of("x.tar.gz"), 3));
        assertEquals(Path.of(".pcap-0000"), PcapFileSink.rotatedPath(Path.of(".pcap"), 0));
        assertEquals(Path.of("/x/file.pcap.reasons"), PcapFileSink.reasonsPath(Path.of("/x/file.pcap")));
    }

    /** Streams to stdout in a child JVM piped into {@code tcpdump -r -}: frames must show up live. */
    @Test
    void stdoutStreamsLiveIntoTcpdump() throws Exception {
        Tools.assumeTcpdump();
        Path childErr = dir.resolve("child.err");
        Path tcpdumpErr = dir.resolve("tcpdump.err");
        List<String> childCommand = new ArrayList<>();
        childCommand.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        childCommand.addAll(JvmFlags.load());
        childCommand.addAll(List.of("-cp", System.getProperty("java.class.path"), StdoutCaptureMain.class.getName()));
        ProcessBuilder childBuilder = new ProcessBuilder(childCommand).redirectError(childErr.toFile());
        ProcessBuilder tcpdump =
                new ProcessBuilder("tcpdump", "-l", "-#", "-n", "-r", "-").redirectError(tcpdumpErr.toFile());
        List<Process> pipeline = ProcessBuilder.startPipeline(List.of(childBuilder, tcpdump));
        Process child = pipeline.get(0);
        Process dump = pipeline.get(1);
        try {
            var out = new BufferedReader(new InputStreamReader(dump.getInputStream()));
            var lines = new LinkedBlockingQueue<String>();
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    for (String l; (l = out.readLine()) != null; ) {
                        lines.add(l);
                    }
                } catch (IOException ignored) {
                    // the test failed and killed tcpdump
                }
            });
            // The child writes two frames, then waits for its stdin to close: they must arrive now.
            String first = lines.poll(60, TimeUnit.SECONDS);
            String second = lines.poll(10, TimeUnit.SECONDS);
            assertNotNull(
                    first,
                    () -> "nothing from tcpdump; child stderr: " + read(childErr) + " tcpdump stderr: "
                            + read(tcpdumpErr));
            assertTrue(first.matches("\\s*1\\s+.*ARP, Request who-has 10.0.0.2 tell 10.0.0.1.*"), first);
            assertNotNull(second);
            assertTrue(second.matches("\\s*2\\s+.*ICMP echo request.*"), second);
            assertTrue(child.isAlive(), "frames arrived while the capture is still running");
            child.getOutputStream().close();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue(), () -> read(childErr));
            assertTrue(dump.waitFor(30, TimeUnit.SECONDS));
            reader.join(10_000);
            String third = lines.poll();
            assertNotNull(third);
            assertTrue(third.matches("\\s*3\\s+.*Flags \\[S\\].*"), third);
            assertNull(lines.poll());
            assertTrue(read(childErr).contains("2\tveth-b\tno-route\n"), () -> read(childErr));
        } finally {
            child.destroyForcibly();
            dump.destroyForcibly();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
