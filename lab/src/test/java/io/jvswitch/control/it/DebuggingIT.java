package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * jvs capture, trace, replay, stats and metrics against a real daemon, read back with tcpdump and
 * tshark. Captures run as separate CLI processes, as users run them.
 */
class DebuggingIT {
    static DaemonFixture f;
    static String rose;
    static String tulip;
    static String lily;
    static String roseIp;
    static String tulipIp;
    static String lilyIp;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-dbg", "--metrics", "127.0.0.1:9469", "--capture-ring", "64");
        rose = f.container("rose");
        tulip = f.container("tulip");
        lily = f.container("lily");
        f.ok("network", "create", "frontend", "--subnet", "10.88.0.0/24");
        f.ok("network", "create", "backend", "--subnet", "10.87.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        f.ok("attach", "--netns", tulip, "--network", "frontend", "--name", "tulip");
        f.ok("attach", "--netns", lily, "--network", "backend", "--name", "lily");
        roseIp = f.ipOf("frontend", "rose");
        tulipIp = f.ipOf("frontend", "tulip");
        lilyIp = f.ipOf("backend", "lily");
        assertTrue(f.ping(rose, tulipIp, 1));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    static Process capture(Path stderr, String... args) throws Exception {
        return CaptureProcess.start(f, stderr, args);
    }

    static void interrupt(Process p) throws Exception {
        CaptureProcess.interrupt(p);
    }

    static String tool(String... command) {
        return CaptureProcess.tool(command);
    }

    @Test
    void aPortCaptureReadsBackWithTcpdumpAndTshark() throws Exception {
        final Path file = f.dir.resolve("rose.pcap");
        final Process p = capture(f.dir.resolve("rose.err"), "rose", "-w", file.toString());
        f.lab.check(rose, "ip", "neigh", "flush", "dev", "eth0");
        assertTrue(f.ping(rose, tulipIp, 3));
        interrupt(p);
        final String tcpdump = tool("tcpdump", "-nr", file.toString());
        assertTrue(tcpdump.contains("ARP, Request who-has " + tulipIp + " tell " + roseIp), tcpdump);
        assertTrue(
                tcpdump.contains("ARP, Reply " + tulipIp + " is-at 02:4a:0a:58:00:03"),
                "the switch's answer\n" + tcpdump);
        assertTrue(tcpdump.contains(roseIp + " > " + tulipIp + ": ICMP echo request"), tcpdump);
        assertTrue(tcpdump.contains(tulipIp + " > " + roseIp + ": ICMP echo reply"), tcpdump);
        final String tshark = tool("tshark", "-r", file.toString(), "-T", "fields", "-e", "frame.protocols");
        assertTrue(tshark.contains("eth:ethertype:arp"), tshark);
        assertTrue(tshark.contains("eth:ethertype:ip:icmp"), tshark);
        assertTrue(Files.readString(f.dir.resolve("rose.err")).matches("(?s).*\\d+ frames written to .*"));
    }

    @Test
    void tcpIsCapturedAndDecoded() throws Exception {
        final Path file = f.dir.resolve("tcp.pcap");
        final Process p = capture(f.dir.resolve("tcp.err"), "tulip", "tcp", "port", "5201", "-w", file.toString());
        final Process server = f.lab.start(tulip, f.dir.resolve("iperf-tcp.txt"), "iperf3", "-s", "-1");
        try {
            Readiness.tcpListener(f.lab, tulip, 5201);
            f.lab.check(rose, "iperf3", "-c", tulipIp, "-n", "256K");
        } finally {
            server.waitFor(10, TimeUnit.SECONDS);
            server.destroy();
        }
        interrupt(p);
        final String tcpdump = tool("tcpdump", "-nr", file.toString());
        assertTrue(tcpdump.contains(roseIp + ".") && tcpdump.contains(" > " + tulipIp + ".5201: Flags [S]"), tcpdump);
        assertTrue(tcpdump.contains(tulipIp + ".5201 > " + roseIp + ".") && tcpdump.contains("Flags [S.]"), tcpdump);
        final String tshark = tool("tshark", "-r", file.toString(), "-T", "fields", "-e", "tcp.dstport");
        assertTrue(tshark.lines().anyMatch(l -> l.equals("5201")), tshark);
    }

    @Test
    void aCaptureStreamsLiveIntoTcpdump() throws Exception {
        final Path out = f.dir.resolve("live.txt");
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String cli = String.join(
                " ",
                List.of(
                        "'" + java + "'",
                        String.join(" ", DaemonProcess.JVM_FLAGS),
                        "-cp",
                        "'" + System.getProperty("java.class.path") + "'",
                        "io.jvswitch.control.Main",
                        "capture",
                        "rose",
                        "icmp",
                        "-c",
                        "2",
                        "-w",
                        "-",
                        "--socket",
                        f.socket.toString()));
        final long before = CaptureProcess.sessionsStarted(f);
        final Process pipe = new ProcessBuilder("bash", "-c", cli + " | tcpdump -l -nr -")
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        Await.until(
                "the daemon starts the capture session",
                Duration.ofSeconds(30),
                () -> CaptureProcess.sessionsStarted(f) > before);
        assertTrue(f.ping(rose, tulipIp, 1));
        assertTrue(pipe.waitFor(20, TimeUnit.SECONDS), "-c 2 ends the pipe");
        final String text = Files.readString(out);
        assertTrue(text.contains("ICMP echo request") && text.contains("ICMP echo reply"), text);
    }

    @Test
    void aFilterSelectsExactlyTheMatchingFrames() throws Exception {
        final Path file = f.dir.resolve("icmp.pcap");
        final Process p =
                capture(f.dir.resolve("icmp.err"), "rose", "icmp", "and", "dst", tulipIp, "-w", file.toString());
        assertTrue(f.ping(rose, tulipIp, 4));
        f.lab.check(rose, "ip", "neigh", "flush", "dev", "eth0");
        assertTrue(f.ping(rose, tulipIp, 1)); // an ARP exchange too, which must not be captured
        interrupt(p);
        final String[] frames = tool("tshark", "-r", file.toString(), "-T", "fields", "-e", "icmp.type", "-e", "ip.dst")
                .strip()
                .split("\n");
        assertEquals(5, frames.length, String.join("\n", frames));
        for (String frame : frames) {
            assertEquals("8\t" + tulipIp, frame, "only echo requests to tulip");
        }
    }

    @Test
    void theCountLimitStopsTheCapture() throws Exception {
        final Path file = f.dir.resolve("count.pcap");
        final Process p = capture(f.dir.resolve("count.err"), "tulip", "-c", "3", "-w", file.toString());
        assertTrue(f.ping(rose, tulipIp, 3));
        assertTrue(p.waitFor(15, TimeUnit.SECONDS), "-c 3 ends the capture by itself");
        assertEquals(3, tool("tcpdump", "-nr", file.toString()).strip().lines().count());
        final String summary = Files.readString(f.dir.resolve("count.err"));
        assertTrue(summary.contains("3 frames written to " + file), summary);
        assertTrue(!summary.contains("copied"), "no stale daemon figures: " + summary);
    }

    /** A capture the daemon refuses says why in one line, and leaves files as they were. */
    @Test
    void aCaptureThatCannotStartTouchesNoFile() throws Exception {
        final Path existing = f.dir.resolve("keep.pcap");
        Files.writeString(existing, "an earlier capture");
        final Path absent = f.dir.resolve("absent.pcap");
        for (Path file : List.of(existing, absent)) {
            final String w = file.toString();
            refusedCapture("no endpoint named nosuch", "nosuch", "-w", w);
            refusedCapture("tcp port banana", "rose", "tcp", "port", "banana", "-w", w);
            refusedCapture("unknown capture point 'bogus'", "rose", "--point", "bogus", "-w", w);
            refusedCapture("no network named nosuch", "--network", "nosuch", "-w", w);
            refusedCapture("no host link named nosuch (it is jvs0)", "host:nosuch", "-w", w);
            refusedCapture(
                    "network frontend has no tunnel port: it is not an overlay network", "vxlan:frontend", "-w", w);
            refusedCapture("-c must be at least 1, not 0", "rose", "-c", "0", "-w", w);
            refusedCapture("-c must be at least 1, not -2", "rose", "-c", "-2", "-w", w);
            refusedCapture(
                    "no directory", "rose", "-w", f.dir.resolve("nodir/x.pcap").toString());
            assertEquals("an earlier capture", Files.readString(existing), "the existing file untouched");
            assertTrue(Files.notExists(absent), "no file created");
        }
    }

    private static void refusedCapture(String message, String... args) {
        final List<String> full = new ArrayList<>(List.of("capture"));
        full.addAll(List.of(args));
        final DaemonFixture.Cli cli = f.jvs(full.toArray(String[]::new));
        assertEquals(1, cli.exit(), String.join(" ", full) + ": " + cli.err());
        assertTrue(
                cli.err().startsWith("jvs: ") && cli.err().contains(message),
                String.join(" ", full) + ": " + cli.err());
        assertEquals(1, cli.err().strip().lines().count(), "one line, no \"capturing\": " + cli.err());
    }

    @Test
    void aTraceThatSeesNoMatchingFrameSaysSoInOneLine() {
        final long severeBefore = severeLines();
        final DaemonFixture.Cli cli = f.jvs("trace", "--from", "lily", "--match", "udp port 9", "--timeout", "1");
        assertEquals(1, cli.exit(), cli.err());
        assertEquals("jvs: no frame on lily matched 'udp port 9' within 1 s\n", cli.err());
        assertEquals(severeBefore, severeLines(), "no stack trace in the daemon log:\n" + f.daemon.logText());
        // and the port can be traced again at once: the timed-out trace was disarmed
        final DaemonFixture.Cli again = f.jvs("trace", "--from", "lily", "--match", "udp port 9", "--timeout", "1");
        assertEquals("jvs: no frame on lily matched 'udp port 9' within 1 s\n", again.err());
    }

    /** The CLI waits for the daemon as long as the trace may take, not its usual minute. */
    @Test
    void aTraceMayWaitLongerThanAMinute() {
        final long start = System.nanoTime();
        final DaemonFixture.Cli cli = f.jvs("trace", "--from", "lily", "--match", "udp port 7", "--timeout", "62");
        assertEquals("jvs: no frame on lily matched 'udp port 7' within 62 s\n", cli.err());
        assertTrue(System.nanoTime() - start >= TimeUnit.SECONDS.toNanos(62), "it waited the whole --timeout");
    }

    private static long severeLines() {
        return f.daemon
                .logText()
                .lines()
                .filter(l -> l.contains("SEVERE") || l.contains("Exception"))
                .count();
    }

    @Test
    void dropsCarryTheirReason() throws Exception {
        final Path file = f.dir.resolve("drops.pcap");
        final Process p = capture(f.dir.resolve("drops.err"), "--drops", "-w", file.toString());
        assertTrue(!f.ping(rose, lilyIp, 2), "another network is unreachable");
        interrupt(p);
        final List<String> reasons = Files.readAllLines(Path.of(file + ".reasons"));
        assertEquals(2, reasons.size(), reasons.toString());
        for (String line : reasons) {
            assertTrue(line.endsWith("\trose\tisolated"), line);
        }
        final String tcpdump = tool("tcpdump", "-#", "-nr", file.toString());
        assertTrue(
                tcpdump.contains("1  ") && tcpdump.contains(roseIp + " > " + lilyIp + ": ICMP echo request"), tcpdump);
    }

    @Test
    void traceNamesTheStagesOfAKnownPath() {
        final String forward = f.ok("trace", "--from", "rose", "tcp", "dst", tulipIp, "port", "443")
                .out();
        assertTrue(
                forward.contains("ingress-checks")
                        && forward.contains("l2-lookup")
                        && forward.contains("FDB of frontend: 02:4a:0a:58:00:03 -> port tulip"),
                forward);
        assertTrue(forward.contains("verdict: forwarded to tulip"), forward);
        final String arp =
                f.ok("trace", "--from", "rose", "arp", "who-has", tulipIp).out();
        assertTrue(arp.contains("arp-proxy") && arp.contains("verdict: answered (proxy-ARP) out of rose"), arp);
        final String blocked =
                f.ok("trace", "--from", "rose", "icmp", "dst", lilyIp).out();
        assertTrue(blocked.contains("verdict: dropped at rose: isolated"), blocked);
        final DaemonFixture.Cli bad = f.jvs("trace", "--from", "rose", "tcp", "dst", tulipIp);
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("say the destination port"), bad.err());
    }

    @Test
    void aRealFrameCanBeTraced() throws Exception {
        // The trace arms in the daemon some time after the command starts: ping until it has seen one.
        final CompletableFuture<String> trace = CompletableFuture.supplyAsync(
                () -> f.ok("trace", "--from", "tulip", "--match", "icmp", "--timeout", "20")
                        .out());
        Await.until("the trace sees a ping", Duration.ofSeconds(25), () -> {
            if (!trace.isDone()) {
                f.ping(tulip, roseIp, 1);
            }
            return trace.isDone();
        });
        final String real = trace.get();
        assertTrue(real.contains("real frame matching: icmp") && real.contains("verdict: forwarded to rose"), real);
    }

    @Test
    void replayReproducesAFlow() throws Exception {
        final Path file = f.dir.resolve("flow.pcap");
        final Process p =
                capture(f.dir.resolve("flow.err"), "rose", "--point", "rx", "icmp", "-c", "3", "-w", file.toString());
        assertTrue(f.ping(rose, tulipIp, 3));
        CaptureProcess.awaitCount(p, f.dir.resolve("flow.err")); // the three echo requests
        final Path atTulip = f.dir.resolve("replayed.pcap");
        // -c 6: the capture ends by itself once the three replayed requests and their replies are written.
        final Process watch =
                capture(f.dir.resolve("replayed.err"), "tulip", "icmp", "-c", "6", "-w", atTulip.toString());
        final String out = f.ok("replay", file.toString(), "--into", "rose").out();
        assertTrue(out.contains("3 frames injected into rose"), out);
        if (!watch.waitFor(20, TimeUnit.SECONDS)) {
            interrupt(watch);
        }
        final String seen = tool("tcpdump", "-nr", atTulip.toString());
        assertEquals(
                3,
                seen.lines()
                        .filter(l -> l.contains(roseIp + " > " + tulipIp + ": ICMP echo request"))
                        .count(),
                "the echo requests reached tulip again:\n" + seen);
        assertEquals(
                3,
                seen.lines()
                        .filter(l -> l.contains(tulipIp + " > " + roseIp + ": ICMP echo reply"))
                        .count(),
                "and tulip's kernel answered them:\n" + seen);
    }

    @Test
    void statsAndPrometheusShowPortsStagesAndReasons() throws Exception {
        assertTrue(!f.ping(rose, lilyIp, 1));
        final JsonNode stats = f.ok("stats", "--json").json();
        assertTrue(stats.path("dropsByStage").path("route").asLong() >= 1, stats.toString());
        assertTrue(stats.path("dropsByReason").path("isolated").asLong() >= 1);
        assertEquals(4, stats.path("ports").size(), "three endpoints and the host link");
        final String table = f.ok("stats").out();
        assertTrue(table.contains("STAGE") && table.contains("isolated"), table);
        final String metrics = f.lab.check(f.host, "curl", "-s", "http://127.0.0.1:9469/metrics");
        assertTrue(metrics.contains("# TYPE jvs_port_rx_frames_total counter"), metrics);
        assertTrue(
                metrics.matches("(?s).*jvs_port_drops_total\\{port=\"rose\",network=\"frontend\",stage=\"route\","
                        + "reason=\"isolated\"} \\d+.*"),
                metrics);
        assertTrue(metrics.contains("jvs_network_fdb_entries{network=\"frontend\"} 2"), metrics);
    }

    @Test
    void aCaptureThatFallsBehindLosesCopiesNotForwarding() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/iperf3")), "needs iperf3");
        final double without = udpRate();
        // A capture to stdout that nobody reads: its pipe fills, the daemon's queue to it fills, frames are lost.
        final Path stderr = f.dir.resolve("stuck.err");
        final List<String> command =
                new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
        command.addAll(DaemonProcess.JVM_FLAGS);
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                "io.jvswitch.control.Main",
                "capture",
                "tulip",
                "-w",
                "-",
                "--socket",
                f.socket.toString()));
        final Process stuck =
                new ProcessBuilder(command).redirectError(stderr.toFile()).start(); // stdout never read
        try {
            // The capture client is a JVM of its own, slow to start on a loaded machine: wait until its
            // session copies frames (a ping makes some) before measuring.
            for (int i = 0;
                    i < 100
                            && f.ok("stats", "--json")
                                            .json()
                                            .path("capture")
                                            .path("copied")
                                            .asLong()
                                    == 0;
                    i++) {
                f.ping(rose, tulipIp, 1);
            }
            assertTrue(
                    f.ok("stats", "--json")
                                    .json()
                                    .path("capture")
                                    .path("copied")
                                    .asLong()
                            > 0,
                    "the capture started: " + Files.readString(stderr));
            final double with = udpRate();
            System.out.printf(
                    "UDP 64 B received: %.0f pps without capture, %.0f pps with a stalled capture%n", without, with);
            final JsonNode capture = f.ok("stats", "--json").json().path("capture");
            assertTrue(
                    capture.path("ringDrops").asLong()
                                    + capture.path("clientDrops").asLong()
                            > 0,
                    "capture losses are counted: " + capture);
            assertTrue(with > 0.6 * without, "forwarding is not held up by the capture: " + with + " vs " + without);
        } finally {
            stuck.destroyForcibly();
            stuck.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Packets per second tulip received from a 3 s full-rate 64-byte UDP stream from rose. */
    private static double udpRate() throws Exception {
        final Process server = f.lab.start(tulip, f.dir.resolve("iperf-u.txt"), "iperf3", "-s", "-1");
        try {
            Readiness.tcpListener(f.lab, tulip, 5201);
            final String report =
                    f.lab.check(rose, "iperf3", "-c", tulipIp, "-u", "-b", "0", "-l", "64", "-t", "3", "-J");
            final JsonNode sum = Json.mapper().readTree(report).path("end").path("sum");
            final double seconds = sum.path("seconds").asDouble();
            return (sum.path("packets").asDouble() - sum.path("lost_packets").asDouble()) / seconds;
        } finally {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
