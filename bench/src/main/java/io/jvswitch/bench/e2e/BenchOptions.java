package io.jvswitch.bench.e2e;

import java.nio.file.Path;
import java.util.List;

/**
 * What a bench run does, validated once.
 *
 * @param runs repetitions of every figure on every path
 * @param seconds length of each iperf3 test
 * @param pings echo requests per RTT figure, sent 50 ms apart
 * @param jvsDaemonArgs extra {@code jvs daemon} options for the jvs path
 * @param paths keys of the paths to measure, in order
 */
public record BenchOptions(int runs, int seconds, int pings, List<String> jvsDaemonArgs, List<String> paths,
                           Path json, Path png) {
    public static final List<String> ALL_PATHS = List.of("bridge", "jvs", "ovs", "ovs-tso");

    public BenchOptions {
        if (runs < 1 || runs > 20) {
            throw new IllegalArgumentException("--runs must be within 1..20: " + runs);
        }
        if (seconds < 1 || seconds > 60) {
            throw new IllegalArgumentException("--seconds must be within 1..60: " + seconds);
        }
        if (pings < 1 || pings > 1000) {
            throw new IllegalArgumentException("pings must be within 1..1000: " + pings);
        }
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("--paths names no path");
        }
        for (String p : paths) {
            if (!ALL_PATHS.contains(p)) {
                throw new IllegalArgumentException("unknown path '" + p + "': use " + String.join(", ", ALL_PATHS));
            }
        }
        jvsDaemonArgs = List.copyOf(jvsDaemonArgs);
        paths = List.copyOf(paths);
    }
}
