package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A daemon started with {@code --tap-io uring}: frames read through io_uring into provided buffers
 * and written from where they landed. The rest of the suite runs the default system-call path, so
 * this is where the ring carries real traffic (ping, a TCP stream of TSO super-frames, a broadcast
 * flooded to two ports from one buffer, the gateway's own answers) and where {@code jvs stats} and
 * the metrics show what it did.
 */
class TapIoUringIT {
    private static final String METRICS = "127.0.0.1:9474";

    static DaemonFixture f;
    static String rose;
    static String tulip;
    static String iris;
    static String roseIp;
    static String tulipIp;

    @BeforeAll
    static void setUp() throws Exception {
        final Path disabled = Path.of("/proc/sys/kernel/io_uring_disabled");
        assumeTrue(
                !Files.exists(disabled) || Files.readString(disabled).strip().equals("0"),
                "io_uring is disabled on this kernel");
        f = new DaemonFixture("jvsit-ring", "--tap-io", "uring", "--metrics", METRICS);
        rose = f.container("rose");
        tulip = f.container("tulip");
        iris = f.container("iris");
        f.ok("network", "create", "ringnet", "--subnet", "10.94.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "ringnet", "--name", "rose");
        f.ok("attach", "--netns", tulip, "--network", "ringnet", "--name", "tulip");
        f.ok("attach", "--netns", iris, "--network", "ringnet", "--name", "iris");
        roseIp = f.ipOf("ringnet", "rose");
        tulipIp = f.ipOf("ringnet", "tulip");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private static JsonNode ring() {
        return f.ok("stats", "--json").json().path("tapIo");
    }

    @Test
    void framesAreReadThroughTheRingAndWrittenFromWhereTheyLanded() {
        assertEquals(1, ring().path("ring-reads").asLong(), "reads go through the ring: " + ring());
        final long inPlaceBefore = ring().path("in-place-writes").asLong();
        assertTrue(f.ping(rose, tulipIp, 3), "rose -> tulip");
        assertTrue(f.ping(tulip, roseIp, 3), "tulip -> rose");
        final JsonNode after = ring();
        assertTrue(
                after.path("in-place-writes").asLong() >= inPlaceBefore + 6,
                "every echo and reply left from the buffer it was read into: " + after);
        assertEquals(0, after.path("enter-errors").asLong(), after.toString());
    }

    @Test
    void aTcpStreamOfSuperFramesArrivesWhole() throws Exception {
        final Process server = f.lab.start(tulip, f.dir.resolve("iperf3-ring.txt"), "iperf3", "-s", "-1");
        try {
            Readiness.tcpListener(f.lab, tulip, 5201);
            final long txFramesBefore = f.port("tulip").path("txFrames").asLong();
            final long txBytesBefore = f.port("tulip").path("txBytes").asLong();
            final String report = f.lab.check(rose, "iperf3", "-c", tulipIp, "-t", "2", "-J");
            final JsonNode end = Json.mapper().readTree(report).path("end");
            final long received = end.path("sum_received").path("bytes").asLong();
            System.out.printf(
                    "TCP through the ring, one stream, 2 s: %.2f Gb/s%n",
                    end.path("sum_received").path("bits_per_second").asDouble() / 1e9);
            assertTrue(received > 1_000_000, "the stream carried data: " + received + " bytes");
            final long frames = f.port("tulip").path("txFrames").asLong() - txFramesBefore;
            final long bytes = f.port("tulip").path("txBytes").asLong() - txBytesBefore;
            assertTrue(
                    frames > 0 && bytes / frames > 1514,
                    "TSO super-frames crossed the ring whole (average " + (frames == 0 ? 0 : bytes / frames)
                            + " bytes)");
            assertTrue(f.port("tulip").path("drops").isEmpty(), f.port("tulip").toString());
        } finally {
            server.waitFor(10, TimeUnit.SECONDS);
            server.destroy();
        }
    }

    @Test
    void aBroadcastIsWrittenToEveryOtherPortFromOneBuffer() {
        final long tulipBefore = f.port("tulip").path("txFrames").asLong();
        final long irisBefore = f.port("iris").path("txFrames").asLong();
        final long inPlaceBefore = ring().path("in-place-writes").asLong();
        // the replies do not matter (receivers ignore broadcast echoes by default): the flood does
        f.lab.exec(rose, "ping", "-b", "-c", "3", "-i", "0.2", "-W", "1", "10.94.0.255");
        assertTrue(
                f.port("tulip").path("txFrames").asLong() >= tulipBefore + 3,
                f.port("tulip").toString());
        assertTrue(
                f.port("iris").path("txFrames").asLong() >= irisBefore + 3,
                f.port("iris").toString());
        assertTrue(
                ring().path("in-place-writes").asLong() >= inPlaceBefore + 6,
                "each broadcast left for both ports from its one buffer: " + ring());
    }

    @Test
    void theGatewaysOwnAnswersGoOutThroughTheRingToo() {
        final long writesBefore = ring().path("writes").asLong();
        assertTrue(f.ping(rose, "10.94.0.1", 3), "the gateway answers ping");
        assertTrue(ring().path("writes").asLong() >= writesBefore + 3, ring().toString());
    }

    @Test
    void statsAndMetricsShowTheRing() {
        final String table = f.ok("stats").out();
        assertTrue(table.contains("TAP I/O RING") && table.contains("in-place-writes"), table);
        final String metrics = f.lab.check(f.host, "curl", "-s", "http://" + METRICS + "/metrics");
        assertTrue(metrics.contains("jvs_tapio_ring_reads 1"), metrics);
        assertTrue(metrics.contains("jvs_tapio_ring_events_total{event=\"in-place-writes\"}"), metrics);
    }
}
