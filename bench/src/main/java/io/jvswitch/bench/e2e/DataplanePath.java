package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

import java.util.List;

/**
 * One way of connecting a client namespace to a server namespace that the harness measures: jvs,
 * or a reference dataplane doing the same job. Each path names its namespaces, its client and
 * server ends, the processes that do the work, and the figures that mean nothing on it.
 */
public interface DataplanePath extends AutoCloseable {
    /** Why the kernel paths have no CPU figure. */
    String KERNEL_CPU_NOTE =
            "the kernel forwards in the senders' own syscall and softirq context; no process to charge";

    /** Short key used in the JSON and the chart: {@code jvs}, {@code bridge}, {@code ovs}, ... */
    String key();

    /** Name shown in the table. */
    String title();

    /**
     * The path this one's ratios are taken against: the kernel's way of doing the same thing
     * ({@code bridge} for the switch paths, {@code kernel-vxlan} for the VXLAN ones,
     * {@code kernel-nat} for the published port). The reference itself returns its own key.
     */
    default String referenceKey() {
        return "bridge";
    }

    /** Why this path cannot be measured here (a tool not installed), or null when it can. */
    default String unavailableReason() {
        return null;
    }

    /** Creates the path's namespaces and devices under {@code lab}; undone by {@link #close()}. */
    void setUp(NetnsLab lab, BenchWorkspace workspace) throws Exception;

    /** Where the load generator and the server run, once set up. */
    Endpoints endpoints();

    /**
     * Whether {@link #addPair} builds more client/server pairs on this path, for the scaling
     * figures ({@code --pairs}).
     */
    default boolean hasPairs() {
        return false;
    }

    /**
     * Adds client/server pair {@code index} (1 and up; pair 0 is {@link #endpoints()}) on the same
     * network, or across the same overlay, as the first; after {@link #setUp}, with {@link #hasPairs()}.
     */
    default Endpoints addPair(NetnsLab lab, int index) throws Exception {
        throw new UnsupportedOperationException(key() + " has one client/server pair");
    }

    /**
     * PIDs of the processes that move the frames (their CPU time is summed); none, as here, when
     * the kernel does it in the senders' context.
     */
    default List<Long> dataplanePids() {
        return List.of();
    }

    /**
     * Processes that may spend CPU while their path is idle (a dataplane started with a polling
     * {@code --idle} mode) and are safe to stop meanwhile: the runner stops them (SIGSTOP) while it
     * measures the other paths, so they cannot take CPU from those, and continues them (SIGCONT)
     * before their own tests. None by default.
     */
    default List<Long> pausablePids() {
        return List.of();
    }

    /**
     * Why {@code figure} is not measured on this path, shown as "n/a" with this reason; null when it
     * is measured. The connection rate is a figure of the published-port paths only.
     */
    default String notMeasured(Figure figure) {
        return switch (figure) {
            case CONNECTIONS -> "measured on the published-port paths only";
            case TCP_PAIRS_1, TCP_PAIRS_2, TCP_PAIRS_4 ->
                hasPairs() ? null : "measured on bridge, jvs, kernel-vxlan and jvs-vxlan only";
            case CPU_PER_GB -> dataplanePids().isEmpty() ? KERNEL_CPU_NOTE : null;
            default -> null;
        };
    }

    /** What the path's processes logged, for a failure report; empty when there is nothing to show. */
    default String log() {
        return "";
    }

    /**
     * Stops what {@link #setUp} started; the lab removes the namespaces (and with them bridges,
     * veths, vxlan devices and iptables rules, so a kernel path has nothing more to do). Never throws.
     */
    @Override
    default void close() {}

    /** The client and server namespaces and the address the client reaches the server at. */
    record Endpoints(String clientNamespace, String serverNamespace, String serverAddress) {}
}
