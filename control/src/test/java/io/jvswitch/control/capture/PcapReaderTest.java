package io.jvswitch.control.capture;

import static io.jvswitch.control.capture.TestFrames.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;

class PcapReaderTest {

    @TempDir
    Path dir;

    @BeforeEach
    void needLibpcap() {
        Tools.assumeLibpcap();
    }

    private static List<CapturedFrame> sample() {
        return List.of(
                CapturedFrame.of(T0, "veth-a", CapturedFrame.RX, null, TestFrames.arpRequest()),
                CapturedFrame.of(T0 + 1_999, "veth-b", CapturedFrame.TX, null, TestFrames.icmpEcho()),
                CapturedFrame.of(
                        T0 + 86_400_000_000_000L, "veth-b", CapturedFrame.DROP, "no-route", TestFrames.tcpSyn()),
                CapturedFrame.of(5_000_000_001L, "veth-c", CapturedFrame.RX, null, TestFrames.dnsQuery()));
    }

    private Path writeSample(String name) throws IOException {
        Path file = dir.resolve(name);
        try (PcapFileSink sink = new PcapFileSink(file.toString(), PcapFileOptions.defaults())) {
            for (CapturedFrame f : sample()) {
                sink.write(f);
            }
        }
        return file;
    }

    private static void assertSameFrames(List<CapturedFrame> read) {
        List<CapturedFrame> written = sample();
        assertEquals(written.size(), read.size());
        for (int i = 0; i < written.size(); i++) {
            CapturedFrame w = written.get(i);
            CapturedFrame r = read.get(i);
            assertArrayEquals(w.data(), r.data(), "frame " + i);
            assertEquals(w.originalLength(), r.originalLength());
            assertEquals(w.epochNanos() / 1_000 * 1_000, r.epochNanos(), "frame " + i + ": microseconds kept");
            assertEquals(CapturedFrame.RX, r.point());
            assertEquals("", r.port());
            assertNull(r.dropReason());
        }
    }

    @Test
    void readsBackWhatTheSinkWrote() throws Exception {
        Path file = writeSample("back.pcap");
        List<CapturedFrame> read = new ArrayList<>();
        try (PcapReader r = PcapReader.open(file)) {
            assertEquals(PcapFileOptions.DEFAULT_SNAPLEN, r.snaplen());
            for (CapturedFrame f; (f = r.read()) != null; ) {
                read.add(f);
            }
            assertNull(r.read(), "stays at the end");
            assertEquals(4, r.framesRead());
        }
        assertSameFrames(read);
    }

    @Test
    void iteratesLikeAnIterator() throws Exception {
        Path file = writeSample("iter.pcap");
        List<CapturedFrame> read = new ArrayList<>();
        try (PcapReader r = PcapReader.open(file.toString())) {
            assertTrue(r.hasNext());
            assertTrue(r.hasNext(), "hasNext does not consume");
            r.forEachRemaining(read::add);
            assertFalse(r.hasNext());
            assertThrows(NoSuchElementException.class, r::next);
        }
        assertSameFrames(read);
    }

    @Test
    void refusesOtherLinkTypes() throws Exception {
        Path file = dir.resolve("cooked.pcap");
        try (PcapHandle h = Pcaps.openDead(DataLinkType.LINUX_SLL, 65535);
                PcapDumper d = h.dumpOpen(file.toString())) {
            d.dumpRaw(new byte[32], new Timestamp(0));
        }
        IOException e = assertThrows(IOException.class, () -> PcapReader.open(file));
        assertEquals("replay needs an Ethernet capture; " + file + " has link type LINUX_SLL", e.getMessage());
    }

    @Test
    void missingFileGivesLibpcapsMessage() {
        Path file = dir.resolve("missing.pcap");
        IOException e = assertThrows(IOException.class, () -> PcapReader.open(file));
        assertEquals(file + ": No such file or directory", e.getMessage());
    }

    @Test
    void notACaptureIsRefused() throws Exception {
        Path file = dir.resolve("text.pcap");
        Files.writeString(file, "this is not a capture file, just some text\n");
        IOException e = assertThrows(IOException.class, () -> PcapReader.open(file));
        assertTrue(e.getMessage().contains("unknown file format"), e.getMessage());
    }

    @Test
    void truncatedFileFailsAtTheBrokenRecord() throws Exception {
        Path file = writeSample("cut.pcap");
        byte[] all = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(all, all.length - 10));
        try (PcapReader r = PcapReader.open(file)) {
            for (int i = 0; i < 3; i++) {
                r.read();
            }
            IOException e = assertThrows(IOException.class, r::read);
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    /** A pcapng converted by editcap, when Wireshark's tools are installed. */
    @Test
    void readsPcapngFromEditcap() throws Exception {
        assumeTrue(Tools.available("editcap", "-h"), "editcap (wireshark-common) is not installed");
        Path pcap = writeSample("in.pcap");
        Path ng = dir.resolve("out.pcapng");
        Process p = new ProcessBuilder("editcap", "-F", "pcapng", pcap.toString(), ng.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        byte[] head = Arrays.copyOf(Files.readAllBytes(ng), 4);
        assertArrayEquals(new byte[] {0x0a, 0x0d, 0x0d, 0x0a}, head, "a pcapng section header");
        List<CapturedFrame> read = new ArrayList<>();
        try (PcapReader r = PcapReader.open(ng)) {
            assertTrue(r.nanosecondTimestamps());
            r.forEachRemaining(read::add);
        }
        assertSameFrames(read);
    }
}
