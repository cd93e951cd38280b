package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sets up every path, then measures figure by figure with the paths interleaved (bridge, jvs, ovs,
 * ovs-tso, kernel-vxlan, jvs-vxlan, kernel-nat, jvs-nat, bridge, jvs, ...) so that a path and its
 * reference are always measured side by side, and tears everything down, also on failure and on
 * Ctrl-C (a shutdown hook). A figure a path declares n/a ({@link DataplanePath#notMeasured}) is
 * not run on it.
 */
public final class BenchRunner {
    private static final long SERVER_START_SECONDS = 10;
    /** A pause after each test (and the warm-up), so queues drain before the next one starts. */
    private static final long DRAIN_MILLIS = 300;
    /** UDP payload of a 1518-byte Ethernet frame (FCS included): 1518 - 4 - 14 - 20 - 8. */
    private static final int UDP_1518_PAYLOAD = 1472;

    private final BenchOptions options;
    private final PrintStream progress;
    private final long clockTicksPerSecond;
    private final List<DataplanePath> active = new ArrayList<>();
    private final List<Process> servers = new ArrayList<>();
    private NetnsLab lab;
    private BenchWorkspace workspace;
    private ConnectionRateProbe connectionRate;
    private boolean cleaned;
    private final PathIsolation isolation = new PathIsolation();
    private final LoadPairs loadPairs = new LoadPairs();

    public BenchRunner(BenchOptions options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
        this.clockTicksPerSecond = ProcessCpu.clockTicksPerSecond();
    }

    static List<DataplanePath> pathsFor(BenchOptions options) {
        final List<DataplanePath> paths = new ArrayList<>();
        for (String key : options.paths()) {
            paths.add(
                    switch (key) {
                        case "bridge" -> new KernelBridgePath();
                        case "bridge6" -> new KernelBridgePath(true);
                        case "ovs" -> new OvsUserspacePath(false);
                        case "ovs-tso" -> new OvsUserspacePath(true);
                        case "kernel-vxlan" -> new KernelVxlanPath();
                        case "kernel-nat" -> new KernelDnatPath();
                        default -> jvsPath(key, null, options.jvsDaemonArgs());
                    });
        }
        // each variant beside every jvs path asked for, rated against the same kernel reference
        options.jvsVariants().forEach((name, args) -> {
            for (String key : options.paths()) {
                if (BenchOptions.VARIED_PATHS.contains(key)) {
                    paths.add(jvsPath(key, name, args));
                }
            }
        });
        return paths;
    }

    /**
     * The jvs path {@code key} whose daemons take {@code daemonArgs}: the path itself with a null
     * {@code variant}, else that variant of it ({@code KEY-VARIANT}).
     */
    private static DataplanePath jvsPath(String key, String variant, List<String> daemonArgs) {
        return switch (key) {
            case "jvs" -> new JvsSwitchPath(JvsPath.variantKey("jvs", variant), daemonArgs);
            case "jvs6" -> new JvsSwitchPath(JvsPath.variantKey("jvs6", variant), daemonArgs, true);
            case "jvs-vxlan" -> new JvsVxlanPath(variant, daemonArgs);
            case "jvs-nat" -> new JvsPublishedPortPath(variant, daemonArgs);
            default -> throw new IllegalArgumentException("unknown path " + key);
        };
    }

    public BenchResults run() throws Exception {
        final Thread hook = new Thread(this::cleanUp, "jvs-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return measure();
        } finally {
            cleanUp();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    private BenchResults measure() throws Exception {
        final BenchResults results = new BenchResults(options.runs());
        lab = new NetnsLab("jvsbench");
        workspace = new BenchWorkspace();
        connectionRate = new ConnectionRateProbe(workspace.dir("connection-rate"));
        for (DataplanePath path : pathsFor(options)) {
            final String skipped = path.unavailableReason();
            if (skipped != null) {
                results.addPath(BenchResults.PathInfo.skipped(path.key(), path.title(), path.referenceKey(), skipped));
                continue;
            }
            progress.printf("\rjvs bench: setting up %-40s", path.title());
            synchronized (this) {
                active.add(path);
            }
            path.setUp(lab, workspace);
            startServers(path);
            if (options.maxPairs() > 1 && path.hasPairs()) {
                loadPairs.setUp(path, lab, workspace, options.maxPairs(), servers);
            }
            final Map<Figure, String> notMeasured = new EnumMap<>(Figure.class);
            for (Figure figure : Figure.values()) {
                final String why = figure.pairs() > 0 && !options.pairs().contains(figure.pairs())
                        ? Figure.NOT_ASKED
                        : path.notMeasured(figure);
                if (why != null) {
                    notMeasured.put(figure, why);
                }
            }
            results.addPath(
                    new BenchResults.PathInfo(path.key(), path.title(), path.referenceKey(), null, notMeasured));
        }
        warmUp();
        final List<Figure> tests = new ArrayList<>(List.of(
                Figure.TCP_1,
                Figure.TCP_4,
                Figure.UDP_64_PPS,
                Figure.UDP_64_NDR,
                Figure.UDP_1518_NDR,
                Figure.PING_RTT,
                Figure.CONNECTIONS));
        options.pairs().forEach(n -> tests.add(Figure.ofPairs(n)));
        int total = 0;
        for (Figure test : tests) {
            for (DataplanePath path : active) {
                total += path.notMeasured(test) == null ? options.runs() : 0;
            }
        }
        int done = 0;
        for (int run = 0; run < options.runs(); run++) {
            for (Figure test : tests) {
                for (DataplanePath path : active) {
                    if (path.notMeasured(test) != null) {
                        continue;
                    }
                    done++;
                    progress.printf(
                            "\rjvs bench: [%d/%d] run %d/%d  %-12s on %-28s",
                            done, total, run + 1, options.runs(), test.label(), path.title());
                    progress.flush();
                    try {
                        isolation.measure(path, active);
                        measureOne(results, path, run, test);
                    } catch (IllegalArgumentException | IllegalStateException e) {
                        results.failed(path.key(), run, test, e.getMessage());
                    }
                    Thread.sleep(DRAIN_MILLIS);
                }
            }
        }
        progress.printf("\rjvs bench: done%-70s%n", "");
        return results;
    }

    /**
     * Untimed TCP through every path before the first measured test, each with the other paths'
     * daemons stopped as in a measurement: a jvs daemon's JIT compiles its hot paths in its first
     * seconds of traffic, and without this the first run of the first test (TCP x1) measured
     * that, not the daemon a user runs for days (the VXLAN pair's first runs were the slowest and
     * costliest by up to a factor of two). Every path gets the same, the kernel's and OVS's too.
     * A failure here is not reported: the measured tests that follow fail the same way and say why.
     */
    private void warmUp() throws Exception {
        if (options.warmupSeconds() == 0) {
            return;
        }
        for (DataplanePath path : active) {
            progress.printf("\rjvs bench: warming up %-48s", path.title());
            progress.flush();
            isolation.measure(path, active);
            final DataplanePath.Endpoints ends = path.endpoints();
            TimedCommand.run(
                    ends.clientNamespace(),
                    options.warmupSeconds() + 20L,
                    "iperf3",
                    "-c",
                    ends.serverAddress(),
                    "-t",
                    Integer.toString(options.warmupSeconds()),
                    "--connect-timeout",
                    "3000");
            Thread.sleep(DRAIN_MILLIS);
        }
    }

    /** iperf3's server, and the accepter where the connection rate is measured, both listening before this returns. */
    private void startServers(DataplanePath path) throws Exception {
        final DataplanePath.Endpoints ends = path.endpoints();
        final Process iperf = lab.start(
                ends.serverNamespace(), workspace.root().resolve("iperf3-" + path.key() + ".out"), "iperf3", "-s");
        servers.add(iperf);
        awaitListening(lab, ends.serverNamespace(), 5201, iperf, "iperf3 server");
        if (path.notMeasured(Figure.CONNECTIONS) == null) {
            final Process accepter = connectionRate.startAccepter(
                    lab, ends.serverNamespace(), workspace.root().resolve("accepter-" + path.key() + ".out"));
            servers.add(accepter);
            awaitListening(lab, ends.serverNamespace(), ConnectionRateProbe.PORT, accepter, "connection accepter");
        }
        // One ping first: ARP and the switches' tables are warm before anything is timed.
        lab.exec(ends.clientNamespace(), "ping", "-c", "3", "-i", "0.2", "-W", "1", ends.serverAddress());
    }

    /** Returns once {@code server} listens on TCP {@code port} in {@code namespace}; fails if it exits first. */
    static void awaitListening(NetnsLab lab, String namespace, int port, Process server, String what)
            throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SERVER_START_SECONDS);
        while (true) {
            final var ss = lab.exec(namespace, "ss", "-Hltn", "sport = :" + port);
            if (ss.ok() && !ss.stdout().isBlank()) {
                return;
            }
            if (!server.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " in " + namespace + " did not start");
            }
            Thread.sleep(50);
        }
    }

    private void measureOne(BenchResults results, DataplanePath path, int run, Figure test) throws Exception {
        final DataplanePath.Endpoints ends = path.endpoints();
        final String seconds = Integer.toString(options.seconds());
        final long timeout = options.seconds() + 20L;
        switch (test) {
            case TCP_1, TCP_4 -> {
                final List<Long> pids = path.dataplanePids();
                // the machine's CPU around both: at x4 it tells a path short of CPU from one that waits
                final MachineCpu machineBefore = MachineCpu.readOrNull();
                final long before = ProcessCpu.ticks(pids);
                final IperfResult r = iperf(
                        ends,
                        timeout,
                        "-c",
                        ends.serverAddress(),
                        "-t",
                        seconds,
                        "-J",
                        "--connect-timeout",
                        "3000",
                        "-P",
                        test == Figure.TCP_1 ? "1" : "4");
                final long after = ProcessCpu.ticks(pids);
                final MachineCpu machineAfter = machineBefore != null ? MachineCpu.readOrNull() : null;
                final Map<String, Object> raw = iperfRaw(r);
                results.record(path.key(), run, test, r.bitsPerSecond() / 1e9, raw);
                if (machineBefore != null && machineAfter != null && r.bytes() > 0) {
                    final MachineCpu used = machineAfter.minus(machineBefore);
                    final double busySeconds = used.busySeconds(clockTicksPerSecond);
                    final Map<String, Object> machineRaw = new LinkedHashMap<>(raw);
                    machineRaw.put(MachineCpu.BUSY_SECONDS, busySeconds);
                    machineRaw.put(MachineCpu.BUSY_SHARE, used.busyShare(clockTicksPerSecond));
                    machineRaw.put("machineWallSeconds", used.nanos() / 1e9);
                    machineRaw.put("machineCpus", used.cpus());
                    machineRaw.put("machineIdleTicks", used.idleTicks());
                    machineRaw.put("machineStealTicks", used.stealTicks());
                    machineRaw.put("machineTickedBusyTicks", used.tickedBusyTicks());
                    machineRaw.put("clockTicksPerSecond", clockTicksPerSecond);
                    results.record(
                            path.key(), run, test.machineCpuPerGb(), busySeconds / (r.bytes() / 1e9), machineRaw);
                }
                if (test == Figure.TCP_1
                        && path.notMeasured(Figure.CPU_PER_GB) == null
                        && before >= 0
                        && after >= before
                        && r.bytes() > 0) {
                    final double cpuSeconds = (after - before) / (double) clockTicksPerSecond;
                    final Map<String, Object> cpuRaw = new LinkedHashMap<>(raw);
                    cpuRaw.put("dataplanePids", pids);
                    cpuRaw.put("cpuTicks", after - before);
                    cpuRaw.put("clockTicksPerSecond", clockTicksPerSecond);
                    results.record(path.key(), run, Figure.CPU_PER_GB, cpuSeconds / (r.bytes() / 1e9), cpuRaw);
                }
            }
            case UDP_64_PPS -> {
                final UdpLossCounters before = UdpLossCounters.readOrNull(ends);
                final IperfResult r = iperf(
                        ends,
                        timeout,
                        "-c",
                        ends.serverAddress(),
                        "-t",
                        seconds,
                        "-J",
                        "--connect-timeout",
                        "3000",
                        "-u",
                        "-l",
                        "64",
                        "-b",
                        "0");
                final UdpLossCounters after = UdpLossCounters.readOrNull(ends);
                final Map<String, Object> raw = iperfRaw(r);
                if (before != null && after != null) {
                    final UdpLossCounters dropped = after.minus(before);
                    raw.put(UdpLossCounters.SENDER_QUEUE_DROPS, dropped.senderTxDropped());
                    raw.put(UdpLossCounters.RECEIVER_SOCKET_DROPS, dropped.receiverRcvbufErrors());
                }
                results.record(path.key(), run, Figure.UDP_64_PPS, r.receivedPacketsPerSecond() / 1e3, raw);
                results.record(path.key(), run, Figure.UDP_64_LOSS, r.lossPercent(), raw);
            }
            case UDP_64_NDR -> lossFreeRate(results, path, run, 64, Figure.UDP_64_NDR, Figure.UDP_64_PDR);
            case UDP_1518_NDR ->
                lossFreeRate(results, path, run, UDP_1518_PAYLOAD, Figure.UDP_1518_NDR, Figure.UDP_1518_PDR);
            case PING_RTT -> {
                final TimedCommand.Result out = TimedCommand.run(
                        ends.clientNamespace(),
                        10L + options.pings() / 10,
                        "ping",
                        "-q",
                        "-c",
                        Integer.toString(options.pings()),
                        "-i",
                        "0.05",
                        "-W",
                        "1",
                        ends.serverAddress());
                final PingResult ping = PingResult.parse(out.output());
                final Map<String, Object> raw = new LinkedHashMap<>();
                raw.put("transmitted", ping.transmitted());
                raw.put("received", ping.received());
                raw.put("avgMillis", ping.avgMillis());
                results.record(path.key(), run, Figure.PING_RTT, ping.avgMillis(), raw);
            }
            case TCP_PAIRS_1, TCP_PAIRS_2, TCP_PAIRS_4 -> {
                final Map<String, Object> raw = new LinkedHashMap<>();
                results.record(
                        path.key(), run, test, loadPairs.measure(path, test.pairs(), options.seconds(), raw), raw);
            }
            case CONNECTIONS -> {
                final ConnectionRate rate =
                        connectionRate.measure(ends.clientNamespace(), ends.serverAddress(), options.seconds());
                final Map<String, Object> raw = new LinkedHashMap<>();
                raw.put("connections", rate.connections());
                raw.put("seconds", rate.seconds());
                results.record(path.key(), run, Figure.CONNECTIONS, rate.perSecond(), raw);
            }
            default -> throw new IllegalArgumentException("not a test: " + test);
        }
    }

    /**
     * The loss-free rates of UDP datagrams of {@code payload} bytes: an unpaced trial, then a
     * bounded binary search with paced ones ({@link LossFreeRate}), each {@code --trial-seconds} long.
     */
    private void lossFreeRate(BenchResults results, DataplanePath path, int run, int payload, Figure ndr, Figure pdr)
            throws Exception {
        final DataplanePath.Endpoints ends = path.endpoints();
        // every trial in the raw figures, so a reader can see how the search went
        final List<Map<String, Object>> outcomes = new ArrayList<>();
        final LossFreeRate.Trial trial = pps -> {
            final LossFreeRate.Outcome o = udpTrial(ends, payload, pps);
            final Map<String, Object> seen = new LinkedHashMap<>();
            seen.put("askedPps", pps);
            seen.put("offeredPps", o.offeredPps());
            seen.put("receivedPps", o.receivedPps());
            seen.put("loss", o.loss());
            outcomes.add(seen);
            return o;
        };
        final LossFreeRate.Result r = LossFreeRate.search(trial.offer(0), trial);
        final Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("payloadBytes", payload);
        raw.put("trials", r.trials());
        raw.put("trialOutcomes", outcomes);
        raw.put("trialSeconds", options.trialSeconds());
        raw.put("unpacedReceivedPps", r.unpacedPps());
        raw.put("ndrPps", r.ndrPps());
        raw.put("pdrPps", r.pdrPps());
        results.record(path.key(), run, ndr, r.ndrPps() / 1e3, raw);
        results.record(path.key(), run, pdr, r.pdrPps() / 1e3, raw);
    }

    /** One UDP trial: {@code pps} datagrams per second, paced by iperf3, or as fast as it can with 0. */
    private LossFreeRate.Outcome udpTrial(DataplanePath.Endpoints ends, int payload, double pps) throws Exception {
        final long bitsPerSecond = pps == 0 ? 0 : Math.max(1, Math.round(pps * payload * 8));
        final IperfResult r = iperf(
                ends,
                options.trialSeconds() + 20L,
                "-c",
                ends.serverAddress(),
                "-t",
                Integer.toString(options.trialSeconds()),
                "-J",
                "--connect-timeout",
                "3000",
                "-u",
                "-l",
                Integer.toString(payload),
                "-b",
                Long.toString(bitsPerSecond));
        Thread.sleep(DRAIN_MILLIS);
        final double seconds = r.seconds() > 0 ? r.seconds() : options.trialSeconds();
        return new LossFreeRate.Outcome(r.packets() / seconds, r.receivedPacketsPerSecond(), r.lossPercent() / 100);
    }

    private IperfResult iperf(DataplanePath.Endpoints ends, long timeout, String... args)
            throws IOException, InterruptedException {
        final String[] command = new String[args.length + 1];
        command[0] = "iperf3";
        System.arraycopy(args, 0, command, 1, args.length);
        final TimedCommand.Result out = TimedCommand.run(ends.clientNamespace(), timeout, command);
        if (out.timedOut()) {
            throw new IllegalStateException("iperf3 did not finish within " + timeout + " s");
        }
        return IperfResult.parse(out.output());
    }

    private static Map<String, Object> iperfRaw(IperfResult r) {
        final Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("bitsPerSecond", r.bitsPerSecond());
        raw.put("bytes", r.bytes());
        raw.put("seconds", r.seconds());
        if (r.packets() > 0) {
            raw.put("packets", r.packets());
            raw.put("lostPackets", r.lostPackets());
        }
        return raw;
    }

    /** What the processes of the paths set up so far logged (the jvs daemons), by path; for diagnosing a failure. */
    public String logs() {
        final StringBuilder text = new StringBuilder();
        for (DataplanePath path : active) {
            final String log = path.log();
            if (!log.isBlank()) {
                text.append("--- ")
                        .append(path.key())
                        .append('\n')
                        .append(log.strip())
                        .append('\n');
            }
        }
        return text.toString();
    }

    Path workspaceRoot() {
        return workspace == null ? null : workspace.root();
    }

    private synchronized void cleanUp() {
        if (cleaned) {
            return;
        }
        cleaned = true;
        isolation.releaseAll();
        for (Process server : servers) {
            server.destroyForcibly();
        }
        for (DataplanePath path : active) {
            path.close();
        }
        if (lab != null) {
            lab.close();
        }
        if (workspace != null) {
            workspace.close();
        }
    }
}
