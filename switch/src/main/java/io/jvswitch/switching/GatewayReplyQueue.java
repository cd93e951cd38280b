package io.jvswitch.switching;

import io.jvswitch.switching.service.GatewayReplies;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Deferred service answers on their way from other threads (a DNS upstream's event loop) to the
 * dataplane, which frames and sends them: an agrona many-to-one ring of records
 * {@code [network, client address, client port, service port, payload]}.
 */
final class GatewayReplyQueue implements GatewayReplies {
    static final int HEADER = 16;
    private static final int MSG_TYPE = 1;

    private final ManyToOneRingBuffer ring;
    private final Runnable wakeup;

    GatewayReplyQueue(int capacityBytes, Runnable wakeup) {
        // Off-heap and aligned: the ring's atomic counters need 8-byte alignment a byte[] does not promise.
        this.ring = new ManyToOneRingBuffer(new UnsafeBuffer(BufferUtil.allocateDirectAligned(
                BitUtil.findNextPositivePowerOfTwo(capacityBytes) + RingBufferDescriptor.TRAILER_LENGTH, 64)));
        this.wakeup = wakeup;
    }

    @Override
    public boolean send(
            int networkId,
            int clientIp,
            int clientPort,
            int servicePort,
            DirectBuffer payload,
            int offset,
            int length) {
        if (length < 0 || length > MAX_PAYLOAD || length + HEADER > ring.maxMsgLength()) {
            return false;
        }
        final int index = ring.tryClaim(MSG_TYPE, HEADER + length);
        if (index <= 0) {
            return false;
        }
        final MutableDirectBuffer b = ring.buffer();
        b.putInt(index, networkId);
        b.putInt(index + 4, clientIp);
        b.putInt(index + 8, clientPort);
        b.putInt(index + 12, servicePort);
        b.putBytes(index + HEADER, payload, offset, length);
        ring.commit(index);
        wakeup.run();
        return true;
    }

    /** Hands up to {@code limit} queued answers to {@code handler}; on the dataplane thread. */
    int drain(MessageHandler handler, int limit) {
        return ring.read(handler, limit);
    }
}
