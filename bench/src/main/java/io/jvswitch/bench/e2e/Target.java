package io.jvswitch.bench.e2e;

import java.util.List;

/** A goal from the benchmarks issue, checked against a run's medians. */
public record Target(String label, String path, String reference, Figure figure, boolean atLeast, double bound) {
    /** The targets for the switch path (issue 6). */
    public static final List<Target> SWITCH = List.of(
            new Target("TCP x1, jvs / kernel bridge", "jvs", "bridge", Figure.TCP_1, true, 0.8),
            new Target("TCP x1, jvs / OVS userspace+TSO", "jvs", "ovs-tso", Figure.TCP_1, true, 1.5),
            new Target("UDP 64B rx, jvs / kernel bridge", "jvs", "bridge", Figure.UDP_64_PPS, true, 0.9),
            new Target("UDP 64B loss, jvs (%)", "jvs", null, Figure.UDP_64_LOSS, false, 1.0),
            new Target("ping RTT, jvs / kernel bridge", "jvs", "bridge", Figure.PING_RTT, false, 1.5),
            // the dataplane I/O issue's targets
            new Target("UDP 64B NDR, jvs / kernel bridge", "jvs", "bridge", Figure.UDP_64_NDR, true, 0.9),
            new Target("TCP x1, jvs VXLAN / kernel VXLAN", "jvs-vxlan", "kernel-vxlan", Figure.TCP_1, true, 0.6),
            new Target(
                    "UDP 64B NDR, jvs VXLAN / kernel VXLAN", "jvs-vxlan", "kernel-vxlan", Figure.UDP_64_NDR, true, 0.8),
            new Target("daemon CPU per GB, jvs VXLAN (s)", "jvs-vxlan", null, Figure.CPU_PER_GB, false, 0.5),
            // the published ports issue's targets
            new Target("TCP x1, jvs published port / DNAT", "jvs-nat", "kernel-nat", Figure.TCP_1, true, 0.8),
            new Target("TCP x4, jvs published port / DNAT", "jvs-nat", "kernel-nat", Figure.TCP_4, true, 0.8),
            new Target("UDP 64B rx, jvs published port / DNAT", "jvs-nat", "kernel-nat", Figure.UDP_64_PPS, true, 0.8),
            new Target(
                    "TCP conn rate, jvs published port / DNAT", "jvs-nat", "kernel-nat", Figure.CONNECTIONS, true, 0.9),
            // the IPv6 issue's: the same bound as IPv4's (the issue asks for a ratio within 0.05 of it)
            new Target("TCP x1 IPv6, jvs / kernel bridge", "jvs6", "bridge6", Figure.TCP_1, true, 0.8));

    /** The measured value: a ratio of runs when there is a reference, else the path's median. */
    public Spread measure(BenchResults results) {
        return reference == null ? results.spread(path, figure) : results.ratio(path, reference, figure);
    }

    public boolean met(double value) {
        return atLeast ? value >= bound : value <= bound;
    }

    public String boundText() {
        return (atLeast ? ">= " : "<= ") + bound;
    }
}
