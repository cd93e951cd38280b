package io.jvswitch.switching;

import java.util.concurrent.TimeUnit;

/**
 * A token bucket for the ICMP errors the router generates, as routers do (RFC 1812 4.3.2.8): a
 * flood of expiring or oversized packets must not turn into a flood of errors. Owned by the
 * dataplane thread.
 */
final class IcmpRateLimiter {
    private final long nanosPerToken;
    private final long burstNanos;
    /** The bucket as a point in time: full when {@code nowNanos - burstNanos >= bucket}. */
    private long bucket;

    IcmpRateLimiter(int perSecond, int burst) {
        this.nanosPerToken = TimeUnit.SECONDS.toNanos(1) / perSecond;
        this.burstNanos = nanosPerToken * burst;
        this.bucket = Long.MIN_VALUE / 2;
    }

    boolean tryAcquire(long nowNanos) {
        final long floor = nowNanos - burstNanos;
        if (bucket < floor) {
            bucket = floor;
        }
        if (bucket + nanosPerToken > nowNanos) {
            return false;
        }
        bucket += nanosPerToken;
        return true;
    }
}
