package io.jvswitch.switching.capture;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;

/**
 * Copies of captured frames on their way from the dataplane thread (the only producer) to the
 * capture writer thread (the only consumer). Bounded: when the writer falls behind, the copy is
 * not made and the caller counts a capture drop; the forwarded frame is never held up.
 *
 * <p>A record is one claim in an agrona {@link OneToOneRingBuffer}; its type id is the bit mask of
 * the capture sessions that want the frame, so a frame wanted by several sessions is copied once.
 */
public final class CaptureRing {
    public static final int MAX_SESSIONS = 8;

    public static final int EPOCH_NANOS_OFFSET = 0;
    public static final int SLOT_OFFSET = 8;
    public static final int POINT_OFFSET = 12;
    public static final int REASON_OFFSET = 13;
    public static final int ORIGINAL_LENGTH_OFFSET = 16;
    public static final int HEADER_LENGTH = 20;
    public static final int NO_REASON = 0xFF;

    private final OneToOneRingBuffer ring;
    private final int maxRecord;

    public CaptureRing(int capacityBytes) {
        if (Integer.bitCount(capacityBytes) != 1 || capacityBytes < 64 * 1024) {
            throw new IllegalArgumentException("capture ring capacity must be a power of two of at least 64 KiB");
        }
        final ByteBuffer memory =
                BufferUtil.allocateDirectAligned(capacityBytes + RingBufferDescriptor.TRAILER_LENGTH, 64);
        this.ring = new OneToOneRingBuffer(new UnsafeBuffer(memory));
        this.maxRecord = ring.maxMsgLength();
    }

    /** Largest frame copy that fits one record: frames beyond it are cut (the original length is kept). */
    public int maxSnapLength() {
        return maxRecord - HEADER_LENGTH;
    }

    /**
     * Producer side (dataplane thread). Copies at most {@code snapLength} bytes of the frame.
     *
     * @return false when the ring has no room: the frame is not captured.
     */
    public boolean offer(
            int sessionMask,
            long epochNanos,
            int slot,
            CapturePoint point,
            int reason,
            DirectBuffer frame,
            int offset,
            int length,
            int snapLength) {
        final int captured = Math.min(length, Math.min(snapLength, maxSnapLength()));
        final int index = ring.tryClaim(sessionMask, HEADER_LENGTH + captured);
        if (index <= 0) {
            return false;
        }
        final MutableDirectBuffer b = ring.buffer();
        b.putLong(index + EPOCH_NANOS_OFFSET, epochNanos);
        b.putInt(index + SLOT_OFFSET, slot);
        b.putByte(index + POINT_OFFSET, (byte) point.ordinal());
        b.putByte(index + REASON_OFFSET, (byte) reason);
        b.putInt(index + ORIGINAL_LENGTH_OFFSET, length);
        b.putBytes(index + HEADER_LENGTH, frame, offset, captured);
        ring.commit(index);
        return true;
    }

    /** Consumer side: hands up to {@code limit} records to {@code handler}; returns how many. */
    public int drain(MessageHandler handler, int limit) {
        return ring.read(handler, limit);
    }
}
