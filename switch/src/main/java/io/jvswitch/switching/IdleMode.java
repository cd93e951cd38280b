package io.jvswitch.switching;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

import java.util.concurrent.TimeUnit;

/**
 * How the dataplane thread waits when there is no work. On a small machine the containers' own
 * kernel stacks need CPU too, so a spinning switch can lose more than it gains.
 */
public enum IdleMode {
    /** Spin on one core: lowest latency, a full core always. */
    BUSY_SPIN("busy-spin"),
    /** Spin, then yield, then park for growing intervals up to 1 ms. */
    BACKOFF("backoff"),
    /** Sleep 1 ms between empty duty cycles: for laptops, at the cost of latency. */
    SLEEP("sleep"),
    /** Block in the port readiness set (epoll_wait) until a frame arrives: no CPU when idle. */
    WAIT("wait");

    private final String label;

    IdleMode(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static IdleMode parse(String text) {
        for (IdleMode mode : values()) {
            if (mode.label.equals(text)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown idle mode '" + text + "': use busy-spin, backoff, sleep or wait");
    }

    IdleStrategy newStrategy() {
        return switch (this) {
            case BUSY_SPIN -> new BusySpinIdleStrategy();
            case BACKOFF ->
                new BackoffIdleStrategy(64, 16, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
            case SLEEP -> new SleepingMillisIdleStrategy(1);
            case WAIT -> NoOpIdleStrategy.INSTANCE;
        };
    }
}
