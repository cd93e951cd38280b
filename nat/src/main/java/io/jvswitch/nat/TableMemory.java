package io.jvswitch.nat;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Zeroed memory off the Java heap for a table that is read at random, asked of the kernel in
 * transparent huge pages: an anonymous mapping aligned to 2 MiB and marked
 * {@code madvise(MADV_HUGEPAGE)}, which the kernel honours when THP is {@code always} or
 * {@code madvise} ({@code /sys/kernel/mm/transparent_hugepage/enabled}). With 4 KiB pages every lookup in a table of tens of
 * megabytes also misses the TLB, and in a virtual machine each such miss is a two-level page
 * walk; with 2 MiB pages the whole table fits the TLB.
 *
 * <p>Smaller requests, a kernel that refuses the mapping, or a platform without these calls get
 * ordinary memory ({@link Arena#ofAuto()}, 64-byte aligned). Either way the memory is released
 * when the returned segment is no longer reachable.
 */
final class TableMemory {
    /** Below this a table fits in a few pages anyway: no mapping of its own. */
    static final long HUGE_PAGE = 2L << 20;

    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final long MAP_FAILED = -1L;

    private static final MethodHandle MMAP;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle madvise = null;
        MethodHandle munmap = null;
        try {
            final Linker linker = Linker.nativeLinker();
            mmap = linker.downcallHandle(
                    linker.defaultLookup().find("mmap").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG));
            madvise = linker.downcallHandle(
                    linker.defaultLookup().find("madvise").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            munmap = linker.downcallHandle(
                    linker.defaultLookup().find("munmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        } catch (RuntimeException e) {
            mmap = null; // not Linux, or no native access: ordinary memory
        }
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
    }

    private TableMemory() {}

    /**
     * @return {@code bytes} of zeroed memory, at least 64-byte aligned, in huge pages where the
     *     kernel gives them
     */
    static MemorySegment allocate(long bytes) {
        if (bytes >= HUGE_PAGE && MMAP != null) {
            final MemorySegment mapped = mapHugePages(bytes);
            if (mapped != null) {
                return mapped;
            }
        }
        return Arena.ofAuto().allocate(bytes, 64);
    }

    /** Whether {@code segment} came from {@link #mapHugePages}: starts on a 2 MiB boundary. For tests. */
    static boolean isHugePageAligned(MemorySegment segment) {
        return segment.address() % HUGE_PAGE == 0;
    }

    private static MemorySegment mapHugePages(long bytes) {
        // One huge page more than needed, so a 2 MiB boundary lies within the first one.
        final long length = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE + HUGE_PAGE;
        try {
            final long base = (long) MMAP.invokeExact(0L, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (base == MAP_FAILED || base == 0) {
                return null;
            }
            final long aligned = (base + HUGE_PAGE - 1) & -HUGE_PAGE;
            // Advice only: refused (THP "never"), the memory is still good in small pages.
            final int ignored = (int) MADVISE.invokeExact(aligned, length - (aligned - base), MADV_HUGEPAGE);
            return MemorySegment.ofAddress(aligned).reinterpret(bytes, Arena.ofAuto(), segment -> unmap(base, length));
        } catch (Throwable e) {
            return null;
        }
    }

    private static void unmap(long base, long length) {
        try {
            final int ignored = (int) MUNMAP.invokeExact(base, length);
        } catch (Throwable e) {
            // nothing to do: the mapping stays until the process exits
        }
    }
}
