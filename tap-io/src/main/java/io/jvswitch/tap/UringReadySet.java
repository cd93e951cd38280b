package io.jvswitch.tap;

import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.port.ReadySet;
import org.agrona.DirectBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * A {@link ReadySet} over one io_uring: the {@link TapPort}s' reads and writes of a duty cycle and
 * the idle wait go through one ring, submitted and reaped in one {@code io_uring_enter} per poll.
 *
 * <p>Reads ({@link RingReads}): a multishot read per port fills buffers of a provided-buffer ring;
 * a completion is both the port's readiness and its frame, which the port lends to the switch where
 * it landed ({@link TapPort#lend}). Writes ({@link RingWrites}): a frame that lies in such a buffer
 * is written from there (a TAP-to-TAP frame is never copied in userspace); any other (built by the
 * switch, from a tunnel) is copied into a bounded transmit area, since the switch reuses its buffer
 * as soon as {@code transmit} returns. Where the kernel lacks provided-buffer rings or multishot
 * reads (before 6.7) readiness comes from multishot polls and each frame is one {@code readv}.
 *
 * <p>A write the device refuses is learnt after the fact, counted by its port
 * ({@link TapPort#txDropped()} and friends) and reported to the switch, which counts it under the
 * drop reason the same refusal from {@code transmit} gets.
 *
 * <p>Completions report a wakeup, not a level: a port that still holds frames after the dataplane
 * stopped at its batch is reported again on the next poll, as epoll's level triggering would. A
 * poll or read the kernel ends is re-armed; a read that ran out of buffers waits for some to come
 * back ({@link #readBufferWaits()}).
 *
 * <p>Used by one thread, except {@link #wakeup()}. Nothing is allocated per poll or per frame.
 */
public final class UringReadySet implements ReadySet {
    /** Submission slots: one cycle's writes beyond this are submitted in more than one batch. */
    public static final int DEFAULT_ENTRIES = 256;
    /** Bytes of frames one batch holds. */
    public static final int DEFAULT_TX_BYTES = 4 << 20;

    private static final int COMPLETIONS = 4096;
    /** How long a flush before a port closes waits for its writes, at most. */
    private static final long FLUSH_WAIT_NANOS = 100_000_000L;

    /** Provided buffers for reads through the ring, shared by every port. */
    public static final int DEFAULT_READ_BUFFERS = 256;
    /** A provided buffer: a 64 KiB GSO super-frame, its virtio-net header, and room to grow in place. */
    static final int READ_BUFFER_BYTES = 72 << 10;

    // user data kinds (WatchedPorts encodes them; a write's user data is RingWrites's)
    private static final int PORT_POLL = 1;
    private static final int WAKEUP_POLL = 2;
    private static final int DESCRIPTOR_POLL = 3;
    private static final int WRITE = RingWrites.KIND;
    private static final int CONTROL = 5;
    private static final int PORT_READ = 6;
    /** What a cancellation or poll removal completes with (ignored by {@link #reap}). */
    private static final long CONTROL_DATA = WatchedPorts.userData(CONTROL, 0);

    private final IoUring ring;
    private final Arena arena;
    private final MemorySegment callState;
    private final WakeupEventfd wakeupFd;
    private final RingWrites writes;
    private final RingSubmitter submitter;
    /** Reads through the ring into provided buffers; null where the kernel refused them (polls then). */
    private final RingReads reads;

    private boolean closed;

    private final WatchedPorts ports = new WatchedPorts();
    private final ReadySlots ready = new ReadySlots();
    private boolean descriptorPending;

    private final RingCounters counters;

    private UringReadySet(
            IoUring ring,
            Arena arena,
            MemorySegment callState,
            WakeupEventfd wakeupFd,
            int txBytes,
            ProvidedBuffers buffers,
            boolean multishot) {
        this.ring = ring;
        this.arena = arena;
        this.callState = callState;
        this.wakeupFd = wakeupFd;
        this.reads = buffers == null ? null : new RingReads(ring, buffers, multishot, this::submitWhenFull);
        this.writes = new RingWrites(ring, arena.allocate(txBytes, 4096), reads);
        this.submitter = new RingSubmitter(ring, writes, this::reap);
        this.counters = new RingCounters(submitter, writes, reads);
        ring.pollMultishot(wakeupFd.fd(), IoUring.POLLIN, WatchedPorts.userData(WAKEUP_POLL, 0));
    }

    /** A set with the default ring and transmit area; fails where the kernel has no usable io_uring. */
    public static UringReadySet create() throws TapException {
        return create(DEFAULT_ENTRIES, DEFAULT_TX_BYTES);
    }

    /** As {@link #create(int, int, int, boolean)} with the default read buffers and multishot reads. */
    public static UringReadySet create(int entries, int txBytes) throws TapException {
        return create(entries, txBytes, DEFAULT_READ_BUFFERS, true);
    }

    /**
     * @param entries submission slots (a power of two, at least 8)
     * @param txBytes bytes of frames one batch holds (at least 128 KiB: two GSO super-frames)
     * @param readBuffers provided buffers that reads through the ring land in (a power of two; 0:
     *     read with one {@code readv} per frame, readiness from polls)
     * @param multishot whether a port's read stays armed ({@code IORING_OP_READ_MULTISHOT}) or is
     *     a single-shot read re-armed after each frame
     * @throws TapException with the errno when io_uring is missing or forbidden ({@code ENOSYS},
     *     {@code EPERM} under {@code kernel.io_uring_disabled})
     */
    public static UringReadySet create(int entries, int txBytes, int readBuffers, boolean multishot)
            throws TapException {
        if (entries < 8 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("entries must be a power of two of at least 8: " + entries);
        }
        if (txBytes < 128 << 10) {
            throw new IllegalArgumentException("txBytes must be at least 128 KiB: " + txBytes);
        }
        final IoUring ring = IoUring.create(entries, Math.max(COMPLETIONS, entries * 2));
        final Arena arena = Arena.ofShared();
        ProvidedBuffers buffers = null;
        try {
            buffers =
                    readBuffers == 0 ? null : RingReads.buffersOrNull(ring, readBuffers, READ_BUFFER_BYTES, multishot);
            final MemorySegment callState = LibC.allocateCallState(arena);
            return new UringReadySet(
                    ring, arena, callState, WakeupEventfd.create(callState, arena), txBytes, buffers, multishot);
        } catch (TapException | RuntimeException | Error e) {
            if (buffers != null) {
                buffers.close();
            }
            arena.close();
            ring.close();
            throw e;
        }
    }

    /** Watches a {@link TapPort} under {@code slot}: reads it through the ring and batches its writes. */
    @Override
    public boolean add(int slot, Port port) {
        ensureOpen();
        if (!(port instanceof TapPort tap) || tap.device().isClosed() || slot > RingWrites.MAX_SLOT) {
            return false;
        }
        if (tap.batch() == this) {
            release(tap); // added again: it moves to the new slot
        }
        final long data = ports.put(slot, tap, reads != null ? PORT_READ : PORT_POLL);
        ready.growTo(ports.capacity());
        tap.batchWritesIn(this, slot);
        if (reads != null) {
            reads.arm(slot, tap.device().fd(), data);
        } else {
            submitter.reserve(FLUSH_WAIT_NANOS);
            ring.pollMultishot(tap.device().fd(), IoUring.POLLIN, data);
        }
        return true;
    }

    /** Stops watching a port and sends its queued writes; call it before the port is closed. */
    @Override
    public void remove(int slot, Port port) {
        if (!closed && port instanceof TapPort tap && tap.batch() == this) {
            release(tap);
        }
    }

    /**
     * Sends what is queued and cancels the port's read or poll, which holds a reference to its
     * device (a non-persistent TAP lives as long as that reference). Frames it lent stay lent until
     * taken back; what landed for it and was not lent goes back to the kernel.
     */
    void release(TapPort tap) {
        final int slot = tap.batchSlot();
        submitter.flush(FLUSH_WAIT_NANOS);
        if (reads != null) {
            reads.stop(slot, CONTROL_DATA);
        } else {
            submitter.reserve(FLUSH_WAIT_NANOS);
            ring.pollRemove(ports.userDataOf(slot, PORT_POLL), CONTROL_DATA);
        }
        submitter.submit(0);
        ports.remove(slot);
        tap.batchWritesIn(null, 0);
    }

    /** Called by a {@link TapPort} as it closes while still batched here. */
    void flushBeforeClose(TapPort tap) {
        if (!closed) {
            release(tap);
        }
    }

    @Override
    public boolean watch(int fd) {
        ensureOpen();
        submitter.reserve(FLUSH_WAIT_NANOS);
        ring.pollMultishot(fd, IoUring.POLLIN, WatchedPorts.userData(DESCRIPTOR_POLL, fd));
        submitter.submit(0);
        return true;
    }

    @Override
    public void unwatch(int fd) {
        if (closed) {
            return;
        }
        submitter.reserve(FLUSH_WAIT_NANOS);
        ring.pollRemove(WatchedPorts.userData(DESCRIPTOR_POLL, fd), CONTROL_DATA);
        submitter.submit(0);
    }

    /**
     * Submits this cycle's writes, waits up to {@code timeoutMillis} (0: not at all; negative:
     * without limit) unless something is already known to be ready, and writes the ready slots.
     */
    @Override
    public int poll(int[] readySlots, int timeoutMillis) {
        ensureOpen();
        for (int i = 0; i < ready.lastReportedCount(); i++) {
            final int slot = ready.lastReported(i);
            final TapPort port = ports.at(slot);
            if (port != null && (reads != null ? reads.hasLanded(slot) : port.rxMaybeMore())) {
                ready.mark(slot);
            }
        }
        if (reads != null) {
            reads.resumeWaiting();
        }
        final boolean known = ready.any() || descriptorPending || ring.completions() > 0;
        final long waitNanos = known || timeoutMillis == 0 ? 0 : timeoutMillis < 0 ? -1 : timeoutMillis * 1_000_000L;
        if (ring.unsubmitted() > 0 || waitNanos != 0) {
            submitter.submit(waitNanos);
        }
        reap();
        int slots = 0;
        if (descriptorPending && slots < readySlots.length) {
            descriptorPending = false;
            readySlots[slots++] = DESCRIPTOR_READY;
        }
        return ready.drainInto(readySlots, slots, ports);
    }

    /**
     * Queues one frame for a batched write, from the provided buffer it lies in or else copied into
     * the transmit area. Submits early when the area or the ring is full.
     */
    int queueWrite(int slot, int fd, DirectBuffer buffer, int offset, int length) {
        final long address = buffer.addressOffset() + offset;
        final int lent = writes.lentBuffer(address, length);
        if (ring.freeSubmissions() == 0 || (lent < 0 && !writes.roomFor(length))) {
            counters.flushedEarly();
            submitter.flush(FLUSH_WAIT_NANOS);
            if (ring.freeSubmissions() == 0 || (lent < 0 && !writes.roomFor(length))) {
                return Port.TX_BUSY; // writes still in flight after the wait: the kernel is stuck
            }
        }
        if (lent >= 0) {
            writes.queueInPlace(fd, address, length, lent, ports.generation(slot), slot);
        } else {
            writes.queueCopy(fd, buffer, offset, length, ports.generation(slot), slot);
        }
        return Port.TX_OK;
    }

    /** Frees a submission slot without consuming completions: safe inside {@link #reap}. */
    private void submitWhenFull() {
        submitter.submitWhenFull();
    }

    /** Consumes every posted completion: readiness into {@link #ready}, frames and write results to their ports. */
    private void reap() {
        final int n = ring.completions();
        for (int i = 0; i < n; i++) {
            final long data = ring.completionUserData(i);
            final int result = ring.completionResult(i);
            final boolean more = (ring.completionFlags(i) & IoUring.CQE_F_MORE) != 0;
            final int slot = WatchedPorts.slotOrFd(data);
            switch (WatchedPorts.kind(data)) {
                case WRITE -> writes.completed(data, result, ports);
                case PORT_POLL -> {
                    final TapPort port = ports.portOf(data);
                    if (port != null) {
                        ready.mark(slot); // a mask with POLLERR too: the next receive tells RX_GONE
                        if (!more && result != -Errno.ECANCELED) {
                            rearm(port.device().fd(), data);
                        }
                    }
                }
                case PORT_READ -> {
                    final boolean current = ports.portOf(data) != null;
                    if (reads.completed(slot, current, result, ring.completionFlags(i))) {
                        ready.mark(slot);
                    }
                }
                case WAKEUP_POLL -> {
                    wakeupFd.consume(callState);
                    if (!more) {
                        rearm(wakeupFd.fd(), data);
                    }
                }
                case DESCRIPTOR_POLL -> {
                    if (result != -Errno.ECANCELED) {
                        descriptorPending = true;
                        if (!more) {
                            rearm(slot, data);
                        }
                    }
                }
                default -> {} // CONTROL: a poll removal's own completion
            }
        }
        ring.consume(n);
        writes.reclaim();
    }

    private void rearm(int fd, long data) {
        counters.rearmed();
        if (ring.freeSubmissions() == 0) {
            submitter.submit(0); // not flush: this runs inside reap
        }
        ring.pollMultishot(fd, IoUring.POLLIN, data);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("UringReadySet is closed");
        }
    }

    /** Ends a blocked {@link #poll}; from any thread (an eventfd the ring polls). */
    @Override
    public void wakeup() {
        wakeupFd.signal();
    }

    /** Frames handed to the ring for writing. */
    public long writes() {
        return writes.writes();
    }

    /** Frames written from the provided buffer they were read into, without a copy. */
    public long inPlaceWrites() {
        return writes.inPlaceWrites();
    }

    /**
     * Reads that ended because every provided buffer was held ({@code ENOBUFS}): the port's reads
     * waited until buffers came back, its frames queued in the TAP meanwhile.
     */
    public long readBufferWaits() {
        return counters.readBufferWaits();
    }

    /** The errno of the last {@code io_uring_enter} that failed (counted as {@code enter-errors}), or 0. */
    public int lastErrno() {
        return submitter.lastErrno();
    }

    /** Sends what is queued, then closes the ring; the watched ports stay open and write directly again. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        submitter.flush(FLUSH_WAIT_NANOS);
        if (reads != null) {
            stopReads();
        }
        closed = true;
        for (int slot = 0; slot < ports.capacity(); slot++) {
            final TapPort port = ports.at(slot);
            if (port != null) {
                port.batchWritesIn(null, 0);
                ports.remove(slot);
            }
        }
        if (reads != null) {
            reads.close(); // unregisters the buffers while the ring is open
        }
        wakeupFd.close(callState);
        ring.close();
        arena.close();
    }

    /**
     * Cancels every port's read and waits (bounded) for their last completions, so the kernel no
     * longer reads into the buffers when they are freed.
     */
    private void stopReads() {
        for (int slot = 0; slot < ports.capacity(); slot++) {
            if (ports.at(slot) != null) {
                reads.stop(slot, CONTROL_DATA);
                ports.outdate(slot); // later completions are not the port's: their buffers go straight back
            }
        }
        final long deadline = System.nanoTime() + FLUSH_WAIT_NANOS;
        do {
            submitter.submit(1_000_000L);
            reap();
        } while (reads.inFlight() > 0 && System.nanoTime() < deadline);
    }

    /** The reads through the ring (ports lend from it), or null where they poll and use readv. */
    RingReads reads() {
        return reads;
    }

    /** The ring's counters by name ({@link RingCounters#byName()}). */
    @Override
    public Map<String, Long> counters() {
        return counters.byName();
    }

    @Override
    public String toString() {
        return "UringReadySet[" + counters + "]";
    }
}
