package io.jvswitch.control.capture;

import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * Reads an Ethernet capture, pcap or pcapng (whatever the installed libpcap reads), for
 * {@code jvs replay}.
 *
 * <p>Frames come back as {@link CapturedFrame}s with point {@code rx}, an empty port, their
 * timestamp in nanoseconds (files with microsecond timestamps give multiples of 1,000) and their
 * original length. Use either {@link #read()}, which returns {@code null} at the end, or the
 * {@link Iterator} methods, which wrap read errors in {@link UncheckedIOException}.
 *
 * <p>Not thread-safe: pcap4j hands back each frame's timestamp and length through thread-locals, so
 * one thread must do all the reading.
 */
public final class PcapReader implements Iterator<CapturedFrame>, AutoCloseable {

    private static final int DLT_EN10MB = 1;

    private final String name;
    private final PcapHandle handle;
    private final boolean nanos;
    private final int snaplen;
    private CapturedFrame next;
    private boolean eof;
    private long read;

    private PcapReader(String name, PcapHandle handle, boolean nanos, int snaplen) {
        this.name = name;
        this.handle = handle;
        this.nanos = nanos;
        this.snaplen = snaplen;
    }

    public static PcapReader open(Path path) throws IOException {
        return open(path.toString());
    }

    /**
     * Opens a capture file ({@code "-"} reads stdin).
     *
     * @throws IOException when the file cannot be read or is not a capture, or when its link type is
     *     not Ethernet ("replay needs an Ethernet capture; x.pcap has link type LINUX_SLL")
     */
    public static PcapReader open(String path) throws IOException {
        Objects.requireNonNull(path, "path");
        Pcap4jLogging.quiet();
        PcapHandle handle;
        boolean nanos;
        try {
            handle = Pcaps.openOffline(path, PcapHandle.TimestampPrecision.NANO);
            nanos = true;
        } catch (PcapNativeException | RuntimeException | LinkageError e) {
            // A libpcap without nanosecond support; a real error shows again below.
            try {
                handle = Pcaps.openOffline(path);
                nanos = false;
            } catch (PcapNativeException e2) {
                String message = e2.getMessage();
                throw new IOException(
                        message != null && message.startsWith(path + ":")
                                ? message
                                : "cannot read " + path + ": " + message,
                        e2);
            } catch (LinkageError e2) {
                throw new IOException("cannot load libpcap (install libpcap0.8): " + e2, e2);
            }
        }
        try {
            int dlt = handle.getDlt().value();
            if (dlt != DLT_EN10MB) {
                throw new IOException(
                        "replay needs an Ethernet capture; " + path + " has link type " + linkTypeName(dlt));
            }
            return new PcapReader(path, handle, nanos, handle.getSnapshot());
        } catch (NotOpenException e) {
            handle.close();
            throw new IOException("cannot read " + path + ": handle closed", e);
        } catch (IOException | RuntimeException e) {
            handle.close();
            throw e;
        }
    }

    static String linkTypeName(int dlt) {
        try {
            String name = Pcaps.dataLinkValToName(dlt);
            return name == null ? "DLT " + dlt : name;
        } catch (PcapNativeException | RuntimeException e) {
            return "DLT " + dlt;
        }
    }

    /**
     * The next frame, or {@code null} at the end of the file.
     *
     * @throws IOException when the file is damaged (e.g. truncated)
     */
    public CapturedFrame read() throws IOException {
        if (next != null) {
            CapturedFrame f = next;
            next = null;
            return f;
        }
        return readFrame();
    }

    private CapturedFrame readFrame() throws IOException {
        if (eof) {
            return null;
        }
        byte[] data;
        Timestamp ts;
        Integer origLen;
        try {
            data = handle.getNextRawPacketEx();
            ts = handle.getTimestamp();
            origLen = handle.getOriginalLength();
        } catch (EOFException e) {
            eof = true;
            return null;
        } catch (PcapNativeException e) {
            throw new IOException(name + ": " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new IOException(name + ": read timed out", e);
        } catch (NotOpenException e) {
            throw new IOException(name + ": reader is closed", e);
        }
        long epochNanos = Math.floorDiv(ts.getTime(), 1_000L) * 1_000_000_000L + ts.getNanos();
        int original = origLen == null ? data.length : Math.max(origLen, data.length);
        read++;
        return new CapturedFrame(epochNanos, "", CapturedFrame.RX, null, original, data);
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            try {
                next = readFrame();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return next != null;
    }

    @Override
    public CapturedFrame next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        CapturedFrame f = next;
        next = null;
        return f;
    }

    /** Frames read so far. */
    public long framesRead() {
        return read;
    }

    /** The snap length recorded in the file. */
    public int snaplen() {
        return snaplen;
    }

    /** Whether timestamps come with nanosecond resolution (else microseconds, scaled). */
    public boolean nanosecondTimestamps() {
        return nanos;
    }

    @Override
    public void close() {
        handle.close();
    }
}
