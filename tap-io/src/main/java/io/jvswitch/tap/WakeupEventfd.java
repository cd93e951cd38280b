package io.jvswitch.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The eventfd a ready set waits on beside its ports, so that other threads can end its wait
 * ({@code ReadySet.wakeup}): one write per wakeup the waiter has not consumed yet, further calls
 * until then cost an atomic read. Its memory lives in the owner's arena.
 */
final class WakeupEventfd {
    private final int fd;
    /** 8 bytes holding the value 1 to add to the eventfd. */
    private final long oneAddress;

    private final long drainAddress;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final Object lock = new Object();
    private boolean closed;

    private WakeupEventfd(int fd, Arena arena) {
        this.fd = fd;
        final MemorySegment one = arena.allocate(8, 8);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        this.oneAddress = one.address();
        this.drainAddress = arena.allocate(8, 8).address();
    }

    static WakeupEventfd create(MemorySegment callState, Arena arena) throws TapException {
        final int fd = LibC.eventfd(callState, 0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (fd < 0) {
            final int errno = LibC.errno(callState);
            throw new TapException("cannot create an eventfd: " + Errno.describe(errno), errno, null);
        }
        return new WakeupEventfd(fd, arena);
    }

    int fd() {
        return fd;
    }

    /** From any thread. */
    void signal() {
        // The caller has just published work (a ring commit, a release store). Without a full fence
        // the flag could be read before that store is visible: the poller could clear the flag, find
        // the ring empty and block, while this call skips its write on a stale "pending".
        VarHandle.fullFence();
        if (!pending.get() && !pending.getAndSet(true)) {
            synchronized (lock) { // close() must not free the fd and memory under this write
                if (!closed) {
                    LibC.writeFromAnyThread(fd, oneAddress, 8);
                }
            }
        }
    }

    /** On the waiter's thread, when the eventfd was reported readable. */
    void consume(MemorySegment callState) {
        // Drain, then clear. Clearing first would lose a wakeup written in between: the drain would
        // eat its count while the flag stayed set, and every later signal() would skip its write. A
        // signal() that sees the flag still set here needs no write: the waiter is awake and looks
        // at every port and ring after this.
        LibC.read(callState, fd, drainAddress, 8);
        pending.set(false);
    }

    /** Closes the eventfd once no signal() is writing to it; before the owner's arena closes. */
    void close(MemorySegment callState) {
        synchronized (lock) {
            closed = true;
        }
        LibC.close(callState, fd);
    }
}
