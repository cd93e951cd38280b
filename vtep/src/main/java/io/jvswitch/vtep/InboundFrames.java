package io.jvswitch.vtep;

import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A tunnel's decapsulated frames waiting for its port's receive: a bounded byte ring of records
 * {@code [length][sender][frame]}, each aligned to 8 bytes, with a padding record where one does
 * not fit before the end.
 *
 * <p>Single-threaded on purpose. The underlay's reads and the port's receive both run on the
 * dataplane thread, so the ring needs no ordered stores, and unlike agrona's concurrent rings it
 * does not zero what was read (for a 1514-byte frame that was a third pass over its bytes).
 * Full: {@link #offer} refuses, and the caller counts the drop.
 */
final class InboundFrames {
    /** What {@link Reader#onFrame} answers. */
    static final int CONTINUE = 0;
    /** Consume this frame and stop reading. */
    static final int BREAK = 1;
    /** Leave this frame in the ring for the next read, and stop. */
    static final int ABORT = 2;

    private static final int HEADER = 8;
    private static final int PADDING = -1;

    /** Takes one frame out of the ring; answers {@link #CONTINUE}, {@link #BREAK} or {@link #ABORT}. */
    interface Reader {
        int onFrame(int senderIp, DirectBuffer ring, int frameOffset, int frameLength);
    }

    private final UnsafeBuffer ring;
    private final int capacity;
    private final int mask;
    private long head;
    private long tail;

    /** @param capacityBytes rounded up to a power of two */
    InboundFrames(int capacityBytes) {
        this.capacity = org.agrona.BitUtil.findNextPositivePowerOfTwo(Math.max(capacityBytes, 64));
        this.mask = capacity - 1;
        final ByteBuffer memory = BufferUtil.allocateDirectAligned(capacity, 64);
        this.ring = new UnsafeBuffer(memory);
    }

    /** Queues a copy of a frame from {@code senderIp}; false when it does not fit. */
    boolean offer(int senderIp, DirectBuffer src, int offset, int length) {
        final int record = align(HEADER + length);
        if (record > capacity) {
            return false;
        }
        int index = (int) (tail & mask);
        final int toEnd = capacity - index;
        final int needed = record <= toEnd ? record : record + toEnd;
        if (capacity - (tail - head) < needed) {
            return false;
        }
        if (record > toEnd) {
            ring.putInt(index, PADDING);
            tail += toEnd;
            index = 0;
        }
        ring.putInt(index, length);
        ring.putInt(index + 4, senderIp);
        ring.putBytes(index + HEADER, src, offset, length);
        tail += record;
        return true;
    }

    /** Hands frames to {@code reader} in order, at most {@code limit}; returns how many it consumed. */
    int read(Reader reader, int limit) {
        int consumed = 0;
        while (consumed < limit && head < tail) {
            final int index = (int) (head & mask);
            final int length = ring.getInt(index);
            if (length == PADDING) {
                head += capacity - index;
                continue;
            }
            final int action = reader.onFrame(ring.getInt(index + 4), ring, index + HEADER, length);
            if (action == ABORT) {
                break;
            }
            head += align(HEADER + length);
            consumed++;
            if (action == BREAK) {
                break;
            }
        }
        return consumed;
    }

    boolean isEmpty() {
        return head == tail;
    }

    /** Bytes the ring holds, for tests. */
    int capacity() {
        return capacity;
    }

    private static int align(int bytes) {
        return (bytes + 7) & ~7;
    }
}
