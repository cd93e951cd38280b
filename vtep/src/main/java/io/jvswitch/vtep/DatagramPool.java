package io.jvswitch.vtep;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import org.jctools.queues.MpscArrayQueue;

/**
 * A tunnel's bounded set of direct buffers for outgoing datagrams: up to {@code smallCount}
 * buffers for single frames and {@code largeCount} for the segments of a super-frame, allocated
 * as traffic first needs them (a quiet tunnel holds few) and never freed while it is open. A buffer
 * comes back when netty releases it after the send, or when a frame is given up before it was
 * queued (both on the dataplane thread), so transmitting allocates nothing. When every
 * buffer of a size is still queued for sending, {@link #claim} returns null and the frame is
 * dropped (counted as {@link VtepDropReason#TX_BUFFERS_BUSY}): the underlay is that far behind.
 *
 * <p>Claimed on the dataplane thread only; released on any thread.
 */
final class DatagramPool {
    private final int smallCapacity;
    private final int largeCapacity;
    private final MpscArrayQueue<Datagram> small;
    private final MpscArrayQueue<Datagram> large;
    private final int smallCount;
    private final int largeCount;
    // dataplane thread only
    private int smallMade;
    private int largeMade;
    private volatile boolean closed;

    DatagramPool(int smallCount, int smallCapacity, int largeCount, int largeCapacity) {
        this.smallCapacity = smallCapacity;
        this.largeCapacity = largeCapacity;
        this.small = new MpscArrayQueue<>(Math.max(2, smallCount));
        this.large = new MpscArrayQueue<>(Math.max(2, largeCount));
        this.smallCount = smallCount;
        this.largeCount = largeCount;
    }

    /** A cleared buffer of at least {@code capacity} bytes, or null if none is free (or none is that large). */
    ByteBuf claim(int capacity) {
        if (capacity <= smallCapacity) {
            final Datagram d = small.relaxedPoll();
            if (d != null || smallMade == smallCount) {
                return d;
            }
            smallMade++;
            return new Datagram(this, small, smallCapacity);
        }
        if (capacity > largeCapacity) {
            return null;
        }
        final Datagram d = large.relaxedPoll();
        if (d != null || largeMade == largeCount) {
            return d;
        }
        largeMade++;
        return new Datagram(this, large, largeCapacity);
    }

    /** Frees the idle buffers; buffers still being sent free themselves when released. */
    void close() {
        closed = true;
        freeIdle();
    }

    private synchronized void freeIdle() {
        Datagram d;
        while ((d = small.relaxedPoll()) != null) {
            d.free();
        }
        while ((d = large.relaxedPoll()) != null) {
            d.free();
        }
    }

    /** A direct buffer that goes back to its pool instead of being freed when its last reference is released. */
    private static final class Datagram extends UnpooledUnsafeDirectByteBuf {
        private final DatagramPool pool;
        private final MpscArrayQueue<Datagram> home;

        Datagram(DatagramPool pool, MpscArrayQueue<Datagram> home, int capacity) {
            super(UnpooledByteBufAllocator.DEFAULT, capacity, capacity);
            this.pool = pool;
            this.home = home;
        }

        @Override
        protected void deallocate() {
            if (pool.closed) {
                free();
                return;
            }
            resetRefCnt();
            clear();
            home.offer(this); // always fits: the queue holds every buffer of its size
            if (pool.closed) {
                pool.freeIdle(); // closed while this one was coming back
            }
        }

        void free() {
            super.deallocate();
        }
    }
}
