package io.jvswitch.switching;

import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.function.IntConsumer;

/**
 * Reads the frames of one duty cycle from the ports and hands each to the {@link FramePipeline}:
 * up to a batch per ready port, and from the ports that cannot report readiness (polled always).
 * One copy in: a frame is read into a frame buffer and processed there; none from a port that lends
 * its frames ({@link Port#lendsFrames()}), processed where they landed and given back after.
 *
 * <p>With a routing hook installed, a port's frames are read in bursts so the router can show the
 * hook those it will route before any is processed ({@link RoutingHook#prefetch}).
 */
final class PortReader {
    /** Room for a 64 KiB GSO super-frame, its virtio-net header and a VLAN tag. */
    static final int FRAME_CAPACITY = VirtioNetHeader.LENGTH + 65_535 + 18;

    static final int PREFETCH_BURST = RoutingHook.PREFETCH_BURST;

    private final int batch;
    private final PortTable table;
    private final FramePipeline pipeline;
    private final TraceArm traceArm;
    /** Told about a port whose device is gone; the agent unplugs it. */
    private final IntConsumer portGone;
    /** The frame buffer of single reads; the agent also builds the frames it sends itself in it. */
    private final UnsafeBuffer frame = newFrameBuffer();
    /** Points at the frame a port lent ({@link Port#lend}); re-aimed per frame, never allocated. */
    private final UnsafeBuffer lent = new UnsafeBuffer(0, 0);

    private final int[] burstLengths = new int[PREFETCH_BURST];
    private final DirectBuffer[] burstRouted = new DirectBuffer[PREFETCH_BURST];
    private final int[] burstIpLengths = new int[PREFETCH_BURST];
    /**
     * Frames of one receive burst, read before any is processed; allocated when a hook is first
     * installed. Each is a frame buffer like {@link #frame}: still one copy in.
     */
    private UnsafeBuffer[] burst;
    /** As {@link #burst}, views of the frames a lending port lent. */
    private UnsafeBuffer[] lentBurst;

    private int[] alwaysPolled = new int[0];
    /** Some always-polled port never wakes the dataplane: blocking in the ready set could miss its frames. */
    private boolean pollsWithoutWakeup;

    PortReader(int batch, PortTable table, FramePipeline pipeline, TraceArm traceArm, IntConsumer portGone) {
        this.batch = batch;
        this.table = table;
        this.pipeline = pipeline;
        this.traceArm = traceArm;
        this.portGone = portGone;
    }

    static UnsafeBuffer newFrameBuffer() {
        return new UnsafeBuffer(
                BufferUtil.allocateDirectAligned(BitUtil.findNextPositivePowerOfTwo(FRAME_CAPACITY), 64));
    }

    UnsafeBuffer frame() {
        return frame;
    }

    /** From now on, read in bursts whenever the router has a hook. */
    void enableBursts() {
        if (burst == null) {
            final UnsafeBuffer[] buffers = new UnsafeBuffer[PREFETCH_BURST];
            final UnsafeBuffer[] views = new UnsafeBuffer[PREFETCH_BURST];
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = newFrameBuffer();
                views[i] = new UnsafeBuffer(0, 0);
            }
            lentBurst = views;
            burst = buffers;
        }
    }

    /** Reads and processes up to a batch from the port in {@code slot}; returns the frames read. */
    int drain(int slot, long nowNanos) {
        final Port port = table.ports[slot];
        if (port == null) {
            return 0; // unplugged while its readiness was being reported
        }
        if (burst != null && pipeline.router.hasHook()) {
            return drainInBursts(slot, port, nowNanos);
        }
        final boolean lends = port.lendsFrames();
        final UnsafeBuffer buffer = lends ? lent : frame;
        int frames = 0;
        while (frames < batch) {
            final int length = lends ? port.lend(lent) : port.receive(frame, 0, frame.capacity());
            if (length > 0) {
                frames++;
                try {
                    if (!traceArm.armedOn(slot) || !traceArm.traceIfMatching(pipeline, buffer, length, nowNanos)) {
                        pipeline.process(slot, buffer, length, nowNanos);
                    }
                } finally {
                    if (lends) {
                        port.takeBack(lent); // even past a failure: a lost loan would be a lost buffer
                    }
                }
            } else {
                if (length == Port.RX_GONE) {
                    portGone.accept(slot);
                }
                break;
            }
        }
        return frames;
    }

    /** Drains every port that cannot report readiness; returns the frames read. */
    int drainAlwaysPolled(long nowNanos) {
        int frames = 0;
        for (final int slot : alwaysPolled) {
            frames += drain(slot, nowNanos);
        }
        return frames;
    }

    boolean pollsWithoutWakeup() {
        return pollsWithoutWakeup;
    }

    /** After a port was marked or unmarked polled-always in the table. */
    void rebuildAlwaysPolled() {
        int count = 0;
        for (int i = 0; i < table.capacity(); i++) {
            if (table.ports[i] != null && table.polledAlways[i]) {
                count++;
            }
        }
        final int[] slots = new int[count];
        int n = 0;
        boolean silent = false;
        for (int i = 0; i < table.capacity(); i++) {
            if (table.ports[i] != null && table.polledAlways[i]) {
                slots[n++] = i;
                silent |= !table.ports[i].wakesDataplane();
            }
        }
        alwaysPolled = slots;
        pollsWithoutWakeup = silent;
    }

    /**
     * As {@link #drain}, with a routing hook: reads up to {@link #PREFETCH_BURST} frames, lets the
     * router show the hook those it will route, then processes them in order.
     */
    private int drainInBursts(int slot, Port port, long nowNanos) {
        final BridgeDomain domain = table.domains[slot];
        final boolean lends = port.lendsFrames();
        final UnsafeBuffer[] buffers = lends ? lentBurst : burst;
        int frames = 0;
        while (frames < batch) {
            int read = 0;
            int last = Port.RX_EMPTY;
            while (read < PREFETCH_BURST && frames + read < batch) {
                final UnsafeBuffer buffer = buffers[read];
                last = lends ? port.lend(buffer) : port.receive(buffer, 0, buffer.capacity());
                if (last <= 0) {
                    break;
                }
                burstLengths[read++] = last;
            }
            pipeline.router.prefetch(domain, buffers, burstLengths, read, burstRouted, burstIpLengths);
            try {
                for (int i = 0; i < read; i++) {
                    if (!traceArm.armedOn(slot)
                            || !traceArm.traceIfMatching(pipeline, buffers[i], burstLengths[i], nowNanos)) {
                        pipeline.process(slot, buffers[i], burstLengths[i], nowNanos);
                    }
                }
            } finally {
                if (lends) {
                    for (int i = 0; i < read; i++) {
                        port.takeBack(buffers[i]);
                    }
                }
            }
            frames += read;
            if (last == Port.RX_GONE) {
                portGone.accept(slot);
                break;
            }
            if (read < PREFETCH_BURST) {
                break; // the port ran dry
            }
        }
        return frames;
    }
}
