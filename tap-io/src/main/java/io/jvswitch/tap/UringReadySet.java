package io.jvswitch.tap;

import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.port.ReadySet;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A {@link ReadySet} over one io_uring: readiness through multishot polls whose completions land in
 * shared memory, and the {@link TapPort}s' writes of a duty cycle submitted as one batch.
 *
 * <p>What it saves against {@link EpollReadySet}: a busy duty cycle reads its ports' readiness from
 * the completion ring without a system call (epoll_wait(0) was one per cycle), and every frame
 * written in a cycle leaves in the one {@code io_uring_enter} at the next {@link #poll}, which is
 * also the idle wait, instead of one {@code write(2)} each. Reads stay one {@code readv(2)} per frame.
 *
 * <p>The price is a copy: the switch reuses its frame buffer as soon as {@code transmit} returns, so a
 * batched frame is copied into this set's transmit area (bounded: {@link #DEFAULT_TX_BYTES}; when
 * full, the batch is submitted early). A write the device refuses is learnt after the fact,
 * counted by its port ({@link TapPort#txDropped()} and friends) and reported to the switch, which
 * counts it under the drop reason the same refusal from {@code transmit} gets.
 *
 * <p>Multishot polls report a wakeup, not a level: a port whose last receive returned a frame
 * (the dataplane stopped at its batch) is reported again on the next poll, as epoll's level
 * triggering would. A poll the kernel ends (completion queue overflow) is re-armed.
 *
 * <p>Used by one thread, except {@link #wakeup()}. Nothing is allocated per poll or per frame.
 */
public final class UringReadySet implements ReadySet {
    /** Submission slots: one cycle's writes beyond this are submitted in more than one batch. */
    public static final int DEFAULT_ENTRIES = 256;
    /** Bytes of frames one batch holds. */
    public static final int DEFAULT_TX_BYTES = 4 << 20;

    private static final int COMPLETIONS = 4096;
    private static final int ALIGNMENT = 64;
    /** How long a flush before a port closes waits for its writes, at most. */
    private static final long FLUSH_WAIT_NANOS = 100_000_000L;

    // user data: kind in the top byte, a generation in the next three, the slot (or fd) below;
    // a write's: kind, 16 bits of generation, its length in 24 bits and its slot in the low 16
    private static final int PORT_POLL = 1;
    private static final int WAKEUP_POLL = 2;
    private static final int DESCRIPTOR_POLL = 3;
    private static final int WRITE = 4;
    private static final int CONTROL = 5;
    /** Slots whose writes are batched: a write's user data has 16 bits for the slot. */
    private static final int MAX_BATCHED_SLOT = 0xFFFF;

    private static final int WRITE_GENERATION_MASK = 0xFFFF;

    private final IoUring ring;
    private final Arena arena;
    private final MemorySegment callState;
    private final WakeupEventfd wakeupFd;
    private final UnsafeBuffer tx;
    private final long txAddress;
    private boolean closed;

    private TapPort[] ports = new TapPort[64];
    private int[] generations = new int[64];
    /** Slots with a readiness report not yet handed to {@link #poll}; {@link #queued} dedupes. */
    private int[] pending = new int[64];

    private boolean[] queued = new boolean[64];
    private int pendingCount;
    private boolean descriptorPending;
    /** The port slots the last poll reported: reported again while their port may hold more. */
    private int[] lastReported = new int[64];

    private int lastReportedCount;
    private int txUsed;
    private int writesInFlight;

    private long enters;
    private long writes;
    private long rearms;
    private long enterErrors;
    private long earlyFlushes;
    private long orphanWriteErrors;
    private int lastErrno;

    private UringReadySet(IoUring ring, Arena arena, MemorySegment callState, WakeupEventfd wakeupFd, int txBytes) {
        this.ring = ring;
        this.arena = arena;
        this.callState = callState;
        this.wakeupFd = wakeupFd;
        final MemorySegment area = arena.allocate(txBytes, 4096);
        this.tx = new UnsafeBuffer(area.address(), txBytes);
        this.txAddress = area.address();
        ring.pollMultishot(wakeupFd.fd(), IoUring.POLLIN, userData(WAKEUP_POLL, 0, 0));
    }

    /** A set with the default ring and transmit area; fails where the kernel has no usable io_uring. */
    public static UringReadySet create() throws TapException {
        return create(DEFAULT_ENTRIES, DEFAULT_TX_BYTES);
    }

    /**
     * @param entries submission slots (a power of two, at least 8)
     * @param txBytes bytes of frames one batch holds (at least 128 KiB: two GSO super-frames)
     * @throws TapException with the errno when io_uring is missing or forbidden ({@code ENOSYS},
     *     {@code EPERM} under {@code kernel.io_uring_disabled})
     */
    public static UringReadySet create(int entries, int txBytes) throws TapException {
        if (entries < 8 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("entries must be a power of two of at least 8: " + entries);
        }
        if (txBytes < 128 << 10) {
            throw new IllegalArgumentException("txBytes must be at least 128 KiB: " + txBytes);
        }
        final IoUring ring = IoUring.create(entries, Math.max(COMPLETIONS, entries * 2));
        final Arena arena = Arena.ofShared();
        try {
            final MemorySegment callState = LibC.allocateCallState(arena);
            return new UringReadySet(ring, arena, callState, WakeupEventfd.create(callState, arena), txBytes);
        } catch (TapException | RuntimeException | Error e) {
            arena.close();
            ring.close();
            throw e;
        }
    }

    private static long userData(int kind, int generation, int slotOrFd) {
        return ((long) kind << 56) | ((long) (generation & 0xFF_FFFF) << 32) | Integer.toUnsignedLong(slotOrFd);
    }

    /** A write's user data: with its length, so its completion can tell a short write and count the bytes. */
    private static long writeData(int generation, int slot, int length) {
        return ((long) WRITE << 56)
                | ((long) (generation & WRITE_GENERATION_MASK) << 40)
                | ((long) length << 16)
                | slot;
    }

    /** Watches a {@link TapPort} under {@code slot} and batches its writes from now on. */
    @Override
    public boolean add(int slot, Port port) {
        ensureOpen();
        if (!(port instanceof TapPort tap) || tap.device().isClosed() || slot > MAX_BATCHED_SLOT) {
            return false;
        }
        if (tap.batch() == this) {
            release(tap); // added again: it moves to the new slot
        }
        growTo(slot);
        final int generation = ++generations[slot];
        ports[slot] = tap;
        tap.batchWritesIn(this, slot);
        reserveSubmission();
        ring.pollMultishot(tap.device().fd(), IoUring.POLLIN, userData(PORT_POLL, generation, slot));
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
     * Sends what is queued and cancels the port's poll, which holds a reference to its device (a
     * non-persistent TAP lives as long as that reference).
     */
    void release(TapPort tap) {
        final int slot = tap.batchSlot();
        flush(FLUSH_WAIT_NANOS);
        reserveSubmission();
        ring.pollRemove(userData(PORT_POLL, generations[slot], slot), userData(CONTROL, 0, 0));
        submit(0);
        ports[slot] = null;
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
        reserveSubmission();
        ring.pollMultishot(fd, IoUring.POLLIN, userData(DESCRIPTOR_POLL, 0, fd));
        submit(0);
        return true;
    }

    @Override
    public void unwatch(int fd) {
        if (closed) {
            return;
        }
        reserveSubmission();
        ring.pollRemove(userData(DESCRIPTOR_POLL, 0, fd), userData(CONTROL, 0, 0));
        submit(0);
    }

    /**
     * Submits this cycle's writes, waits up to {@code timeoutMillis} (0: not at all; negative:
     * without limit) unless something is already known to be ready, and writes the ready slots.
     */
    @Override
    public int poll(int[] readySlots, int timeoutMillis) {
        ensureOpen();
        for (int i = 0; i < lastReportedCount; i++) {
            final int slot = lastReported[i];
            final TapPort port = ports[slot];
            if (port != null && port.rxMaybeMore()) {
                markReady(slot);
            }
        }
        final boolean ready = pendingCount > 0 || descriptorPending || ring.completions() > 0;
        final long waitNanos = ready || timeoutMillis == 0 ? 0 : timeoutMillis < 0 ? -1 : timeoutMillis * 1_000_000L;
        if (ring.unsubmitted() > 0 || waitNanos != 0) {
            submit(waitNanos);
        }
        reap();
        int slots = 0;
        if (descriptorPending && slots < readySlots.length) {
            descriptorPending = false;
            readySlots[slots++] = DESCRIPTOR_READY;
        }
        int taken = 0;
        lastReportedCount = 0;
        while (taken < pendingCount && slots < readySlots.length) {
            final int slot = pending[taken++];
            queued[slot] = false;
            if (ports[slot] != null) {
                readySlots[slots++] = slot;
                lastReported[lastReportedCount++] = slot;
            }
        }
        // what did not fit waits for the next poll, in order
        System.arraycopy(pending, taken, pending, 0, pendingCount - taken);
        pendingCount -= taken;
        return slots;
    }

    /**
     * Queues one frame for a batched write: copies it into the transmit area (the switch reuses its
     * buffer at once) and fills a submission entry. Submits early when the area or the ring is full.
     */
    int queueWrite(int slot, int fd, DirectBuffer buffer, int offset, int length) {
        final int room = (length + ALIGNMENT - 1) & -ALIGNMENT;
        if (txUsed + room > tx.capacity() || ring.freeSubmissions() == 0) {
            earlyFlushes++;
            flush(FLUSH_WAIT_NANOS);
            if (txUsed + room > tx.capacity() || ring.freeSubmissions() == 0) {
                return Port.TX_BUSY; // writes still in flight after the wait: the kernel is stuck
            }
        }
        tx.putBytes(txUsed, buffer, offset, length);
        ring.write(fd, txAddress + txUsed, length, writeData(generations[slot], slot, length));
        txUsed += room;
        writesInFlight++;
        writes++;
        return Port.TX_OK;
    }

    /** Submits what is queued and waits (bounded) until every write completed, so the area is free. */
    private void flush(long maxWaitNanos) {
        if (ring.unsubmitted() > 0) {
            submit(0);
        }
        reap();
        final long deadline = System.nanoTime() + maxWaitNanos;
        while (writesInFlight > 0 && System.nanoTime() < deadline) {
            submit(1_000_000L);
            reap();
        }
    }

    private void reserveSubmission() {
        if (ring.freeSubmissions() == 0) {
            flush(FLUSH_WAIT_NANOS);
        }
    }

    private void submit(long waitNanos) {
        enters++;
        final int result = ring.enter(waitNanos);
        if (result < 0 && result != -Errno.ETIME && result != -Errno.EINTR) {
            // EBUSY/EAGAIN: the completion queue overflowed and the kernel wants it drained first
            enterErrors++;
            lastErrno = -result;
        }
    }

    /** Consumes every posted completion: readiness into {@link #pending}, write results to their ports. */
    private void reap() {
        final int n = ring.completions();
        for (int i = 0; i < n; i++) {
            final long data = ring.completionUserData(i);
            final int result = ring.completionResult(i);
            final boolean more = (ring.completionFlags(i) & IoUring.CQE_F_MORE) != 0;
            final int kind = (int) (data >>> 56);
            final int generation = (int) (data >>> 32) & 0xFF_FFFF;
            final int slot = (int) data;
            switch (kind) {
                case WRITE -> {
                    writesInFlight--;
                    final int writeSlot = (int) data & MAX_BATCHED_SLOT;
                    final int length = (int) (data >>> 16) & 0xFF_FFFF;
                    final TapPort port = writeSlot < ports.length ? ports[writeSlot] : null;
                    final int writeGeneration = (int) (data >>> 40) & WRITE_GENERATION_MASK;
                    if (port != null && (generations[writeSlot] & WRITE_GENERATION_MASK) == writeGeneration) {
                        port.writeCompleted(result, length);
                    } else if (result < length) {
                        orphanWriteErrors++;
                    }
                }
                case PORT_POLL -> {
                    final TapPort port = ports[slot];
                    if (port != null && generations[slot] == generation) {
                        markReady(slot); // a mask with POLLERR too: the next receive tells RX_GONE
                        if (!more && result != -Errno.ECANCELED) {
                            rearm(port.device().fd(), data);
                        }
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
        if (writesInFlight == 0 && ring.unsubmitted() == 0) {
            txUsed = 0;
        }
    }

    private void rearm(int fd, long data) {
        rearms++;
        if (ring.freeSubmissions() == 0) {
            submit(0); // not flush: this runs inside reap
        }
        ring.pollMultishot(fd, IoUring.POLLIN, data);
    }

    private void markReady(int slot) {
        if (!queued[slot]) {
            queued[slot] = true;
            pending[pendingCount++] = slot;
        }
    }

    private void growTo(int slot) {
        if (slot < 0) {
            throw new IllegalArgumentException("negative slot " + slot);
        }
        if (slot >= ports.length) {
            final int size = Integer.highestOneBit(slot) << 1;
            ports = Arrays.copyOf(ports, size);
            generations = Arrays.copyOf(generations, size);
            pending = Arrays.copyOf(pending, size);
            queued = Arrays.copyOf(queued, size);
            lastReported = Arrays.copyOf(lastReported, size);
        }
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

    /** {@code io_uring_enter} calls so far: with {@link #writes()}, the system calls batching saved. */
    public long enters() {
        return enters;
    }

    /** Frames handed to the ring for writing. */
    public long writes() {
        return writes;
    }

    /** Polls re-armed after the kernel ended them. */
    public long rearms() {
        return rearms;
    }

    /** Batches submitted before the cycle's end because the ring or the transmit area was full. */
    public long earlyFlushes() {
        return earlyFlushes;
    }

    /** {@code io_uring_enter} calls that failed other than by timeout or signal (see {@link #lastErrno()}). */
    public long enterErrors() {
        return enterErrors;
    }

    /** Failed writes whose port had left the set when they completed. */
    public long orphanWriteErrors() {
        return orphanWriteErrors;
    }

    public int lastErrno() {
        return lastErrno;
    }

    /** Sends what is queued, then closes the ring; the watched ports stay open and write directly again. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        flush(FLUSH_WAIT_NANOS);
        closed = true;
        for (int slot = 0; slot < ports.length; slot++) {
            if (ports[slot] != null) {
                ports[slot].batchWritesIn(null, 0);
                ports[slot] = null;
            }
        }
        wakeupFd.close(callState);
        ring.close();
        arena.close();
    }

    @Override
    public String toString() {
        return "UringReadySet[enters=" + enters + ", writes=" + writes + ", rearms=" + rearms + "]";
    }
}
