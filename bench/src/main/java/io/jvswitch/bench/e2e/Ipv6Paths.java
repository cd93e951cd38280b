package io.jvswitch.bench.e2e;

/**
 * What the IPv6 paths ({@code bridge6}, {@code jvs6}) measure: TCP and ping, the figures the IPv6
 * forwarding path changes. The UDP rate searches would add minutes per run for what the IPv4 paths
 * already show of the switch's per-packet cost; IPv6 differs only in the headers it parses.
 */
final class Ipv6Paths {
    private Ipv6Paths() {}

    /** Why {@code figure} is not measured on an IPv6 path, or null when it is. */
    static String notMeasured(Figure figure) {
        return switch (figure) {
            case TCP_1, TCP_4, PING_RTT -> null;
            case CPU_PER_GB, MACHINE_CPU_PER_GB, MACHINE_CPU_PER_GB_4 -> null;
            default -> "the IPv6 paths measure TCP and ping only";
        };
    }
}
