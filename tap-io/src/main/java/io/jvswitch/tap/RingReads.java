package io.jvswitch.tap;

import io.jvswitch.switching.port.Port;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The TAP reads of a {@link UringReadySet}: one read per port armed in the ring, whose frames land
 * in {@link ProvidedBuffers} and are lent to the switch where they landed ({@link #lend}), so a
 * frame read through the ring is never copied in userspace.
 *
 * <p>Multishot reads ({@code IORING_OP_READ_MULTISHOT}) stay armed and post a completion per frame;
 * single-shot reads with buffer selection are re-armed after each. Either way, a read that ends is
 * re-armed, except when it ended for want of buffers ({@code ENOBUFS}): the port then waits, counted
 * in {@link #bufferWaits()}, until buffers came back, and its frames wait in the TAP's own queue.
 *
 * <p>Used by the one dataplane thread; nothing allocated per frame.
 */
final class RingReads implements AutoCloseable {
    /** Makes room in the submission ring (submits what is queued) before an entry is filled. */
    interface SubmissionRoom {
        void make();
    }

    private static final System.Logger LOG = System.getLogger(RingReads.class.getName());
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    private final IoUring ring;
    private final ProvidedBuffers buffers;
    private final LentFrames frames;
    private final boolean multishot;
    private final SubmissionRoom room;

    /** Per slot: the armed read's user data (0: none), the port's descriptor. */
    private long[] readData = new long[64];

    private int[] fds = new int[64];
    private boolean[] gone = new boolean[64];
    private boolean[] waiting = new boolean[64];
    private int[] waitingSlots = new int[64];
    private int waitingCount;
    /** Reads armed whose last completion has not come. */
    private int inFlight;

    private boolean closed;

    private long bufferWaits;
    private long rearms;
    private long readErrors;
    private int lastErrno;

    RingReads(IoUring ring, ProvidedBuffers buffers, boolean multishot, SubmissionRoom room) {
        this.ring = ring;
        this.buffers = buffers;
        this.frames = new LentFrames(buffers);
        this.multishot = multishot;
        this.room = room;
    }

    /** The provided buffers, or null (said once in the log) where the kernel lacks them or the read opcode. */
    static ProvidedBuffers buffersOrNull(IoUring ring, int count, int bytes, boolean multishot) {
        String missing = null;
        if (!ring.supports(multishot ? IoUring.OP_READ_MULTISHOT : IoUring.OP_READ)) {
            missing = multishot ? "multishot reads (Linux 6.7)" : "reads";
        } else {
            try {
                return ProvidedBuffers.register(ring, count, bytes);
            } catch (TapException e) {
                missing = "provided-buffer rings (Linux 5.19): " + e.getMessage();
            }
        }
        if (!FALLBACK_LOGGED.getAndSet(true)) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "this kernel's io_uring lacks {0}: TAP reads stay one readv per frame",
                    missing);
        }
        return null;
    }

    /** Starts reading {@code fd} for {@code slot}; completions carry {@code data}. */
    void arm(int slot, int fd, long data) {
        growTo(slot);
        readData[slot] = data;
        fds[slot] = fd;
        gone[slot] = false;
        waiting[slot] = false; // an entry left in waitingSlots by the slot's last port is skipped
        submitRead(slot);
    }

    private void submitRead(int slot) {
        room.make();
        if (multishot) {
            ring.readMultishot(fds[slot], ProvidedBuffers.GROUP, readData[slot]);
        } else {
            ring.readSelect(fds[slot], ProvidedBuffers.GROUP, buffers.stride(), readData[slot]);
        }
        inFlight++;
    }

    /**
     * Stops reading for {@code slot}: cancels its read and gives back what landed and was not lent.
     * Frames lent from it stay lent until taken back; late completions for it find {@code current}
     * false and give their buffers straight back.
     */
    void stop(int slot, long cancelData) {
        if (slot >= readData.length || readData[slot] == 0) {
            return;
        }
        room.make();
        ring.cancel(readData[slot], cancelData);
        readData[slot] = 0;
        waiting[slot] = false; // left in waitingSlots: resumeWaiting skips it
        frames.discardLanded(slot);
    }

    /**
     * One completion of the read armed for {@code slot}; {@code current} is false when the read
     * belongs to a port that left.
     *
     * @return whether the slot has something to report now (a frame landed, or the port failed)
     */
    boolean completed(int slot, boolean current, int result, int flags) {
        if ((flags & IoUring.CQE_F_BUFFER) != 0) {
            final int bid = flags >>> IoUring.CQE_BUFFER_SHIFT;
            if (current && result > 0) {
                frames.landed(slot, bid, result);
            } else {
                frames.discard(bid);
            }
        }
        if ((flags & IoUring.CQE_F_MORE) != 0) {
            return current && result > 0;
        }
        inFlight--;
        if (!current || result == -Errno.ECANCELED) {
            return false;
        }
        if (result == -Errno.ENOBUFS) {
            bufferWaits++;
            if (!waiting[slot]) {
                if (waitingCount == waitingSlots.length) {
                    dropStaleWaiting();
                }
                waiting[slot] = true;
                waitingSlots[waitingCount++] = slot;
            }
            return frames.hasLanded(slot);
        }
        if (result < 0 && Errno.isDeviceGone(-result)) {
            lastErrno = -result;
            gone[slot] = true;
            return true;
        }
        if (result < 0 && result != -Errno.EAGAIN && result != -Errno.EINTR) {
            readErrors++;
            lastErrno = -result;
        }
        if (multishot) {
            rearms++;
        }
        submitRead(slot);
        return result > 0;
    }

    /**
     * Keeps only the entries of slots still waiting, one each: a slot re-armed ({@link #arm}) while
     * waiting leaves its entry behind, so the list can fill with stale ones. The live ones are
     * distinct slots and the list is as long as the slots, so this always makes room, without
     * growing the list on the packet path.
     */
    private void dropStaleWaiting() {
        int kept = 0;
        for (int i = 0; i < waitingCount; i++) {
            final int s = waitingSlots[i];
            if (waiting[s]) {
                waiting[s] = false; // marks it kept: a second entry for the same slot is dropped
                waitingSlots[kept++] = s;
            }
        }
        for (int i = 0; i < kept; i++) {
            waiting[waitingSlots[i]] = true;
        }
        waitingCount = kept;
    }

    /** Re-arms the reads of ports that waited for buffers, once some came back. */
    void resumeWaiting() {
        if (waitingCount == 0 || buffers.inRing() == 0) {
            return;
        }
        for (int i = 0; i < waitingCount; i++) {
            final int slot = waitingSlots[i];
            if (waiting[slot]) {
                waiting[slot] = false;
                if (readData[slot] != 0) {
                    rearms++;
                    submitRead(slot);
                }
            }
        }
        waitingCount = 0;
    }

    boolean hasLanded(int slot) {
        return frames.hasLanded(slot) || slot < gone.length && gone[slot];
    }

    /**
     * Points {@code view} at the next frame landed for {@code slot} and lends it.
     *
     * @return its length, {@link Port#RX_EMPTY}, or {@link Port#RX_GONE} once the port failed and
     *     every frame it had was lent
     */
    int lend(int slot, UnsafeBuffer view) {
        final int bid = frames.lendNext(slot);
        if (bid < 0) {
            return slot < gone.length && gone[slot] ? Port.RX_GONE : Port.RX_EMPTY;
        }
        view.wrap(buffers.address(bid), buffers.stride());
        return frames.length(bid);
    }

    /** Ends the loan of the frame {@code view} points at (a view not lent from here is ignored). */
    void takeBack(UnsafeBuffer view) {
        if (closed) {
            return;
        }
        final int bid = buffers.bufferOf(view.addressOffset(), 1);
        if (bid >= 0) {
            frames.release(bid);
        }
    }

    /** The buffer holding {@code [address, +length)} when it is one of the ring's, else -1. */
    int bufferOf(long address, int length) {
        return buffers.bufferOf(address, length);
    }

    /** A write from buffer {@code bid} was queued: it stays out of the kernel's hands until written. */
    void writing(int bid) {
        frames.retain(bid);
    }

    /** A write from buffer {@code bid} completed. */
    void written(int bid) {
        frames.release(bid);
    }

    /** Reads armed whose last completion has not come (after {@link #stop}: cancellations pending). */
    int inFlight() {
        return inFlight;
    }

    boolean multishot() {
        return multishot;
    }

    /** Reads that ended for want of buffers ({@code ENOBUFS}): the port waited for buffers to come back. */
    long bufferWaits() {
        return bufferWaits;
    }

    long rearms() {
        return rearms;
    }

    long readErrors() {
        return readErrors;
    }

    int lastErrno() {
        return lastErrno;
    }

    /** Frames lent to the switch so far. */
    long lent() {
        return frames.lent();
    }

    /** Take-backs or write completions of a buffer nobody held: a bug, counted and ignored. */
    long unheldReleases() {
        return frames.unheldReleases();
    }

    /** Buffers given back to the kernel so far. */
    long returned() {
        return frames.returned();
    }

    /** Buffers the kernel can read into now. */
    int buffersInRing() {
        return buffers.inRing();
    }

    /** Frees the buffers; the caller cancelled every read and waited for them first. */
    @Override
    public void close() {
        closed = true;
        buffers.close();
    }

    private void growTo(int slot) {
        if (slot >= readData.length) {
            final int size = Integer.highestOneBit(slot) << 1;
            readData = Arrays.copyOf(readData, size);
            fds = Arrays.copyOf(fds, size);
            gone = Arrays.copyOf(gone, size);
            waiting = Arrays.copyOf(waiting, size);
            waitingSlots = Arrays.copyOf(waitingSlots, size);
        }
    }
}
