package io.jvswitch.control.capture;

import java.io.IOException;

/**
 * Where a capture sends the frames it sees: a pcap file, stdout, or an in-memory ring.
 *
 * <p>Sinks are written by one capture thread; {@link #close()} may come from another (e.g. a Ctrl-C
 * handler). Implementations in this package are synchronized, and frames written after
 * {@code close()} are ignored.
 */
public interface CaptureSink extends AutoCloseable {

    /**
     * Records one frame. Ignored once {@link #isDone()} is true.
     *
     * @throws IOException when the frame cannot be written
     */
    void write(CapturedFrame frame) throws IOException;

    /** True once a count limit ({@code -c}) has been reached, or the sink has been closed. */
    boolean isDone();

    /** Number of frames accepted so far. */
    long written();

    /** Flushes and releases everything; idempotent. */
    @Override
    void close() throws IOException;
}
