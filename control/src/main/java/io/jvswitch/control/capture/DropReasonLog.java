package io.jvswitch.control.capture;

import java.io.Flushable;
import java.io.IOException;
import java.util.Objects;

/**
 * Writes why frames were dropped, one line a frame: {@code <frame number>\t<port>\t<reason>}.
 *
 * <p>The frame number is the 1-based position of the frame in its pcap file or stream, the number
 * {@code tcpdump -# -r FILE} prints in front of it. {@link PcapFileSink} writes these lines to
 * {@code <pcap file>.reasons}; when the pcap goes to stdout it writes them to a log the caller
 * supplies, e.g. {@code new DropReasonLog(System.err)}.
 *
 * <p>Tabs and line breaks in the port or reason are replaced by spaces so that each line keeps three
 * fields. The log never closes its {@link Appendable}; it flushes it after every line when it is
 * {@link Flushable} and {@code autoFlush} is set (the default for the one-argument constructor).
 */
public final class DropReasonLog implements Flushable {

    private final Appendable out;
    private final boolean autoFlush;

    /** A log that flushes {@code out} after every line (for stderr and other live streams). */
    public DropReasonLog(Appendable out) {
        this(out, true);
    }

    public DropReasonLog(Appendable out, boolean autoFlush) {
        this.out = Objects.requireNonNull(out, "out");
        this.autoFlush = autoFlush;
    }

    /** Writes the line for frame number {@code frameNumber} (1-based). */
    public void log(long frameNumber, String port, String reason) throws IOException {
        out.append(line(frameNumber, port, reason)).append('\n');
        if (autoFlush) {
            flush();
        }
    }

    @Override
    public void flush() throws IOException {
        if (out instanceof Flushable f) {
            f.flush();
        }
    }

    /** The line for one frame, without its line break. */
    public static String line(long frameNumber, String port, String reason) {
        if (frameNumber < 1) {
            throw new IllegalArgumentException("frame numbers start at 1, not " + frameNumber);
        }
        return frameNumber + "\t" + clean(port) + "\t" + clean(reason);
    }

    private static String clean(String s) {
        if (s == null || s.isEmpty()) {
            return "-";
        }
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }
}
