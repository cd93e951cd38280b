package io.jvswitch.tap;

import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Frame buffers the kernel picks from as reads complete: one provided-buffer ring
 * ({@code IORING_REGISTER_PBUF_RING}) of {@code count} equal buffers, each big enough for the
 * largest frame a TAP gives (a 64 KiB GSO super-frame with its virtio-net header).
 *
 * <p>The kernel takes buffers from the ring's head; this side gives them back at the tail, a 16-bit
 * counter overlaid on the first entry's reserved field and published with a release store. A
 * buffer is either in the ring (the kernel's) or held here (landed, lent, or written from) until
 * {@link #recycle} hands it back.
 *
 * <p>Used by the one dataplane thread; nothing allocated after construction.
 */
final class ProvidedBuffers implements AutoCloseable {
    /** The buffer group every port's reads take from. */
    static final int GROUP = 0;

    // struct io_uring_buf: u64 addr, u32 len, u16 bid, u16 resv (the ring's tail, in entry 0)
    private static final int ENTRY_SIZE = 16;
    private static final int ENTRY_LEN = 8;
    private static final int ENTRY_BID = 12;
    private static final int RING_TAIL = 14;
    // struct io_uring_buf_reg: u64 ring_addr, u32 ring_entries, u16 bgid, u16 pad, u64 resv[3]
    private static final int REG_SIZE = 40;
    private static final int REG_ENTRIES = 8;
    private static final int REG_GROUP = 12;
    private static final int PAGE = 4096;

    private final IoUring ring;
    private final Arena arena;
    private final UnsafeBuffer entries;
    private final long registration;
    private final long base;
    private final int stride;
    private final int count;
    private final int mask;
    /** The tail as published: a 16-bit counter in the kernel's view. */
    private int tail;
    /** Buffers in the kernel's ring right now. */
    private int inRing;

    private boolean closed;

    private ProvidedBuffers(IoUring ring, Arena arena, int count, int stride) {
        this.ring = ring;
        this.arena = arena;
        this.count = count;
        this.stride = stride;
        this.mask = count - 1;
        final MemorySegment ringMemory = arena.allocate((long) ENTRY_SIZE * count, PAGE);
        this.entries = new UnsafeBuffer(ringMemory.address(), (int) ringMemory.byteSize());
        this.base = arena.allocate((long) stride * count, PAGE).address();
        final MemorySegment reg = arena.allocate(REG_SIZE, 8);
        final UnsafeBuffer r = new UnsafeBuffer(reg.address(), REG_SIZE);
        r.putLong(0, ringMemory.address());
        r.putInt(REG_ENTRIES, count);
        r.putShort(REG_GROUP, (short) GROUP);
        this.registration = reg.address();
    }

    /**
     * Registers {@code count} buffers of {@code stride} bytes with {@code ring}, all in the kernel's
     * hands.
     *
     * @param count a power of two, at most 32768
     * @throws TapException with the errno when the kernel refuses (before 5.19: {@code EINVAL})
     */
    static ProvidedBuffers register(IoUring ring, int count, int stride) throws TapException {
        if (count < 2 || count > 1 << 15 || Integer.bitCount(count) != 1) {
            throw new IllegalArgumentException("buffer count must be a power of two in [2, 32768]: " + count);
        }
        if (stride < PAGE || stride % PAGE != 0) {
            throw new IllegalArgumentException("buffer size must be a multiple of 4 KiB: " + stride);
        }
        final Arena arena = Arena.ofShared();
        final ProvidedBuffers buffers = new ProvidedBuffers(ring, arena, count, stride);
        final int result = ring.register(IoUring.REGISTER_PBUF_RING, buffers.registration, 1);
        if (result < 0) {
            arena.close();
            throw new TapException(
                    "io_uring refused a provided-buffer ring: " + Errno.describe(-result), -result, null);
        }
        for (int bid = 0; bid < count; bid++) {
            buffers.recycle(bid);
        }
        return buffers;
    }

    /** Gives buffer {@code bid} back to the kernel for the next read. */
    void recycle(int bid) {
        final int at = (tail & mask) * ENTRY_SIZE;
        entries.putLong(at, address(bid));
        entries.putInt(at + ENTRY_LEN, stride);
        entries.putShort(at + ENTRY_BID, (short) bid);
        tail = (tail + 1) & 0xFFFF;
        entries.putShortVolatile(RING_TAIL, (short) tail);
        inRing++;
    }

    /** The kernel took buffer {@code bid} (a completion named it). */
    void taken() {
        inRing--;
    }

    /** Buffers the kernel can read into now. */
    int inRing() {
        return inRing;
    }

    long address(int bid) {
        return base + (long) bid * stride;
    }

    /** The buffer that holds {@code [address, +length)}, or -1 when that memory is not one of these buffers. */
    int bufferOf(long address, int length) {
        final long offset = address - base;
        if (offset < 0 || offset >= (long) stride * count) {
            return -1;
        }
        final int bid = (int) (offset / stride);
        return offset + length <= (long) (bid + 1) * stride ? bid : -1;
    }

    /** Bytes of one buffer: what a lent frame's view may span. */
    int stride() {
        return stride;
    }

    int count() {
        return count;
    }

    /** Unregisters the ring (while the io_uring is still open) and frees the buffers. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ring.register(IoUring.UNREGISTER_PBUF_RING, registration, 1);
        arena.close();
    }
}
