package io.jvswitch.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Sets the nice value of the calling thread alone ({@code setpriority(PRIO_PROCESS, gettid(), n)};
 * Linux applies it per thread). The dataplane thread uses it to be scheduled promptly when a frame
 * wakes it on a machine whose CPUs are busy, much as the kernel's own forwarding runs in softirq
 * ahead of every task. A negative value needs root or CAP_SYS_NICE.
 */
public final class ThreadNice {
    private ThreadNice() {}

    /**
     * @param nice -20 (most favoured) to 19
     * @throws TapException when the kernel refuses (EPERM/EACCES without the privilege)
     */
    public static void applyToCurrentThread(int nice) throws TapException {
        if (nice < -20 || nice > 19) {
            throw new IllegalArgumentException("nice must be within -20..19: " + nice);
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment callState = LibC.allocateCallState(arena);
            final int tid = LibC.gettid();
            if (LibC.setpriority(callState, LibC.PRIO_PROCESS, tid, nice) != 0) {
                final int errno = LibC.errno(callState);
                throw new TapException(
                        "cannot set nice " + nice + " on thread " + tid + " (needs root or CAP_SYS_NICE for "
                                + "a negative value): " + Errno.describe(errno),
                        errno,
                        null);
            }
        }
    }
}
