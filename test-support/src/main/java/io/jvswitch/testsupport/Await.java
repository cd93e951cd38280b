package io.jvswitch.testsupport;

import java.time.Duration;
import java.util.Objects;

/**
 * Waits for a condition instead of sleeping for a guess: polls until the condition holds or the
 * timeout passes, then fails with what it waited for and what it saw last. Polls often at first
 * (most conditions hold within milliseconds) and less often later, so a slow machine costs little.
 */
public final class Await {
    private static final long FIRST_PAUSE_MILLIS = 5;
    private static final long LONGEST_PAUSE_MILLIS = 200;

    private Await() {}

    /** A condition that may throw (tests read files, run commands). */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** A value to look at until it is acceptable. */
    @FunctionalInterface
    public interface Probe<T> {
        T read() throws Exception;
    }

    /** An acceptance test for a probed value. */
    @FunctionalInterface
    public interface Acceptance<T> {
        boolean accepts(T value) throws Exception;
    }

    /**
     * Returns once {@code condition} holds; throws {@link AssertionError} naming {@code what} when
     * it still does not after {@code timeout}.
     */
    public static void until(String what, Duration timeout, Condition condition) {
        until(what, timeout, condition::holds, Boolean::booleanValue);
    }

    /**
     * Reads {@code probe} until {@code acceptance} accepts its value and returns that value; throws
     * {@link AssertionError} with the last value (or the last exception) after {@code timeout}.
     */
    public static <T> T until(String what, Duration timeout, Probe<T> probe, Acceptance<T> acceptance) {
        Objects.requireNonNull(what, "what");
        final long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_MILLIS;
        Object last = "nothing read";
        while (true) {
            try {
                final T value = probe.read();
                if (acceptance.accepts(value)) {
                    return value;
                }
                last = value;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what, e);
            } catch (Exception e) {
                last = e;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                final AssertionError error =
                        new AssertionError("timed out after " + timeout + " waiting for: " + what + "; last: " + last);
                if (last instanceof Throwable cause) {
                    error.initCause(cause);
                }
                throw error;
            }
            try {
                Thread.sleep(Math.min(pause, Math.max(1, left / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what, e);
            }
            pause = Math.min(pause * 2, LONGEST_PAUSE_MILLIS);
        }
    }

    /** Whether {@code condition} holds within {@code timeout}, for tests that assert the opposite. */
    public static boolean holdsWithin(Duration timeout, Condition condition) {
        try {
            until("a condition", timeout, condition);
            return true;
        } catch (AssertionError e) {
            if (Thread.currentThread().isInterrupted()) {
                throw e;
            }
            return false;
        }
    }
}
