package io.jvswitch.tap;

import java.util.Arrays;

/**
 * Who holds each provided buffer between the kernel's read and its return to the ring: frames
 * landed for a port and not yet lent (a queue per port, in the order they were read), and a
 * reference count per buffer while it is lent to the switch or written from.
 *
 * <p>A landed frame is lent with one reference; every write queued from it adds one, and its
 * completion drops it; the switch's {@code takeBack} drops the lend's. The buffer goes back to the
 * kernel when the count reaches zero, so a flood that writes one frame to many ports returns it
 * once, after the last write.
 *
 * <p>The queues are linked through the buffers ({@link #next}): no allocation, and their total is
 * bounded by the number of buffers. Used by the one dataplane thread.
 */
final class LentFrames {
    private static final int NONE = -1;

    private final ProvidedBuffers buffers;
    private final int[] references;
    private final int[] lengths;
    private final int[] next;
    private int[] heads = new int[64];
    private int[] tails = new int[64];

    private long lent;
    private long returned;
    private long unheldReleases;

    LentFrames(ProvidedBuffers buffers) {
        this.buffers = buffers;
        this.references = new int[buffers.count()];
        this.lengths = new int[buffers.count()];
        this.next = new int[buffers.count()];
        Arrays.fill(heads, NONE);
        Arrays.fill(tails, NONE);
    }

    /** A read for {@code slot} completed into buffer {@code bid}: queued until the port lends it. */
    void landed(int slot, int bid, int length) {
        buffers.taken();
        growTo(slot);
        lengths[bid] = length;
        next[bid] = NONE;
        if (tails[slot] == NONE) {
            heads[slot] = bid;
        } else {
            next[tails[slot]] = bid;
        }
        tails[slot] = bid;
    }

    /** A buffer the kernel filled for nobody (its port left): straight back. */
    void discard(int bid) {
        buffers.taken();
        buffers.recycle(bid);
        returned++;
    }

    boolean hasLanded(int slot) {
        return slot < heads.length && heads[slot] != NONE;
    }

    /** The oldest frame landed for {@code slot}, now lent (one reference), or -1 when none. */
    int lendNext(int slot) {
        if (slot >= heads.length || heads[slot] == NONE) {
            return NONE;
        }
        final int bid = heads[slot];
        heads[slot] = next[bid];
        if (heads[slot] == NONE) {
            tails[slot] = NONE;
        }
        references[bid] = 1;
        lent++;
        return bid;
    }

    int length(int bid) {
        return lengths[bid];
    }

    /** One more reference: a write from buffer {@code bid} was queued. */
    void retain(int bid) {
        references[bid]++;
    }

    /**
     * Drops a reference; the last one gives the buffer back to the kernel. A buffer nobody holds
     * (taken back twice: a caller's bug) is counted and left alone, never given to the kernel twice.
     */
    void release(int bid) {
        if (references[bid] <= 0) {
            unheldReleases++;
            return;
        }
        if (--references[bid] == 0) {
            buffers.recycle(bid);
            returned++;
        }
    }

    /** Gives back every frame landed for {@code slot} and not lent: its port is leaving. */
    void discardLanded(int slot) {
        int bid;
        while ((bid = lendNext(slot)) != NONE) {
            lent--;
            release(bid);
        }
    }

    /** Releases of a buffer nobody held (ignored). */
    long unheldReleases() {
        return unheldReleases;
    }

    /** Frames lent to the switch so far. */
    long lent() {
        return lent;
    }

    /** Buffers given back to the kernel so far (after their last reference, or unread by a gone port). */
    long returned() {
        return returned;
    }

    private void growTo(int slot) {
        if (slot >= heads.length) {
            final int size = Integer.highestOneBit(slot) << 1;
            final int old = heads.length;
            heads = Arrays.copyOf(heads, size);
            tails = Arrays.copyOf(tails, size);
            Arrays.fill(heads, old, size, NONE);
            Arrays.fill(tails, old, size, NONE);
        }
    }
}
