package io.jvswitch.control;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A logger that says the same kind of thing at most {@code burst} times per window, then once how
 * many it held back. Anything a sender can trigger repeatedly (a malformed request, a dataplane
 * error on every frame) is logged through this, so an attack cannot fill the disk or drown the log.
 */
public final class RateLimitedLog {
    private final System.Logger logger;
    private final int burst;
    private final long windowNanos;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        long start;
        int logged;
        long suppressed;
    }

    public RateLimitedLog(System.Logger logger, int burst, long window, TimeUnit unit) {
        this(logger, burst, unit.toNanos(window), System::nanoTime);
    }

    RateLimitedLog(System.Logger logger, int burst, long windowNanos, LongSupplier clock) {
        this.logger = logger;
        this.burst = burst;
        this.windowNanos = windowNanos;
        this.clock = clock;
    }

    /** Logs under {@code key} (messages alike in kind share a key) unless its budget is spent. */
    public void log(String key, System.Logger.Level level, String message, Throwable error) {
        final long now = clock.getAsLong();
        final Window w = windows.computeIfAbsent(key, k -> new Window());
        final long heldBack;
        synchronized (w) {
            if (now - w.start >= windowNanos) {
                heldBack = w.suppressed;
                w.start = now;
                w.logged = 0;
                w.suppressed = 0;
            } else {
                heldBack = 0;
            }
            if (w.logged >= burst) {
                w.suppressed++;
                return;
            }
            w.logged++;
        }
        if (heldBack > 0) {
            logger.log(level, "(" + heldBack + " more like the following were not logged)");
        }
        if (error == null) {
            logger.log(level, message);
        } else {
            logger.log(level, message, error);
        }
    }
}
