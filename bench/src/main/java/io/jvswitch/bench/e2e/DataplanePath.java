package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

/**
 * One way of connecting two "container" namespaces that the harness measures: jvs, or a
 * reference dataplane. The VXLAN path (jvs VTEPs against the kernel's bridge + vxlan across two
 * host namespaces) and the NAT path (a jvs published port against iptables DNAT) plug in here:
 * whatever namespaces they need, their client and server ends, and the process that does the work.
 */
public interface DataplanePath extends AutoCloseable {
    /** Short key used in the JSON and the chart: {@code jvs}, {@code bridge}, {@code ovs}, ... */
    String key();

    /** Name shown in the table. */
    String title();

    /**
     * The path this one's ratios are taken against: the kernel's way of doing the same thing
     * ({@code bridge} for the switch paths; a VXLAN path would name the kernel bridge + vxlan path,
     * a NAT path the iptables one). The reference itself returns its own key.
     */
    default String referenceKey() {
        return "bridge";
    }

    /** Why this path cannot be measured here (a tool not installed), or null when it can. */
    String unavailableReason();

    /** Creates the path's namespaces and devices under {@code lab}; undone by {@link #close()}. */
    void setUp(NetnsLab lab, BenchWorkspace workspace) throws Exception;

    /** Where the load generator and the server run, once set up. */
    Endpoints endpoints();

    /** PID of the process that moves the frames, or -1 when the kernel does it in the senders' context. */
    long dataplanePid();

    /** Why there is no CPU figure, shown instead of it when {@link #dataplanePid()} is -1. */
    default String cpuNote() {
        return "n/a";
    }

    /** Stops what {@link #setUp} started; the lab removes the namespaces. Never throws. */
    @Override
    void close();

    /** The client and server namespaces and the address the client reaches the server at. */
    record Endpoints(String clientNamespace, String serverNamespace, String serverAddress) {
    }
}
