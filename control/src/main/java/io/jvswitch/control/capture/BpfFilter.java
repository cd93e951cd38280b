package io.jvswitch.control.capture;

import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;

import java.io.IOException;
import java.util.Objects;

/**
 * A tcpdump-style filter expression ({@code "tcp port 80"}, {@code "arp or icmp"}), compiled by
 * libpcap for Ethernet frames and run by libpcap's BPF interpreter.
 *
 * <p>An empty expression matches every frame. Instances are <b>thread-confined</b>: use one from one
 * thread at a time (pcap4j serializes calls on a lock, so sharing is safe but contended), and do not
 * call {@link #matches} concurrently with {@link #close()}. Each thread that filters should compile
 * its own filter.
 */
public final class BpfFilter implements AutoCloseable {

    private final String expression;
    private final int snaplen;
    private final BpfProgram program;
    private boolean closed;

    private BpfFilter(String expression, int snaplen, BpfProgram program) {
        this.expression = expression;
        this.snaplen = snaplen;
        this.program = program;
    }

    /**
     * Compiles {@code expression} for Ethernet frames cut to {@code snaplen} bytes (0 = the default,
     * {@value PcapFileOptions#DEFAULT_SNAPLEN}).
     *
     * @throws IllegalArgumentException on a bad expression, with libpcap's message:
     *     "invalid filter 'tcp prt 80': can't parse filter expression: syntax error"
     * @throws IllegalStateException when libpcap cannot be loaded
     */
    public static BpfFilter compile(String expression, int snaplen) {
        Objects.requireNonNull(expression, "expression");
        if (snaplen < 0) {
            throw new IllegalArgumentException("snap length must be positive (or 0 for the default), not " + snaplen);
        }
        int effective =
                snaplen == 0 || snaplen > PcapFileOptions.DEFAULT_SNAPLEN ? PcapFileOptions.DEFAULT_SNAPLEN : snaplen;
        PcapHandle handle;
        try {
            handle = PcapFileSink.openDeadHandle(effective);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        try {
            BpfProgram program = handle.compileFilter(
                    expression, BpfProgram.BpfCompileMode.OPTIMIZE, PcapHandle.PCAP_NETMASK_UNKNOWN);
            return new BpfFilter(expression, effective, program);
        } catch (PcapNativeException e) {
            throw new IllegalArgumentException("invalid filter '" + expression + "': " + e.getMessage(), e);
        } catch (NotOpenException e) {
            throw new IllegalStateException("pcap handle closed while compiling a filter", e);
        } finally {
            // The compiled program lives on its own; the handle was only needed to compile it.
            handle.close();
        }
    }

    /** Whether the first {@code length} bytes of {@code frame}, a whole frame, match. */
    public boolean matches(byte[] frame, int length) {
        return matches(frame, length, length);
    }

    /**
     * Whether a frame of which the first {@code length} bytes of {@code frame} were captured matches;
     * {@code originalLength} is its length on the wire (what {@code len}, {@code less} and
     * {@code greater} test).
     */
    public boolean matches(byte[] frame, int length, int originalLength) {
        Objects.requireNonNull(frame, "frame");
        if (length < 0 || length > frame.length) {
            throw new IndexOutOfBoundsException("length " + length + " outside a " + frame.length + "-byte array");
        }
        if (originalLength < length) {
            throw new IllegalArgumentException("original length " + originalLength + " < captured length " + length);
        }
        if (closed) {
            throw new IllegalStateException("filter '" + expression + "' is closed");
        }
        // bpf_filter(program, packet, wirelen, buflen): reads at most buflen bytes of the array.
        return program.applyFilter(frame, originalLength, length);
    }

    /** Whether a captured frame matches. */
    public boolean matches(CapturedFrame frame) {
        return matches(frame.data(), frame.data().length, frame.originalLength());
    }

    public String expression() {
        return expression;
    }

    public int snaplen() {
        return snaplen;
    }

    /** Frees the compiled program; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            program.free();
        }
    }

    @Override
    public String toString() {
        return "BpfFilter[" + expression + "]";
    }
}
