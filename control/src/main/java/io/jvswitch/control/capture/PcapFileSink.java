package io.jvswitch.control.capture;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.IOException;
import java.io.Writer;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Writes captured frames as a classic pcap file (link type EN10MB, microsecond timestamps) through
 * libpcap's dumper, by way of pcap4j, to a file or to stdout ({@code "-"}).
 *
 * <h2>Files</h2>
 * Without rotation the frames go to the path as given. With rotation ({@code -G} and/or {@code -C})
 * a sequence number is put before the extension: {@code file.pcap} becomes {@code file-0000.pcap},
 * {@code file-0001.pcap}, ... (a name without extension, {@code trace}, becomes {@code trace-0000},
 * ...). The number has at least four digits. With {@code -W N} the numbers cycle through
 * {@code 0000 .. N-1}: the file that comes after {@code N-1} reuses, and truncates, {@code 0000}, so
 * at most N files exist. Either trigger starts the next number; {@code -G} and {@code -C} may be
 * combined. See {@link #rotatedPath(Path, long)}.
 *
 * <ul>
 *   <li>{@code -C}: a new file is started before a frame would make the current one larger than
 *       {@code C * 1,000,000} bytes, so no file exceeds the limit (unless a single frame does).
 *   <li>{@code -G}: a new file is started when a frame arrives and the current file is at least
 *       {@code G} seconds old; rotation happens on frame arrival, so quiet periods leave no empty
 *       files (a file that is still empty when its time is up just starts its period again).
 *   <li>{@code -c}: after {@code count} frames {@link #isDone()} turns true and further frames are
 *       ignored.
 * </ul>
 *
 * <h2>Drop reasons</h2>
 * Each frame whose point is {@code drop} gets a line in {@code <pcap file>.reasons} (e.g.
 * {@code file-0003.pcap.reasons}), written by {@link DropReasonLog}: its number in that pcap file
 * (1-based, as {@code tcpdump -# -r} numbers it), its port and its reason. The side file is created
 * with the first drop in its pcap file and rotates with it; a stale side file left by an earlier run
 * or ring cycle is deleted when its pcap file is (re)started. On stdout there is no side file: the
 * lines go to the {@link DropReasonLog} given to the constructor (e.g. one on stderr), numbered by
 * position in the stream.
 *
 * <h2>Flushing</h2>
 * On stdout every frame is flushed at once, so {@code jvs capture -w - | tcpdump -nr -} (or
 * {@code wireshark -k -i -}) shows frames live; nothing else may write to stdout meanwhile (libpcap
 * writes through the C library's own {@code stdout}). Files are flushed when a frame arrives and the
 * last flush is a second old, on rotation and on {@link #close()}; callers may call {@link #flush()}
 * from a timer to bound the delay when traffic stops.
 *
 * <h2>Lengths</h2>
 * Frames longer than the snap length are cut to it. The record's {@code orig_len} is the frame's
 * {@link CapturedFrame#originalLength()}: pcap4j's public {@code PcapDumper.dumpRaw} writes the array
 * length as both {@code caplen} and {@code orig_len}, so this class hands libpcap's
 * {@code pcap_dump} its own record header through pcap4j's dumper pointer. Should pcap4j's internals
 * ever differ, it falls back to {@code dumpRaw}, whose {@code orig_len} is then the captured length;
 * {@link #recordsOriginalLength()} tells which.
 *
 * <p>Methods are synchronized: one thread writes, another may {@link #close()} or {@link #flush()}.
 */
public final class PcapFileSink implements CaptureSink {

    /** The path that means stdout. */
    public static final String STDOUT = "-";

    /** Suffix of the drop-reason side file: {@code <pcap file>.reasons}. */
    public static final String REASONS_SUFFIX = ".reasons";

    private static final int FILE_HEADER_BYTES = 24;
    private static final int RECORD_HEADER_BYTES = 16;
    private static final long FLUSH_INTERVAL_NANOS = 1_000_000_000L;

    private final PcapFileOptions options;
    private final boolean stdout;
    private final Path base;
    private final DropReasonLog stdoutReasons;
    private final LongSupplier nanoClock;
    private final PcapHandle handle;
    private final RecordWriter records;
    private final List<Path> files = new ArrayList<>();

    private PcapDumper dumper;
    private Pointer dumperPointer;
    private Path currentFile;
    private long sequence;
    private long framesInFile;
    private long bytesInFile;
    private long fileStartedAt;
    private long lastFlush;
    private Writer reasonsWriter;
    private DropReasonLog reasonsLog;
    private long written;
    private boolean closed;

    /** A sink that drops the reasons of dropped frames when writing to stdout. */
    public PcapFileSink(String path, PcapFileOptions options) throws IOException {
        this(path, options, null, System::nanoTime);
    }

    /**
     * @param stdoutReasons where the reasons of dropped frames go when {@code path} is {@code "-"}
     *     (ignored for files, which get a side file); {@code null} to drop them
     */
    public PcapFileSink(String path, PcapFileOptions options, DropReasonLog stdoutReasons) throws IOException {
        this(path, options, stdoutReasons, System::nanoTime);
    }

    /**
     * @param nanoClock monotonic nanoseconds ({@code System::nanoTime}) deciding {@code -G} rotation and
     *     time-based flushing; tests pass a fake one
     * @throws IllegalArgumentException when rotation is asked for on stdout
     * @throws IOException when libpcap is missing or the first file cannot be created
     */
    public PcapFileSink(String path, PcapFileOptions options, DropReasonLog stdoutReasons, LongSupplier nanoClock)
            throws IOException {
        Objects.requireNonNull(path, "path");
        this.options = Objects.requireNonNull(options, "options");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        if (path.isEmpty()) {
            throw new IllegalArgumentException("empty pcap file name (use '-' for stdout)");
        }
        this.stdout = STDOUT.equals(path);
        if (stdout && options.rotates()) {
            throw new IllegalArgumentException(
                    "cannot rotate files (-G/-C/-W) when writing to stdout ('-'): give a file name instead");
        }
        this.base = stdout ? null : Path.of(path);
        this.stdoutReasons = stdoutReasons;
        this.handle = openDeadHandle(options.snaplen());
        this.records = RecordWriter.create();
        boolean ok = false;
        try {
            openFile();
            ok = true;
        } finally {
            if (!ok) {
                handle.close();
            }
        }
        this.lastFlush = nanoClock.getAsLong();
    }

    static PcapHandle openDeadHandle(int snaplen) throws IOException {
        Pcap4jLogging.quiet();
        try {
            return Pcaps.openDead(DataLinkType.EN10MB, snaplen);
        } catch (PcapNativeException e) {
            throw new IOException("libpcap: " + e.getMessage(), e);
        } catch (LinkageError e) {
            throw new IOException("cannot load libpcap (install libpcap0.8): " + e, e);
        }
    }

    /**
     * The name of rotated file number {@code index} (already reduced modulo {@code -W}):
     * {@code dir/file.pcap} gives {@code dir/file-0007.pcap}; a name without extension (or a dot file
     * such as {@code .pcap}) gets the number at its end: {@code trace-0007}.
     */
    public static Path rotatedPath(Path base, long index) {
        if (index < 0) {
            throw new IllegalArgumentException("negative file index " + index);
        }
        String name = base.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String number = String.format("-%04d", index);
        String rotated = dot > 0 ? name.substring(0, dot) + number + name.substring(dot) : name + number;
        return base.resolveSibling(rotated);
    }

    /** The drop-reason side file of a pcap file: {@code file.pcap.reasons}. */
    public static Path reasonsPath(Path pcapFile) {
        return pcapFile.resolveSibling(pcapFile.getFileName() + REASONS_SUFFIX);
    }

    @Override
    public synchronized void write(CapturedFrame frame) throws IOException {
        Objects.requireNonNull(frame, "frame");
        if (isDone()) {
            return;
        }
        int caplen = Math.min(frame.data().length, options.snaplen());
        long now = nanoClock.getAsLong();
        boolean timeUp = options.rotateSeconds() > 0 && now - fileStartedAt >= options.rotateSeconds() * 1_000_000_000L;
        boolean full = options.rotateBytes() > 0 && bytesInFile + RECORD_HEADER_BYTES + caplen > options.rotateBytes();
        if (framesInFile > 0 && (timeUp || full)) {
            rotate();
        } else if (timeUp) {
            fileStartedAt = now;
        }
        dump(frame, caplen);
        framesInFile++;
        bytesInFile += RECORD_HEADER_BYTES + caplen;
        written++;
        if (frame.isDrop()) {
            logReason(frame);
        }
        if (stdout || now - lastFlush >= FLUSH_INTERVAL_NANOS) {
            flushNow(now);
        }
    }

    private void rotate() throws IOException {
        boolean ok = false;
        try {
            closeFile();
            sequence++;
            openFile();
            ok = true;
        } finally {
            if (!ok) {
                // No file to write to any more: the sink is finished.
                closed = true;
                handle.close();
            }
        }
    }

    private void dump(CapturedFrame frame, int caplen) throws IOException {
        byte[] data = frame.data();
        byte[] bytes = data.length == caplen ? data : Arrays.copyOf(data, caplen);
        long seconds = Math.floorDiv(frame.epochNanos(), 1_000_000_000L);
        int micros = (int) (Math.floorMod(frame.epochNanos(), 1_000_000_000L) / 1_000);
        int origLen = Math.max(frame.originalLength(), caplen);
        if (dumperPointer != null) {
            records.dump(dumperPointer, seconds, micros, caplen, origLen, bytes);
            return;
        }
        Timestamp ts = new Timestamp(seconds * 1_000);
        ts.setNanos(micros * 1_000);
        try {
            dumper.dumpRaw(bytes, ts);
        } catch (NotOpenException e) {
            throw new IOException("pcap dumper is closed", e);
        }
    }

    private void logReason(CapturedFrame frame) throws IOException {
        if (stdout) {
            if (stdoutReasons != null) {
                stdoutReasons.log(framesInFile, frame.port(), frame.dropReason());
            }
            return;
        }
        if (reasonsLog == null) {
            reasonsWriter = Files.newBufferedWriter(reasonsPath(currentFile), StandardCharsets.UTF_8);
            reasonsLog = new DropReasonLog(reasonsWriter, false);
        }
        reasonsLog.log(framesInFile, frame.port(), frame.dropReason());
    }

    private void openFile() throws IOException {
        String target;
        if (stdout) {
            target = STDOUT;
            currentFile = null;
        } else {
            long index = options.ringFiles() > 0 ? sequence % options.ringFiles() : sequence;
            currentFile = options.rotates() ? rotatedPath(base, index) : base;
            Files.deleteIfExists(reasonsPath(currentFile));
            target = currentFile.toString();
            if (!files.contains(currentFile)) {
                files.add(currentFile);
            }
        }
        try {
            dumper = handle.dumpOpen(target);
        } catch (PcapNativeException e) {
            throw new IOException("cannot write " + (stdout ? "to stdout" : target) + ": " + e.getMessage(), e);
        } catch (NotOpenException e) {
            throw new IOException("pcap handle is closed", e);
        }
        dumperPointer = records.pointerOf(dumper);
        framesInFile = 0;
        bytesInFile = FILE_HEADER_BYTES;
        fileStartedAt = nanoClock.getAsLong();
    }

    private void closeFile() throws IOException {
        IOException failure = null;
        if (reasonsWriter != null) {
            try {
                reasonsWriter.close();
            } catch (IOException e) {
                failure = e;
            }
            reasonsWriter = null;
            reasonsLog = null;
        }
        if (dumper != null) {
            dumper.close();
            dumper = null;
            dumperPointer = null;
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Pushes buffered frames (and drop reasons) to the file or stdout. */
    public synchronized void flush() throws IOException {
        if (!closed) {
            flushNow(nanoClock.getAsLong());
        }
    }

    private void flushNow(long now) throws IOException {
        try {
            dumper.flush();
        } catch (PcapNativeException e) {
            throw new IOException("cannot flush " + (stdout ? "stdout" : currentFile) + ": " + e.getMessage(), e);
        } catch (NotOpenException e) {
            throw new IOException("pcap dumper is closed", e);
        }
        if (reasonsLog != null) {
            reasonsLog.flush();
        }
        lastFlush = now;
    }

    @Override
    public synchronized boolean isDone() {
        return closed || (options.count() > 0 && written >= options.count());
    }

    @Override
    public synchronized long written() {
        return written;
    }

    /** Frames in the file being written now. */
    public synchronized long framesInCurrentFile() {
        return framesInFile;
    }

    /** The file being written now; {@code null} on stdout. */
    public synchronized Path currentFile() {
        return currentFile;
    }

    /** Every file name used so far, in the order first used (a ring reuses names); empty on stdout. */
    public synchronized List<Path> files() {
        return List.copyOf(files);
    }

    /** Whether records carry the frames' original lengths (see the class comment). */
    public boolean recordsOriginalLength() {
        return records.writesOriginalLength();
    }

    public PcapFileOptions options() {
        return options;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closeFile();
        } finally {
            handle.close();
        }
    }

    /**
     * Calls libpcap's {@code pcap_dump} with a record header of our own, so that {@code orig_len} can
     * differ from {@code caplen}. It needs pcap4j's dumper pointer and its bound {@code pcap_dump}
     * function, neither of which pcap4j 1.8.2 makes public; when they cannot be reached, every dumper
     * goes through {@code PcapDumper.dumpRaw} instead.
     */
    private static final class RecordWriter {
        private static final RecordWriter FALLBACK = new RecordWriter(null, null);

        private final Method getDumper;
        private final Function pcapDump;
        private Memory header;

        private RecordWriter(Method getDumper, Function pcapDump) {
            this.getDumper = getDumper;
            this.pcapDump = pcapDump;
        }

        static RecordWriter create() {
            try {
                Method getDumper = PcapDumper.class.getDeclaredMethod("getDumper");
                getDumper.setAccessible(true);
                Field field = Class.forName("org.pcap4j.core.NativeMappings").getDeclaredField("PCAP_DUMP");
                field.setAccessible(true);
                if (field.get(null) instanceof Function f && getDumper.getReturnType() == Pointer.class) {
                    return new RecordWriter(getDumper, f);
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // pcap4j's internals differ: use its public API
            }
            return FALLBACK;
        }

        boolean writesOriginalLength() {
            return pcapDump != null;
        }

        /** The native dumper behind {@code dumper}, or {@code null} to use {@code dumpRaw}. */
        Pointer pointerOf(PcapDumper dumper) {
            if (getDumper == null) {
                return null;
            }
            try {
                return (Pointer) getDumper.invoke(dumper);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        /** Writes one record: {@code struct pcap_pkthdr { struct timeval ts; uint32 caplen, len; }}. */
        void dump(Pointer dumper, long seconds, int micros, int caplen, int origLen, byte[] bytes) {
            if (header == null) {
                header = new Memory(2L * Native.LONG_SIZE + 8);
            }
            header.setNativeLong(0, new NativeLong(seconds));
            header.setNativeLong(Native.LONG_SIZE, new NativeLong(micros));
            header.setInt(2L * Native.LONG_SIZE, caplen);
            header.setInt(2L * Native.LONG_SIZE + 4, origLen);
            pcapDump.invoke(Void.class, new Object[] {dumper, header, bytes});
        }
    }
}
