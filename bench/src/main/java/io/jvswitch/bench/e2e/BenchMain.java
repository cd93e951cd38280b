package io.jvswitch.bench.e2e;

import io.jvswitch.bench.cluster.ClusterBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jvs bench}: measures jvs against the kernel (bridge, vxlan, iptables DNAT) and Open
 * vSwitch's userspace datapath on this machine, in namespaces it creates and removes.
 */
@Command(
        name = "jvs bench",
        mixinStandardHelpOptions = true,
        description = {
            "Measure jvs against the kernel and Open vSwitch (userspace datapath): two containers on one",
            "switch (against the kernel bridge and OVS), two hosts over VXLAN (against the kernel's bridge + vxlan)",
            "and a published port reached from beyond the host (against iptables DNAT): TCP x1 and x4, UDP 64-byte",
            "packets per second and loss, the UDP loss-free rates (NDR at 0.1 %, PDR at 0.5 % loss, 64 and 1518-byte",
            "frames, found with a paced sender), ping RTT, TCP connection rate (published port) and the dataplane's",
            "CPU per GB. Needs root, iperf3, ping; python3 and iptables for the published port; OVS is skipped when",
            "not installed."
        })
public final class BenchMain implements Callable<Integer> {
    @Option(names = "--quick", description = "A short run: 1 run, 2 s per test.")
    boolean quick;

    @Option(
            names = "--runs",
            paramLabel = "N",
            description = "Repetitions of every test on every path (default 3; 1 with --quick).")
    Integer runs;

    @Option(
            names = "--seconds",
            paramLabel = "S",
            description = "Length of each iperf3 test (default 5; 2 with --quick).")
    Integer seconds;

    @Option(
            names = "--warmup",
            paramLabel = "S",
            description =
                    "Untimed TCP through each path before its first "
                            + "measured test, so the jvs daemons' JIT has compiled their hot paths (default 3; 1 with --quick; 0: none).")
    Integer warmup;

    @Option(
            names = "--trial-seconds",
            paramLabel = "S",
            description = "Length of each trial of the UDP loss-free rate searches (NDR 0.1 %, PDR 0.5 %; "
                    + "13 paced trials per frame size, path and run; default 1).")
    Integer trialSeconds;

    @Option(
            names = "--paths",
            paramLabel = "LIST",
            split = ",",
            description =
                    "Paths to measure, from bridge, jvs, ovs, ovs-tso, kernel-vxlan, jvs-vxlan, kernel-nat, jvs-nat,"
                            + " bridge6, jvs6 (IPv6) (default: all).")
    List<String> paths;

    @Option(
            names = "--pairs",
            paramLabel = "LIST",
            split = ",",
            description = "Also measure scaling with load: from 1, 2, 4 client/server pairs at once on one network "
                    + "(and across the overlay), one TCP stream each, the total (on bridge, jvs, kernel-vxlan, "
                    + "jvs-vxlan; default: none).")
    List<String> pairs;

    @Option(
            names = "--jvs-idle",
            paramLabel = "MODE",
            description = "The jvs daemons' --idle mode (default: the daemon's).")
    String jvsIdle;

    @Option(
            names = "--jvs-daemon-args",
            paramLabel = "ARGS",
            description =
                    "More jvs daemon options for the jvs paths (switch, VXLAN, published port), in one quoted word, "
                            + "e.g. \"--dataplane-nice -5\".")
    String jvsDaemonArgs;

    @Option(
            names = "--jvs-variant",
            paramLabel = "NAME=ARGS",
            description = "Also measure jvs daemons started with ARGS, beside each jvs path in --paths (jvs, "
                    + "jvs-vxlan, jvs-nat, jvs6) and against the same reference (repeatable), "
                    + "e.g. --jvs-variant spin=\"--idle busy-spin\".")
    Map<String, String> jvsVariants = new LinkedHashMap<>();

    @Option(
            names = "--cluster",
            description = "Measure cluster mode instead of the dataplane paths: convergence across three hosts "
                    + "(attach on A until the name resolves and a ping answers on C) and the scale simulation "
                    + "(one daemon syncing a simulated cluster from etcd). Needs etcd (Debian's etcd-server) and dig.")
    boolean cluster;

    @Option(
            names = "--cluster-attaches",
            paramLabel = "N",
            description = "Attaches timed for the convergence with --cluster (default 50; 10 with --quick; 0: none).")
    Integer clusterAttaches;

    @Option(
            names = "--cluster-scale",
            paramLabel = "LIST",
            split = ",",
            description = "Points of the scale simulation with --cluster, HOSTSxENDPOINTS each "
                    + "(default 50x5000,100x10000,200x20000; 20x2000 with --quick; none: skip it).")
    List<String> clusterScale;

    @Option(names = "--json", paramLabel = "FILE", description = "Write every raw figure and the summaries as JSON.")
    Path json;

    @Option(
            names = "--png",
            paramLabel = "FILE",
            description = "Write a chart of every path's ratios to its kernel reference as PNG.")
    Path png;

    @Override
    public Integer call() throws Exception {
        if (cluster) {
            return cluster();
        }
        final List<String> daemonArgs = new ArrayList<>();
        if (jvsIdle != null) {
            daemonArgs.addAll(List.of("--idle", jvsIdle));
        }
        if (jvsDaemonArgs != null && !jvsDaemonArgs.isBlank()) {
            daemonArgs.addAll(List.of(jvsDaemonArgs.strip().split("\\s+")));
        }
        final Map<String, List<String>> variants = new LinkedHashMap<>();
        jvsVariants.forEach((name, args) -> variants.put(
                name, args.isBlank() ? List.of() : List.of(args.strip().split("\\s+"))));
        final BenchOptions options;
        try {
            final List<Integer> pairCounts = pairs == null ? List.of() : BenchOptions.parsePairs(pairs);
            options = new BenchOptions(
                    runs != null ? runs : quick ? 1 : 3,
                    seconds != null ? seconds : quick ? 2 : 5,
                    20,
                    warmup != null ? warmup : quick ? 1 : 3,
                    trialSeconds != null ? trialSeconds : BenchOptions.DEFAULT_TRIAL_SECONDS,
                    daemonArgs,
                    paths == null ? BenchOptions.ALL_PATHS : paths,
                    variants,
                    pairCounts,
                    json,
                    png);
        } catch (IllegalArgumentException e) {
            System.err.println("jvs: " + e.getMessage());
            return 2;
        }
        final BenchRunner runner = new BenchRunner(options, System.err);
        final BenchResults results;
        try {
            results = runner.run();
        } catch (IllegalStateException e) {
            System.err.println();
            System.err.println("jvs: bench failed: " + e.getMessage());
            final String logs = runner.logs();
            if (!logs.isBlank()) {
                System.err.println("logs of the paths set up:\n" + logs);
            }
            return 1;
        }
        System.out.print(ResultTable.format(results));
        if (options.json() != null) {
            BenchJson.write(options, results, options.json());
            System.out.println("raw figures: " + options.json());
        }
        if (options.png() != null) {
            RatioChart.write(results, options.png());
            System.out.println("chart: " + options.png());
        }
        return 0;
    }

    private int cluster() throws Exception {
        final int attaches = clusterAttaches != null ? clusterAttaches : quick ? 10 : 50;
        final List<ClusterBench.Point> points = new ArrayList<>();
        try {
            if (attaches < 0 || attaches > 1000) {
                throw new IllegalArgumentException("--cluster-attaches must be within 0..1000: " + attaches);
            }
            final List<String> asked =
                    clusterScale != null ? clusterScale : quick ? List.of("20x2000") : ClusterBench.DEFAULT_POINTS;
            if (!asked.equals(List.of("none"))) {
                asked.forEach(p -> points.add(ClusterBench.Point.parse(p)));
            }
            if (png != null || paths != null) {
                throw new IllegalArgumentException("--cluster measures no dataplane path: drop --paths and --png");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("jvs: " + e.getMessage());
            return 2;
        }
        try {
            return ClusterBench.run(attaches, points, json, System.out);
        } catch (IllegalStateException e) {
            System.err.println();
            System.err.println("jvs: bench failed: " + e.getMessage());
            return 1;
        }
    }

    public static void main(String[] args) {
        final CommandLine cli = new CommandLine(new BenchMain());
        cli.setErr(new PrintWriter(System.err, true));
        System.exit(cli.execute(args));
    }
}
