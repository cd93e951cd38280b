package io.jvswitch.control.capture;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Keeps only the most recent frames in memory and writes them to another sink (normally a
 * {@link PcapFileSink}) when closed, i.e. when the capture ends by Ctrl-C or a limit: {@code --ring N}.
 *
 * <p>The ring is bounded twice: by {@code maxFrames} frames and by {@code maxBytes} bytes, counting
 * each frame as its captured bytes plus {@value #FRAME_OVERHEAD_BYTES} bytes of bookkeeping. The oldest
 * frames are evicted first; the newest frame is always kept, even when it alone exceeds the byte cap.
 * Frames are kept as given, not copied (see {@link CapturedFrame}).
 *
 * <p>{@link #isDone()} stays false until the ring is closed: the ring itself never ends a capture.
 * When closing, frames are written oldest first until the target {@linkplain CaptureSink#isDone() is
 * done} (its own {@code -c}), then the target is closed. Methods are synchronized.
 */
public final class RingSink implements CaptureSink {

    /** The default byte cap: 64 MiB. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    /** Bytes counted per frame on top of its data, for the object and array headers. */
    public static final int FRAME_OVERHEAD_BYTES = 96;

    private final int maxFrames;
    private final long maxBytes;
    private final CaptureSink target;
    private final ArrayDeque<CapturedFrame> frames = new ArrayDeque<>();
    private long bytes;
    private long received;
    private long evicted;
    private boolean closed;

    /** A ring of {@code maxFrames} frames and at most {@link #DEFAULT_MAX_BYTES}. */
    public RingSink(int maxFrames, CaptureSink target) {
        this(maxFrames, DEFAULT_MAX_BYTES, target);
    }

    public RingSink(int maxFrames, long maxBytes, CaptureSink target) {
        if (maxFrames < 1) {
            throw new IllegalArgumentException("--ring needs at least 1 frame, not " + maxFrames);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("ring byte cap must be positive, not " + maxBytes);
        }
        this.maxFrames = maxFrames;
        this.maxBytes = maxBytes;
        this.target = Objects.requireNonNull(target, "target");
    }

    @Override
    public synchronized void write(CapturedFrame frame) {
        Objects.requireNonNull(frame, "frame");
        if (closed) {
            return;
        }
        long size = cost(frame);
        while (!frames.isEmpty() && (frames.size() >= maxFrames || bytes + size > maxBytes)) {
            bytes -= cost(frames.removeFirst());
            evicted++;
        }
        frames.addLast(frame);
        bytes += size;
        received++;
    }

    private static long cost(CapturedFrame frame) {
        return (long) frame.data().length + FRAME_OVERHEAD_BYTES;
    }

    /** False until closed. */
    @Override
    public synchronized boolean isDone() {
        return closed;
    }

    /** Frames received so far, including those since evicted. */
    @Override
    public synchronized long written() {
        return received;
    }

    /** Frames held now. */
    public synchronized int size() {
        return frames.size();
    }

    /** Bytes held now, as counted against the cap. */
    public synchronized long heldBytes() {
        return bytes;
    }

    /** Frames pushed out by newer ones. */
    public synchronized long evicted() {
        return evicted;
    }

    public int maxFrames() {
        return maxFrames;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Writes the held frames, oldest first, to the target and closes it. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            while (!frames.isEmpty() && !target.isDone()) {
                target.write(frames.removeFirst());
            }
        } finally {
            frames.clear();
            bytes = 0;
            target.close();
        }
    }
}
