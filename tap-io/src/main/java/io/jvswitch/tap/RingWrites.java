package io.jvswitch.tap;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.MemorySegment;

/**
 * The TAP writes of a {@link UringReadySet}, queued in its ring and submitted with the next
 * {@code io_uring_enter}. A frame that lies in a provided buffer (read through the ring and lent to
 * the switch) is written from there, and that buffer stays out of the kernel's ring until the write
 * completed; any other frame is copied into a bounded transmit area first, since the switch reuses
 * its buffer as soon as {@code transmit} returns.
 *
 * <p>A write's user data carries what its completion needs: the kind in the top 4 bits, 12 bits of
 * the port's generation, the provided buffer plus one in 15 bits (0: the transmit area), the length
 * in 17 bits and the slot in the low 16. Used by the one dataplane thread; nothing allocated.
 */
final class RingWrites {
    /** The user-data kind of a write (the top 4 bits). */
    static final int KIND = 4;

    static final int KIND_SHIFT = 60;
    /** Slots whose writes are batched: a write's user data has 16 bits for the slot. */
    static final int MAX_SLOT = 0xFFFF;

    private static final int ALIGNMENT = 64;
    private static final int GENERATION_MASK = 0xFFF;
    private static final int BUFFER_MASK = 0x7FFF;
    private static final int LENGTH_MASK = 0x1FFFF;

    private final IoUring ring;
    private final UnsafeBuffer tx;
    private final long txAddress;
    /** Where lent frames come from; null when reads do not go through the ring. */
    private final RingReads reads;

    private int txUsed;
    private int inFlight;
    private long writes;
    private long inPlaceWrites;
    private long orphanWriteErrors;

    RingWrites(IoUring ring, MemorySegment area, RingReads reads) {
        this.ring = ring;
        this.tx = new UnsafeBuffer(area.address(), (int) area.byteSize());
        this.txAddress = area.address();
        this.reads = reads;
    }

    private static long data(int generation, int slot, int length, int bufferPlusOne) {
        return ((long) KIND << KIND_SHIFT)
                | ((long) (generation & GENERATION_MASK) << 48)
                | ((long) bufferPlusOne << 33)
                | ((long) length << 16)
                | slot;
    }

    /** The provided buffer {@code [address, +length)} lies in, or -1: a frame to copy. */
    int lentBuffer(long address, int length) {
        return reads == null ? -1 : reads.bufferOf(address, length);
    }

    /** Whether the transmit area has room for a copy of {@code length} bytes. */
    boolean roomFor(int length) {
        return txUsed + align(length) <= tx.capacity();
    }

    /** Queues a write straight from provided buffer {@code bid}; the caller checked a submission slot is free. */
    void queueInPlace(int fd, long address, int length, int bid, int generation, int slot) {
        reads.writing(bid);
        ring.write(fd, address, length, data(generation, slot, length, bid + 1));
        inFlight++;
        writes++;
        inPlaceWrites++;
    }

    /** Copies a frame into the transmit area and queues its write; the caller checked {@link #roomFor}. */
    void queueCopy(int fd, DirectBuffer buffer, int offset, int length, int generation, int slot) {
        tx.putBytes(txUsed, buffer, offset, length);
        ring.write(fd, txAddress + txUsed, length, data(generation, slot, length, 0));
        txUsed += align(length);
        inFlight++;
        writes++;
    }

    /**
     * A write's completion: its buffer's reference dropped, its result told to its port when the
     * port is still the one it was queued for.
     */
    void completed(long data, int result, WatchedPorts ports) {
        inFlight--;
        final int slot = (int) data & MAX_SLOT;
        final int length = (int) (data >>> 16) & LENGTH_MASK;
        final int bufferPlusOne = (int) (data >>> 33) & BUFFER_MASK;
        if (bufferPlusOne != 0) {
            reads.written(bufferPlusOne - 1);
        }
        final TapPort port = ports.at(slot);
        final int generation = (int) (data >>> 48) & GENERATION_MASK;
        if (port != null && (ports.generation(slot) & GENERATION_MASK) == generation) {
            port.writeCompleted(result, length);
        } else if (result < length) {
            orphanWriteErrors++;
        }
    }

    /** Frees the transmit area once every write from it completed and none waits to be submitted. */
    void reclaim() {
        if (inFlight == 0 && ring.unsubmitted() == 0) {
            txUsed = 0;
        }
    }

    int inFlight() {
        return inFlight;
    }

    long writes() {
        return writes;
    }

    long inPlaceWrites() {
        return inPlaceWrites;
    }

    long orphanWriteErrors() {
        return orphanWriteErrors;
    }

    private static int align(int length) {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }
}
