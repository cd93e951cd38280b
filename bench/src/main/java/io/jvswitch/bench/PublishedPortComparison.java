package io.jvswitch.bench;

import io.jvswitch.bench.e2e.BenchOptions;
import io.jvswitch.bench.e2e.BenchResults;
import io.jvswitch.bench.e2e.BenchRunner;
import io.jvswitch.bench.e2e.Figure;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * A published port through jvs against the same topology on the kernel (a bridge, a veth per
 * namespace, iptables DNAT and MASQUERADE), in one run on this machine: TCP throughput (iperf3,
 * one stream) and connection rate from a client beyond the host to {@code <host address>:port},
 * printed side by side with the ratio jvs/kernel. The measuring is {@code jvs bench}'s, on its
 * {@code kernel-nat} and {@code jvs-nat} paths (which hold the topology); this is the short form
 * for when only these two figures matter.
 *
 * <p>Reusable: {@link #run} returns the figures; {@link #main} prints them.
 */
public final class PublishedPortComparison {
    /** Figures of one topology. */
    public record Figures(double throughputGbps, double connectionsPerSecond) {}

    /** Both topologies, measured in one run. */
    public record Result(Figures jvs, Figures kernel) {
        public String report() {
            return String.format("%-28s %12s %12s %8s%n", "published port, outside->host", "jvs", "kernel", "ratio")
                    + String.format(
                            "%-28s %12.2f %12.2f %8.2f%n",
                            "TCP throughput (Gb/s)",
                            jvs.throughputGbps,
                            kernel.throughputGbps,
                            jvs.throughputGbps / kernel.throughputGbps)
                    + String.format(
                            "%-28s %12.0f %12.0f %8.2f%n",
                            "connections per second",
                            jvs.connectionsPerSecond,
                            kernel.connectionsPerSecond,
                            jvs.connectionsPerSecond / kernel.connectionsPerSecond);
        }
    }

    private final int seconds;

    public PublishedPortComparison(int seconds) {
        this.seconds = seconds;
    }

    public Result run() throws Exception {
        final BenchOptions options =
                new BenchOptions(1, seconds, 20, 0, List.of(), List.of("kernel-nat", "jvs-nat"), Map.of(), null, null);
        final BenchResults results = new BenchRunner(options, new PrintStream(OutputStream.nullOutputStream())).run();
        if (!results.failures().isEmpty()) {
            throw new IllegalStateException(String.join("\n", results.failures()));
        }
        return new Result(figures(results, "jvs-nat"), figures(results, "kernel-nat"));
    }

    private static Figures figures(BenchResults results, String path) {
        final BenchResults.PathInfo info = results.path(path);
        if (info.skippedBecause() != null) {
            throw new IllegalStateException(info.title() + " skipped: " + info.skippedBecause());
        }
        return new Figures(
                results.spread(path, Figure.TCP_1).median(),
                results.spread(path, Figure.CONNECTIONS).median());
    }

    /** {@code java ... PublishedPortComparison [SECONDS]}: measures both and prints the table. */
    public static void main(String[] args) throws Exception {
        final int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.print(new PublishedPortComparison(seconds).run().report());
    }
}
