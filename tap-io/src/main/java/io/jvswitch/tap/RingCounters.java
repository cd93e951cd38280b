package io.jvswitch.tap;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The counters of a {@link UringReadySet} by name, as {@code jvs stats} (its TAP I/O RING table)
 * and the {@code jvs_tapio_ring_*} metrics show them. The set's own events (polls re-armed,
 * batches submitted early) are counted here; the rest are read where they are counted, from the
 * submitter, the writes and the reads.
 *
 * <p>Counted and read on the one dataplane thread; {@link #byName()} allocates (a snapshot per
 * call, asked for by the control plane), nothing else does.
 */
final class RingCounters {
    private final RingSubmitter submitter;
    private final RingWrites writes;
    /** Null where reads do not go through the ring. */
    private final RingReads reads;

    private long rearms;
    private long earlyFlushes;

    RingCounters(RingSubmitter submitter, RingWrites writes, RingReads reads) {
        this.submitter = submitter;
        this.writes = writes;
        this.reads = reads;
    }

    /** A poll the kernel ended was armed again. */
    void rearmed() {
        rearms++;
    }

    /** A batch was submitted before the cycle's end: the ring or the transmit area was full. */
    void flushedEarly() {
        earlyFlushes++;
    }

    long readBufferWaits() {
        return reads == null ? 0 : reads.bufferWaits();
    }

    /**
     * Every counter by name: {@code ring-reads} is 1 where frames are read through the ring (0:
     * polls and one readv per frame); {@code enters} with {@code writes} tells the system calls
     * batching saved; {@code enter-errors} are {@code io_uring_enter} calls that failed other than
     * by timeout or signal; {@code orphan-write-errors} are failed writes whose port had left.
     */
    Map<String, Long> byName() {
        final Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("ring-reads", reads == null ? 0L : 1L);
        counters.put("enters", submitter.enters());
        counters.put("writes", writes.writes());
        counters.put("in-place-writes", writes.inPlaceWrites());
        counters.put("read-buffer-waits", readBufferWaits());
        counters.put("rearms", rearms);
        counters.put("early-flushes", earlyFlushes);
        counters.put("enter-errors", submitter.enterErrors());
        counters.put("orphan-write-errors", writes.orphanWriteErrors());
        return counters;
    }

    @Override
    public String toString() {
        return "enters=" + submitter.enters() + ", writes=" + writes.writes() + ", inPlaceWrites="
                + writes.inPlaceWrites() + ", rearms=" + rearms + ", readBufferWaits=" + readBufferWaits();
    }
}
