package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Containers (namespaces) on TAPs served by a real daemon: reachability, isolation, proxy-ARP, bad input. */
class SwitchingIT {
    static DaemonFixture f;
    static String rose;
    static String tulip;
    static String iris;
    static String lily;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-sw");
        rose = f.container("rose");
        tulip = f.container("tulip");
        iris = f.container("iris");
        lily = f.container("lily");
        f.ok("network", "create", "frontend", "--subnet", "10.91.0.0/24");
        f.ok("network", "create", "backend", "--subnet", "10.92.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        f.ok("attach", "--netns", tulip, "--network", "frontend", "--name", "tulip");
        f.ok("attach", "--netns", iris, "--network", "frontend", "--name", "iris");
        f.ok("attach", "--netns", lily, "--network", "backend", "--name", "lily");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void containersOnOneNetworkReachEachOther() {
        assertTrue(f.ping(rose, f.ipOf("frontend", "tulip"), 3), "rose -> tulip");
        assertTrue(f.ping(tulip, f.ipOf("frontend", "iris"), 3), "tulip -> iris");
        final String inside = f.lab.check(rose, "ip", "-o", "-4", "addr", "show", "dev", "eth0");
        assertTrue(inside.contains("10.91.0.2/24"), inside);
        assertTrue(f.lab.check(rose, "ip", "route").contains("default via 10.91.0.1 dev eth0"));
    }

    @Test
    void anotherNetworkIsUnreachable() {
        final long lilyTxBefore = f.port("lily").path("txFrames").asLong();
        assertFalse(f.ping(rose, f.ipOf("backend", "lily"), 2), "rose must not reach lily on another network");
        assertEquals(lilyTxBefore, f.port("lily").path("txFrames").asLong(), "nothing from frontend reached lily");
        assertTrue(f.port("rose").path("drops").path("isolated").asLong() >= 2, "refused by the gateway as isolated");
    }

    @Test
    void arpIsAnsweredByTheSwitchAndNotSeenByOthers() throws Exception {
        final String tulipIp = f.ipOf("frontend", "tulip");
        final Path capture = f.dir.resolve("iris-arp.txt");
        final Process tcpdump = f.lab.start(iris, capture, "tcpdump", "-i", "eth0", "-n", "-l", "arp");
        try {
            Readiness.printed(capture, "listening on");
            f.lab.check(rose, "ip", "neigh", "flush", "dev", "eth0");
            final long answeredBefore = f.port("rose").path("arpAnswered").asLong();
            final long tulipTxBefore = f.port("tulip").path("txFrames").asLong();
            assertTrue(f.ping(rose, tulipIp, 1));
            assertTrue(f.port("rose").path("arpAnswered").asLong() > answeredBefore, "the switch answered rose's ARP");
            assertTrue(
                    f.lab.check(rose, "ip", "neigh", "show", tulipIp).contains("02:4a:0a:5b:00:03"),
                    "rose learned tulip's MAC from the answer");
            // tulip got the echo request only (and possibly its own ARP for rose answered by the switch)
            assertTrue(f.port("tulip").path("txFrames").asLong() - tulipTxBefore <= 2);
        } finally {
            tcpdump.destroy();
            tcpdump.waitFor();
        }
        final String seen = Files.readString(capture);
        assertFalse(seen.contains("who-has " + tulipIp + " tell"), "iris saw rose's ARP request:\n" + seen);
    }

    @Test
    void badFramesAreDroppedAndCountedAndForwardingContinues() throws Exception {
        final String script = Path.of(Objects.requireNonNull(getClass().getResource("/send-frames.py"))
                        .toURI())
                .toString();
        final String roseMac = "024a0a5b0002";
        final String tulipMac = "024a0a5b0003";
        final String multicastSource = tulipMac + "01005e000001" + "0800" + "45".repeat(46);
        final String truncatedArp = "ffffffffffff" + roseMac + "0806" + "0001080006040001";
        final String zeroSource = tulipMac + "000000000000" + "0800" + "45".repeat(46);
        final JsonNode before = f.port("rose").path("drops");
        f.lab.check(rose, "python3", script, "eth0", multicastSource, truncatedArp, zeroSource);
        // An oversize frame: the container's MTU is raised so its kernel lets the frame out.
        f.lab.check(rose, "ip", "link", "set", "eth0", "mtu", "2000");
        try {
            f.lab.check(rose, "python3", script, "eth0", tulipMac + roseMac + "0800" + "45".repeat(1600));
        } finally {
            f.lab.check(rose, "ip", "link", "set", "eth0", "mtu", "1500");
        }
        final JsonNode after = f.port("rose").path("drops");
        for (String reason : List.of("multicast-source", "truncated-arp", "zero-source", "oversize")) {
            assertEquals(before.path(reason).asLong() + 1, after.path(reason).asLong(), reason + " in " + after);
        }
        assertTrue(f.ping(rose, f.ipOf("frontend", "tulip"), 2), "forwarding continues");
    }

    @Test
    void portSecurityKeepsForgedSourcesOutOfTheFdb() throws Exception {
        final String script = Path.of(Objects.requireNonNull(getClass().getResource("/send-frames.py"))
                        .toURI())
                .toString();
        // 5000 forged source MACs from one container: port security drops them before learning.
        final List<String> frames = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            frames.add("ffffffffffff" + String.format("02bb%08x", i) + "0800" + "45".repeat(46));
        }
        for (int from = 0; from < frames.size(); from += 500) {
            final List<String> args = new ArrayList<>(List.of("python3", script, "eth0"));
            args.addAll(frames.subList(from, from + 500));
            f.lab.check(iris, args.toArray(String[]::new));
        }
        assertEquals(
                5000, f.port("iris").path("drops").path("spoofed-source-mac").asLong());
        assertEquals(1, f.port("iris").path("macsLearned").asLong(), "only iris's own MAC");
        assertTrue(f.ping(rose, f.ipOf("frontend", "tulip"), 2), "other ports keep forwarding");
    }

    @Test
    void aDeletedContainerIsDetachedAndOthersAreUnaffected() throws Exception {
        final String daisy = f.container("daisy");
        f.ok("attach", "--netns", daisy, "--network", "frontend", "--name", "daisy");
        assertTrue(f.ping(daisy, f.ipOf("frontend", "rose"), 1));
        f.lab.delete(daisy);
        Await.until("daisy's port is gone", Duration.ofSeconds(10), () -> f.port("daisy") == null);
        assertFalse(f.ok("network", "inspect", "frontend").out().contains("\"daisy\""), "and its endpoint");
        assertTrue(f.ping(rose, f.ipOf("frontend", "tulip"), 1));
    }

    @Test
    void tcpSuperFramesCrossTheSwitchWhole() throws Exception {
        final String tulipIp = f.ipOf("frontend", "tulip");
        final Process server = f.lab.start(tulip, f.dir.resolve("iperf3-server.txt"), "iperf3", "-s", "-1");
        try {
            Readiness.tcpListener(f.lab, tulip, 5201);
            final long rxFramesBefore = f.port("rose").path("rxFrames").asLong();
            final long rxBytesBefore = f.port("rose").path("rxBytes").asLong();
            final String report = f.lab.check(rose, "iperf3", "-c", tulipIp, "-t", "3", "-J");
            final JsonNode result = Json.mapper().readTree(report);
            final double gbps = result.path("end")
                            .path("sum_received")
                            .path("bits_per_second")
                            .asDouble()
                    / 1e9;
            System.out.printf("TCP through jvs, one stream, 3 s: %.2f Gb/s%n", gbps);
            assertTrue(gbps > 0.1, "TCP flows: " + gbps + " Gb/s");
            final long frames = f.port("rose").path("rxFrames").asLong() - rxFramesBefore;
            final long bytes = f.port("rose").path("rxBytes").asLong() - rxBytesBefore;
            assertTrue(
                    bytes / frames > 1514,
                    "frames larger than the MTU: the container's TSO super-frames reach "
                            + "the switch and pass whole (average " + bytes / frames + " bytes)");
            assertEquals(
                    0, f.port("tulip").path("drops").path("gso-unsupported").asLong());
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    @Test
    void aContainerOnTwoNetworksGetsEth1() {
        final String both = f.container("both");
        f.ok("attach", "--netns", both, "--network", "frontend", "--name", "both");
        f.ok("attach", "--netns", both, "--network", "backend", "--name", "both");
        assertTrue(
                f.lab.links(both).containsAll(List.of("eth0", "eth1")),
                f.lab.links(both).toString());
        assertTrue(f.ping(both, f.ipOf("backend", "lily"), 1), "reaches backend through eth1");
        assertTrue(f.ping(both, f.ipOf("frontend", "rose"), 1), "and frontend through eth0");
        f.ok("detach", "both", "--network", "backend");
        assertEquals(List.of("eth0"), f.lab.links(both));
        f.ok("detach", "both");
        assertTrue(f.lab.links(both).isEmpty());
    }
}
