package io.jvswitch.vtep;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Frame, byte and drop counters of one network, one peer or the underlay socket.
 *
 * <p>Each counter has a single writer, the dataplane thread (which also runs the underlay's reads
 * and sends), which increments it with a plain read and a release store: no atomic
 * read-modify-write on the packet path. Readers on other threads see a recent value.
 */
public final class VtepCounters {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int TX_FRAMES = 0;
    private static final int TX_BYTES = 1;
    private static final int RX_FRAMES = 2;
    private static final int RX_BYTES = 3;
    private static final int SUPER_FRAMES = 4;
    private static final int COALESCED_SEGMENTS = 5;
    private static final int PARTIAL_CHECKSUMS = 6;
    private static final int RX_OUTER_CHECKSUMMED = 7;
    private static final int DROPS = 8;

    private final long[] values = new long[DROPS + VtepDropReason.VALUES.length];

    private void add(int index, long delta) {
        SLOT.setRelease(values, index, (long) SLOT.get(values, index) + delta);
    }

    private long read(int index) {
        return (long) SLOT.getAcquire(values, index);
    }

    void transmitted(int frames, long bytes) {
        add(TX_FRAMES, frames);
        add(TX_BYTES, bytes);
    }

    void received(long bytes, boolean outerChecksummed) {
        add(RX_FRAMES, 1);
        add(RX_BYTES, bytes);
        if (outerChecksummed) {
            add(RX_OUTER_CHECKSUMMED, 1);
        }
    }

    /** Dataplane thread: received segments joined into one super-frame. */
    void coalesced(int segments) {
        add(SUPER_FRAMES, 1);
        add(COALESCED_SEGMENTS, segments);
    }

    /** Dataplane thread: received frames whose sender left their checksum partial (PartialChecksum). */
    void partialChecksums(int frames) {
        if (frames != 0) {
            add(PARTIAL_CHECKSUMS, frames);
        }
    }

    void drop(VtepDropReason reason) {
        drop(reason, 1);
    }

    void drop(VtepDropReason reason, int frames) {
        add(DROPS + reason.ordinal(), frames);
    }

    public long txFrames() {
        return read(TX_FRAMES);
    }

    public long txBytes() {
        return read(TX_BYTES);
    }

    public long rxFrames() {
        return read(RX_FRAMES);
    }

    public long rxBytes() {
        return read(RX_BYTES);
    }

    /** Super-frames made of received segments (receive offload). */
    public long superFrames() {
        return read(SUPER_FRAMES);
    }

    /** Received segments that went to the dataplane inside super-frames. */
    public long coalescedSegments() {
        return read(COALESCED_SEGMENTS);
    }

    /** Received frames whose sender left the TCP/UDP checksum to offload, passed on marked NEEDS_CSUM. */
    public long partialChecksums() {
        return read(PARTIAL_CHECKSUMS);
    }

    /**
     * Received frames whose datagram carried an outer UDP checksum that the kernel verified
     * ({@link GroReads}): their inner checksums were not verified again.
     */
    public long rxOuterChecksummed() {
        return read(RX_OUTER_CHECKSUMMED);
    }

    /**
     * Received frames not known to have come with an outer checksum (none, as a kernel vxlan device
     * made {@code noudpcsum} sends, or one jvs could not see): their inner TCP checksums are
     * verified before segments are joined, as before.
     */
    public long rxOuterChecksumNotSeen() {
        return rxFrames() - rxOuterChecksummed();
    }

    public long drops(VtepDropReason reason) {
        return read(DROPS + reason.ordinal());
    }

    /** Non-zero drops by reason label, in declaration order. */
    public Map<String, Long> dropsByReason() {
        final Map<String, Long> drops = new LinkedHashMap<>();
        for (VtepDropReason reason : VtepDropReason.VALUES) {
            final long n = drops(reason);
            if (n != 0) {
                drops.put(reason.label(), n);
            }
        }
        return drops;
    }

    public long totalDrops() {
        long total = 0;
        for (VtepDropReason reason : VtepDropReason.VALUES) {
            total += drops(reason);
        }
        return total;
    }
}
