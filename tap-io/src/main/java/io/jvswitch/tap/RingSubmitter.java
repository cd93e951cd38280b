package io.jvswitch.tap;

/**
 * Hands a {@link UringReadySet}'s filled submission entries to the kernel and waits for
 * completions: one {@code io_uring_enter} per call, counted, its failures (other than a timeout or
 * a signal) counted with the last errno. A flush waits, bounded, until every write completed, so
 * the transmit area is free and a leaving port's frames are out.
 *
 * <p>Used by the one dataplane thread; nothing allocated.
 */
final class RingSubmitter {
    /** Consumes the posted completions (the set's reap). */
    interface Reaper {
        void reap();
    }

    private final IoUring ring;
    private final RingWrites writes;
    private final Reaper reaper;

    private long enters;
    private long enterErrors;
    private int lastErrno;

    RingSubmitter(IoUring ring, RingWrites writes, Reaper reaper) {
        this.ring = ring;
        this.writes = writes;
        this.reaper = reaper;
    }

    /** Submits what is filled and, with {@code waitNanos} not 0, waits for a completion (negative: no limit). */
    void submit(long waitNanos) {
        enters++;
        final int result = ring.enter(waitNanos);
        if (result < 0 && result != -Errno.ETIME && result != -Errno.EINTR) {
            // EBUSY/EAGAIN: the completion queue overflowed and the kernel wants it drained first
            enterErrors++;
            lastErrno = -result;
        }
    }

    /** Submits what is queued and waits (bounded) until every write completed. */
    void flush(long maxWaitNanos) {
        if (ring.unsubmitted() > 0) {
            submit(0);
        }
        reaper.reap();
        final long deadline = System.nanoTime() + maxWaitNanos;
        while (writes.inFlight() > 0 && System.nanoTime() < deadline) {
            submit(1_000_000L);
            reaper.reap();
        }
    }

    /** Makes room for one entry, flushing when the ring is full (not inside a reap). */
    void reserve(long maxWaitNanos) {
        if (ring.freeSubmissions() == 0) {
            flush(maxWaitNanos);
        }
    }

    /** Makes room for one entry without consuming completions: safe inside a reap. */
    void submitWhenFull() {
        if (ring.freeSubmissions() == 0) {
            submit(0);
        }
    }

    long enters() {
        return enters;
    }

    long enterErrors() {
        return enterErrors;
    }

    int lastErrno() {
        return lastErrno;
    }
}
