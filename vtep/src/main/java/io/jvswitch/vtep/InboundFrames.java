package io.jvswitch.vtep;

import io.netty.buffer.ByteBuf;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;

/**
 * A tunnel's decapsulated frames waiting for its port's receive, as references into the buffers
 * the underlay read their datagrams into: the frame is copied once, by the reader, from that
 * buffer into the switch's frame buffer. A bounded ring of entries (buffer, index, length, sender,
 * outer checksum seen) in arrays allocated up front, so queueing allocates nothing.
 *
 * <p>Each queued frame holds one reference to its buffer, which {@link #offer} takes over from the
 * caller, and which is released exactly once: when {@link #read} consumes the frame, or when
 * {@link #close} discards it.
 *
 * <p>Memory: holding a frame holds the whole buffer its datagram was read into. With UDP GRO those
 * are the underlay's own 32 buffers of 64 KiB ({@link GroReads}), which it stops reading into
 * while all are held, so they bound what every tunnel together pins at 2 MiB. Without GRO a
 * datagram is a slice of netty's read buffer of {@code datagramsPerRead x maxDatagramPayload},
 * and at worst (every queued frame from a read of its own) the ring pins its capacity times that;
 * datagrams of one read share its buffer, and the dataplane empties the ring every duty cycle
 * unless it falls behind, so in service it holds far less.
 *
 * <p>Single-threaded on purpose: the underlay's reads and the port's receive both run on the
 * dataplane thread. Full or closed: {@link #offer} refuses, and the caller keeps its reference
 * (it releases it and counts the drop).
 */
final class InboundFrames {
    /** What {@link Reader#onFrame} answers. */
    static final int CONTINUE = 0;
    /** Consume this frame and stop reading. */
    static final int BREAK = 1;
    /** Leave this frame queued for the next read, and stop. */
    static final int ABORT = 2;

    /** Takes one frame out of the ring; answers {@link #CONTINUE}, {@link #BREAK} or {@link #ABORT}. */
    interface Reader {
        /**
         * {@code frame} is valid during this call only; {@code outerChecksummed}: its datagram's
         * outer checksum was verified by the kernel.
         */
        int onFrame(int senderIp, DirectBuffer frame, int offset, int length, boolean outerChecksummed);
    }

    private final ByteBuf[] datagrams;
    private final int[] indexes;
    private final int[] lengths;
    private final int[] senders;
    private final boolean[] outerChecksummed;
    private final ByteBufView view = new ByteBufView();
    private final int mask;
    private long head;
    private long tail;
    private boolean closed;

    /** @param capacityFrames rounded up to a power of two */
    InboundFrames(int capacityFrames) {
        final int capacity = BitUtil.findNextPositivePowerOfTwo(Math.max(capacityFrames, 2));
        this.mask = capacity - 1;
        this.datagrams = new ByteBuf[capacity];
        this.indexes = new int[capacity];
        this.lengths = new int[capacity];
        this.senders = new int[capacity];
        this.outerChecksummed = new boolean[capacity];
    }

    /**
     * Queues the frame of {@code length} bytes at {@code index} in {@code datagram} from
     * {@code senderIp}, taking over the caller's reference to {@code datagram}; {@code checksummed}:
     * the kernel verified the datagram's outer checksum. False when the ring is full or closed: the
     * reference then stays the caller's.
     */
    boolean offer(int senderIp, ByteBuf datagram, int index, int length, boolean checksummed) {
        if (closed || tail - head > mask) {
            return false;
        }
        final int slot = (int) tail & mask;
        datagrams[slot] = datagram;
        indexes[slot] = index;
        lengths[slot] = length;
        senders[slot] = senderIp;
        outerChecksummed[slot] = checksummed;
        tail++;
        return true;
    }

    /**
     * Hands frames to {@code reader} in order, at most {@code limit}; returns how many it consumed.
     * A consumed frame's datagram is released before this returns; an aborted one stays queued,
     * reference and all.
     */
    int read(Reader reader, int limit) {
        int consumed = 0;
        // Consecutive frames of one read share its buffer: their references are released together,
        // in one atomic update, once the next frame is from another buffer or the read ends.
        ByteBuf held = null;
        int heldReferences = 0;
        try {
            while (consumed < limit && head < tail) {
                final int slot = (int) head & mask;
                final ByteBuf datagram = datagrams[slot];
                final int length = lengths[slot];
                final int action = reader.onFrame(
                        senders[slot], view.wrap(datagram, indexes[slot], length), 0, length, outerChecksummed[slot]);
                if (action == ABORT) {
                    break;
                }
                // off the ring before any release, so a failing release cannot release it twice
                datagrams[slot] = null;
                head++;
                consumed++;
                if (datagram == held) {
                    heldReferences++;
                } else {
                    final ByteBuf done = held;
                    final int doneReferences = heldReferences;
                    held = datagram;
                    heldReferences = 1;
                    if (done != null) {
                        done.release(doneReferences);
                    }
                }
                if (action == BREAK) {
                    break;
                }
            }
        } finally {
            if (held != null) {
                held.release(heldReferences);
            }
        }
        return consumed;
    }

    /** Releases every queued frame and refuses later offers; returns how many were discarded. Idempotent. */
    int close() {
        closed = true;
        int discarded = 0;
        while (head < tail) {
            final int slot = (int) head & mask;
            final ByteBuf datagram = datagrams[slot];
            datagrams[slot] = null;
            head++;
            discarded++;
            datagram.release();
        }
        return discarded;
    }

    boolean isEmpty() {
        return head == tail;
    }

    /** Frames queued. */
    int size() {
        return (int) (tail - head);
    }

    /** Frames the ring holds at most. */
    int capacity() {
        return mask + 1;
    }
}
