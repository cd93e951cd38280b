package io.jvswitch.switching.port;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A port whose "wire" is memory: frames queued by the owner are received by the switch, frames the
 * switch transmits are kept (or only counted) for the owner to inspect. For unit tests of the
 * pipeline and for benchmarks of the switch without system calls.
 *
 * <p>In {@linkplain #repeat repeat} mode every receive delivers the same frame again and transmits
 * are only counted: the steady state allocates nothing, which is what the JMH benchmarks measure.
 */
public final class MemoryPort implements Port {
    private final String name;
    private final int mtu;
    private final boolean offloads;
    private final boolean retainTransmitted;
    private final Queue<byte[]> toReceive = new ConcurrentLinkedQueue<>();
    private final Queue<byte[]> transmitted = new ConcurrentLinkedQueue<>();
    private byte[] repeated;
    private volatile boolean gone;
    private volatile boolean closed;
    private long transmitCount;
    private long transmitBytes;

    public MemoryPort(String name, int mtu, boolean offloads, boolean retainTransmitted) {
        this.name = name;
        this.mtu = mtu;
        this.offloads = offloads;
        this.retainTransmitted = retainTransmitted;
    }

    /** Queues one frame (virtio-net header included) for the switch to receive. */
    public void inject(byte[] frameWithHeader) {
        toReceive.add(frameWithHeader.clone());
    }

    /** Makes every receive return this frame (virtio-net header included), forever. */
    public void repeat(byte[] frameWithHeader) {
        repeated = frameWithHeader.clone();
    }

    /** Next frame the switch transmitted here, or null. Requires {@code retainTransmitted}. */
    public byte[] pollTransmitted() {
        return transmitted.poll();
    }

    public int pendingTransmitted() {
        return transmitted.size();
    }

    public long transmitCount() {
        return transmitCount;
    }

    public long transmitBytes() {
        return transmitBytes;
    }

    /** Simulates the device vanishing: the next receive and transmit report it gone. */
    public void vanish() {
        gone = true;
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int receive(MutableDirectBuffer buffer, int offset, int capacity) {
        if (gone) {
            return RX_GONE;
        }
        final byte[] frame = repeated != null ? repeated : toReceive.poll();
        if (frame == null) {
            return RX_EMPTY;
        }
        if (frame.length > capacity) {
            return RX_EMPTY;
        }
        buffer.putBytes(offset, frame);
        return frame.length;
    }

    @Override
    public int transmit(DirectBuffer buffer, int offset, int length) {
        if (gone) {
            return TX_GONE;
        }
        transmitCount++;
        transmitBytes += length;
        if (retainTransmitted) {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            transmitted.add(copy);
        }
        return TX_OK;
    }

    @Override
    public boolean acceptsOffloads() {
        return offloads;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public void close() {
        closed = true;
    }
}
