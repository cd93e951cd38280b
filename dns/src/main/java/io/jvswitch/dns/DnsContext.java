package io.jvswitch.dns;

/** The DNS responder's configuration, validated once by {@link #conclude()}. */
public final class DnsContext {
    /** The answers' TTL for container names unless the daemon is told otherwise. */
    public static final int DEFAULT_TTL_SECONDS = 600;

    private int ttlSeconds = DEFAULT_TTL_SECONDS;
    private int maxRecords = 65_536;
    private int cacheEntries = 4_096;
    private long cacheBytes = 8L << 20;
    private int maxInFlight = 1_024;
    private int forwardQueueBytes = 256 * 1024;
    private int retransmitMillis = 250;
    private int upstreamTimeoutMillis = 2_000;
    private int maxTcpConnections = 256;
    private int tcpIdleSeconds = 10;
    private int maxTcpUpstream = 64;
    private int tcpLifetimeSeconds = 30;
    private int networkShareDivisor = 4;
    private int clientShareDivisor = 16;
    private boolean concluded;

    /** TTL of local answers, in seconds (default 600). */
    public DnsContext ttlSeconds(int seconds) {
        this.ttlSeconds = seconds;
        return this;
    }

    /** Most records in the name store (default 65536). */
    public DnsContext maxRecords(int records) {
        this.maxRecords = records;
        return this;
    }

    /** Most cached upstream answers (default 4096) and their total bytes (default 8 MiB). */
    public DnsContext cache(int entries, long bytes) {
        this.cacheEntries = entries;
        this.cacheBytes = bytes;
        return this;
    }

    /** Most UDP queries waiting for upstream at once (default 1024); beyond it new ones are dropped. */
    public DnsContext maxInFlight(int queries) {
        this.maxInFlight = queries;
        return this;
    }

    /** Room in the dataplane-to-forwarder queue, in bytes, a power of two (default 256 KiB). */
    public DnsContext forwardQueueBytes(int bytes) {
        this.forwardQueueBytes = bytes;
        return this;
    }

    /** When an unanswered query is re-sent (default 250 ms), and when it is given up as SERVFAIL (2000 ms). */
    public DnsContext upstreamTiming(int retransmitMillis, int timeoutMillis) {
        this.retransmitMillis = retransmitMillis;
        this.upstreamTimeoutMillis = timeoutMillis;
        return this;
    }

    /** Most open TCP client connections (default 256) and how long one may idle (default 10 s). */
    public DnsContext tcp(int maxConnections, int idleSeconds) {
        this.maxTcpConnections = maxConnections;
        this.tcpIdleSeconds = idleSeconds;
        return this;
    }

    /**
     * The absolute life of a TCP client connection (default 30 s): it is closed then however it
     * behaves, so a client sending a byte now and then cannot keep it.
     */
    public DnsContext tcpLifetimeSeconds(int seconds) {
        this.tcpLifetimeSeconds = seconds;
        return this;
    }

    /**
     * Fair shares of the forward queue, the queries in flight and the TCP connections: one network
     * holds at most 1/{@code networkDivisor} of each (default 4), one client address within a
     * network at most 1/{@code clientDivisor} (default 16).
     */
    public DnsContext fairShares(int networkDivisor, int clientDivisor) {
        this.networkShareDivisor = networkDivisor;
        this.clientShareDivisor = clientDivisor;
        return this;
    }

    public DnsContext conclude() {
        if (ttlSeconds < 0 || ttlSeconds > ResponseTtls.MAX_CACHE_TTL * 7) {
            throw new IllegalArgumentException("invalid DNS TTL " + ttlSeconds + ": must be within 0..604800 seconds");
        }
        require(maxRecords > 0 && maxRecords <= 1 << 24, "name store limit must be within 1..16777216");
        require(cacheEntries >= 0 && cacheBytes >= 0, "cache limits must not be negative");
        require(maxInFlight > 0 && maxInFlight <= 16_384, "in-flight limit must be within 1..16384");
        require(
                Integer.bitCount(forwardQueueBytes) == 1 && forwardQueueBytes >= 4096,
                "forward queue must be a power of two >= 4096");
        require(
                retransmitMillis > 0 && upstreamTimeoutMillis > retransmitMillis,
                "upstream timeout must exceed the retransmit delay");
        require(maxTcpConnections > 0 && tcpIdleSeconds > 0, "TCP limits must be positive");
        require(tcpLifetimeSeconds >= tcpIdleSeconds, "the TCP lifetime must be at least the idle time");
        require(
                networkShareDivisor >= 1 && clientShareDivisor >= networkShareDivisor,
                "share divisors: network at least 1, client at least the network's");
        concluded = true;
        return this;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    void requireConcluded() {
        if (!concluded) {
            throw new IllegalStateException("DnsContext.conclude() was not called");
        }
    }

    public int ttlSeconds() {
        return ttlSeconds;
    }

    public int maxRecords() {
        return maxRecords;
    }

    int cacheEntries() {
        return cacheEntries;
    }

    long cacheBytes() {
        return cacheBytes;
    }

    int maxInFlight() {
        return maxInFlight;
    }

    int forwardQueueBytes() {
        return forwardQueueBytes;
    }

    int retransmitMillis() {
        return retransmitMillis;
    }

    int upstreamTimeoutMillis() {
        return upstreamTimeoutMillis;
    }

    int maxTcpConnections() {
        return maxTcpConnections;
    }

    int tcpIdleSeconds() {
        return tcpIdleSeconds;
    }

    int maxTcpUpstream() {
        return maxTcpUpstream;
    }

    int tcpLifetimeSeconds() {
        return tcpLifetimeSeconds;
    }

    /** A network's share of a bound: at least 1. */
    int networkShare(int bound) {
        return Math.max(1, bound / networkShareDivisor);
    }

    /** A client address's share of a bound: at least 1. */
    int clientShare(int bound) {
        return Math.max(1, bound / clientShareDivisor);
    }
}
