package io.jvswitch.nat;

import java.util.concurrent.TimeUnit;

/**
 * Configuration of the connection tracker and translator, validated once in {@link #conclude()}.
 *
 * <p>Timeouts default to the Linux kernel's {@code nf_conntrack_*_timeout*} sysctls, so flows
 * live as long through jvs as through iptables NAT: TCP established 5 days, SYN_SENT 120 s,
 * SYN_RECV 60 s, FIN_WAIT 120 s, CLOSE_WAIT 60 s, LAST_ACK 30 s, TIME_WAIT 120 s, CLOSE 10 s;
 * UDP 30 s until a reply is seen, then 120 s ({@code nf_conntrack_udp_timeout_stream} since
 * Linux 5.0); ICMP 30 s.
 *
 * <p>The table holds 262144 connections by default (the kernel's {@code nf_conntrack_max} on a
 * host with a few GiB): 64 bytes a connection plus 16 bytes of index, about 20 MiB. The source
 * ports masquerade picks from are 32768-60999, the kernel's {@code ip_local_port_range}; the
 * address they are taken on is the router's side of the host link, not an address the host's
 * own sockets use, so the two never compete for a port.
 *
 * <p>One endpoint (a network and an address on it: the container that opened the connection, or
 * the one a published port leads to) holds at most {@link #endpointLimit()} connections: by default
 * 1/16 of the table, at least 64 (and at most the table), so one container cannot fill the table
 * and stop every other network's new connections. At most {@link #maxEndpoints()} endpoints
 * (16384 by default) have connections at once.
 */
public final class NatContext {
    public static final int DEFAULT_TABLE_CAPACITY = 262_144;
    /** Flow ids and direction must fit the index's reference bits. */
    public static final int MAX_TABLE_CAPACITY = ConnectionTable.MAX_CAPACITY;

    private int tableCapacity = DEFAULT_TABLE_CAPACITY;
    private final long[] tcpTimeoutNanos = new long[TcpStates.COUNT];
    private long udpUnrepliedTimeoutNanos = TimeUnit.SECONDS.toNanos(30);
    private long udpAssuredTimeoutNanos = TimeUnit.SECONDS.toNanos(120);
    private long icmpTimeoutNanos = TimeUnit.SECONDS.toNanos(30);
    private int portRangeLow = 32768;
    private int portRangeHigh = 60999;
    /** Connections examined for expiry per routed packet: bounded, so expiry never pauses the dataplane. */
    private int expirySlice = 1;
    /** 0: derived from the table's capacity. */
    private int endpointLimit;

    private int maxEndpoints = 16_384;

    private boolean concluded;

    public NatContext() {
        tcpTimeoutNanos[TcpStates.NONE] = TimeUnit.SECONDS.toNanos(30);
        tcpTimeoutNanos[TcpStates.SYN_SENT] = TimeUnit.SECONDS.toNanos(120);
        tcpTimeoutNanos[TcpStates.SYN_RECV] = TimeUnit.SECONDS.toNanos(60);
        tcpTimeoutNanos[TcpStates.ESTABLISHED] = TimeUnit.DAYS.toNanos(5);
        tcpTimeoutNanos[TcpStates.FIN_WAIT] = TimeUnit.SECONDS.toNanos(120);
        tcpTimeoutNanos[TcpStates.CLOSE_WAIT] = TimeUnit.SECONDS.toNanos(60);
        tcpTimeoutNanos[TcpStates.LAST_ACK] = TimeUnit.SECONDS.toNanos(30);
        tcpTimeoutNanos[TcpStates.TIME_WAIT] = TimeUnit.SECONDS.toNanos(120);
        tcpTimeoutNanos[TcpStates.CLOSE] = TimeUnit.SECONDS.toNanos(10);
    }

    public NatContext tableCapacity(int capacity) {
        tableCapacity = capacity;
        return this;
    }

    /** Sets the timeout of one TCP state ({@link TcpStates}), in seconds. */
    public NatContext tcpTimeout(int state, long seconds) {
        if (state <= TcpStates.NONE || state >= TcpStates.COUNT) {
            throw new IllegalArgumentException("no TCP state " + state);
        }
        tcpTimeoutNanos[state] = TimeUnit.SECONDS.toNanos(seconds);
        return this;
    }

    /** Sets the timeout of a TCP state by its name as {@code jvs conntrack} prints it, e.g. {@code time-wait}. */
    public NatContext tcpTimeout(String stateName, long seconds) {
        return tcpTimeout(TcpStates.byLabel(stateName), seconds);
    }

    public NatContext udpTimeouts(long unrepliedSeconds, long assuredSeconds) {
        udpUnrepliedTimeoutNanos = TimeUnit.SECONDS.toNanos(unrepliedSeconds);
        udpAssuredTimeoutNanos = TimeUnit.SECONDS.toNanos(assuredSeconds);
        return this;
    }

    public NatContext icmpTimeout(long seconds) {
        icmpTimeoutNanos = TimeUnit.SECONDS.toNanos(seconds);
        return this;
    }

    public NatContext portRange(int low, int high) {
        portRangeLow = low;
        portRangeHigh = high;
        return this;
    }

    /** Most connections of one endpoint (network and address); 0 for 1/16 of the table, at least 64. */
    public NatContext endpointLimit(int connections) {
        endpointLimit = connections;
        return this;
    }

    /** Most endpoints with connections at once (default 16384). */
    public NatContext maxEndpoints(int endpoints) {
        maxEndpoints = endpoints;
        return this;
    }

    public NatContext expirySlice(int connections) {
        expirySlice = connections;
        return this;
    }

    /** Validates; throws {@link IllegalArgumentException} with the first problem found. */
    public NatContext conclude() {
        if (tableCapacity < 1 || tableCapacity > MAX_TABLE_CAPACITY) {
            throw new IllegalArgumentException(
                    "conntrack table limit must be 1.." + MAX_TABLE_CAPACITY + ", not " + tableCapacity);
        }
        for (int state = TcpStates.SYN_SENT; state < TcpStates.COUNT; state++) {
            positive(tcpTimeoutNanos[state], "TCP " + TcpStates.label(state) + " timeout");
        }
        positive(udpUnrepliedTimeoutNanos, "UDP timeout");
        positive(udpAssuredTimeoutNanos, "UDP stream timeout");
        positive(icmpTimeoutNanos, "ICMP timeout");
        if (portRangeLow < 1 || portRangeHigh > 65535 || portRangeLow > portRangeHigh) {
            throw new IllegalArgumentException(
                    "port range must be within 1-65535 and low <= high, not " + portRangeLow + "-" + portRangeHigh);
        }
        if (expirySlice < 1) {
            throw new IllegalArgumentException("expiry slice must be at least 1");
        }
        if (endpointLimit < 0 || endpointLimit > tableCapacity) {
            throw new IllegalArgumentException(
                    "connections per endpoint must be 1.." + tableCapacity + " (or 0 for the default)");
        }
        if (maxEndpoints < 1 || maxEndpoints > 1 << 20) {
            throw new IllegalArgumentException("tracked endpoints must be 1..1048576, not " + maxEndpoints);
        }
        concluded = true;
        return this;
    }

    private static void positive(long nanos, String what) {
        if (nanos <= 0) {
            throw new IllegalArgumentException(what + " must be at least 1 second");
        }
    }

    void requireConcluded() {
        if (!concluded) {
            throw new IllegalStateException("NatContext.conclude() was not called");
        }
    }

    public int tableCapacity() {
        return tableCapacity;
    }

    public long tcpTimeoutNanos(int state) {
        return tcpTimeoutNanos[state];
    }

    public long udpUnrepliedTimeoutNanos() {
        return udpUnrepliedTimeoutNanos;
    }

    public long udpAssuredTimeoutNanos() {
        return udpAssuredTimeoutNanos;
    }

    public long icmpTimeoutNanos() {
        return icmpTimeoutNanos;
    }

    public int portRangeLow() {
        return portRangeLow;
    }

    public int portRangeHigh() {
        return portRangeHigh;
    }

    public int endpointLimit() {
        return endpointLimit != 0 ? endpointLimit : Math.min(tableCapacity, Math.max(64, tableCapacity / 16));
    }

    public int maxEndpoints() {
        return maxEndpoints;
    }

    public int expirySlice() {
        return expirySlice;
    }
}
