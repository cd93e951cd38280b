package io.jvswitch.tap;

import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.port.ReadySet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A {@link ReadySet} over one epoll instance, watching {@link TapPort}s for {@code EPOLLIN}.
 *
 * <p>Level-triggered: a port with frames left after a receive batch is reported again on the next
 * poll. A port whose device was destroyed reports {@code EPOLLERR} (the kernel's tun driver wakes the
 * descriptor when the device goes), so its slot comes back and its next receive returns
 * {@link Port#RX_GONE}. The slot is stored as the event's 64-bit data word.
 *
 * <p>An eventfd in the set carries {@link #wakeup()} from other threads; its events are consumed
 * here and never reported as a slot.
 *
 * <p>{@link #poll} allocates nothing: {@code epoll_wait} writes into a preallocated native array of
 * packed 12-byte {@code struct epoll_event}s passed by address. Used by one thread.
 */
public final class EpollReadySet implements ReadySet {
    /** Events fetched by one {@link #poll} at most, unless configured otherwise. */
    public static final int DEFAULT_MAX_EVENTS = 256;

    private final int epfd;
    private final int maxEvents;
    private final Arena arena;
    private final MemorySegment callState;
    private final MemorySegment events;
    private final long eventsAddress;
    private final MemorySegment ctlEvent;
    /** The eventfd behind {@link #wakeup()}. */
    private final WakeupEventfd wakeupFd;

    private volatile boolean closed;

    /** Epoll data word of the wakeup eventfd; slots are non-negative ints, so it never clashes. */
    private static final long WAKEUP_DATA = -1L;
    /** Epoll data word of every {@linkplain #watch watched descriptor}: reported once per poll. */
    private static final long DESCRIPTOR_DATA = -2L;

    public EpollReadySet() throws TapException {
        this(DEFAULT_MAX_EVENTS);
    }

    /** @param maxEvents the most events one {@link #poll} fetches (further ready ports wait for the next) */
    public EpollReadySet(int maxEvents) throws TapException {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be positive: " + maxEvents);
        }
        this.maxEvents = maxEvents;
        this.arena = Arena.ofShared();
        try {
            this.callState = LibC.allocateCallState(arena);
            this.events = arena.allocate((long) maxEvents * LibC.EPOLL_EVENT_SIZE, 8);
            this.eventsAddress = events.address();
            this.ctlEvent = arena.allocate(LibC.EPOLL_EVENT_SIZE, 8);
            int fd = LibC.epollCreate1(callState, LibC.EPOLL_CLOEXEC);
            if (fd < 0) {
                int errno = LibC.errno(callState);
                throw new TapException("cannot create an epoll instance: " + Errno.describe(errno), errno, null);
            }
            this.epfd = fd;
            try {
                this.wakeupFd = WakeupEventfd.create(callState, arena);
            } catch (TapException e) {
                LibC.close(callState, epfd);
                throw e;
            }
            ctlEvent.set(ValueLayout.JAVA_INT_UNALIGNED, LibC.EPOLL_EVENT_EVENTS_OFFSET, LibC.EPOLLIN);
            ctlEvent.set(ValueLayout.JAVA_LONG_UNALIGNED, LibC.EPOLL_EVENT_DATA_OFFSET, WAKEUP_DATA);
            if (LibC.epollCtl(callState, epfd, LibC.EPOLL_CTL_ADD, wakeupFd.fd(), ctlEvent) != 0) {
                int errno = LibC.errno(callState);
                wakeupFd.close(callState);
                LibC.close(callState, epfd);
                throw new TapException("cannot watch the wakeup eventfd: " + Errno.describe(errno), errno, null);
            }
        } catch (TapException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Watches a {@link TapPort}'s descriptor for input under {@code slot}. Adding a port again
     * updates its slot.
     *
     * @return false for ports that are not TAP ports (or whose device is closed)
     */
    @Override
    public boolean add(int slot, Port port) {
        ensureOpen();
        if (!(port instanceof TapPort tap) || tap.device().isClosed()) {
            return false;
        }
        int fd = tap.device().fd();
        ctlEvent.set(ValueLayout.JAVA_INT_UNALIGNED, LibC.EPOLL_EVENT_EVENTS_OFFSET, LibC.EPOLLIN);
        ctlEvent.set(ValueLayout.JAVA_LONG_UNALIGNED, LibC.EPOLL_EVENT_DATA_OFFSET, Integer.toUnsignedLong(slot));
        if (LibC.epollCtl(callState, epfd, LibC.EPOLL_CTL_ADD, fd, ctlEvent) == 0) {
            return true;
        }
        int errno = LibC.errno(callState);
        if (errno == Errno.EEXIST && LibC.epollCtl(callState, epfd, LibC.EPOLL_CTL_MOD, fd, ctlEvent) == 0) {
            return true;
        }
        errno = LibC.errno(callState);
        throw new IllegalStateException(
                "epoll_ctl ADD failed for port " + port.name() + " (fd " + fd + "): " + Errno.describe(errno));
    }

    /**
     * Stops watching a port. Call it before closing the port: once the descriptor is closed the kernel
     * has already dropped it from the set, and a new descriptor may reuse its number, so nothing is
     * done for a port whose device is closed. {@code ENOENT} and {@code EBADF} are ignored.
     */
    @Override
    public void remove(int slot, Port port) {
        if (closed || !(port instanceof TapPort tap) || tap.device().isClosed()) {
            return;
        }
        int fd = tap.device().fd();
        if (LibC.epollCtl(callState, epfd, LibC.EPOLL_CTL_DEL, fd, ctlEvent) < 0) {
            int errno = LibC.errno(callState);
            if (errno != Errno.ENOENT && errno != Errno.EBADF) {
                throw new IllegalStateException(
                        "epoll_ctl DEL failed for port " + port.name() + " (fd " + fd + "): " + Errno.describe(errno));
            }
        }
    }

    /** Watches a work's descriptor for input; its readiness is reported as {@link #DESCRIPTOR_READY}. */
    @Override
    public boolean watch(int fd) {
        ensureOpen();
        ctlEvent.set(ValueLayout.JAVA_INT_UNALIGNED, LibC.EPOLL_EVENT_EVENTS_OFFSET, LibC.EPOLLIN);
        ctlEvent.set(ValueLayout.JAVA_LONG_UNALIGNED, LibC.EPOLL_EVENT_DATA_OFFSET, DESCRIPTOR_DATA);
        if (LibC.epollCtl(callState, epfd, LibC.EPOLL_CTL_ADD, fd, ctlEvent) == 0) {
            return true;
        }
        final int errno = LibC.errno(callState);
        throw new IllegalStateException("epoll_ctl ADD failed for descriptor " + fd + ": " + Errno.describe(errno));
    }

    @Override
    public void unwatch(int fd) {
        if (closed) {
            return;
        }
        if (LibC.epollCtl(callState, epfd, LibC.EPOLL_CTL_DEL, fd, ctlEvent) < 0) {
            final int errno = LibC.errno(callState);
            if (errno != Errno.ENOENT && errno != Errno.EBADF) {
                throw new IllegalStateException(
                        "epoll_ctl DEL failed for descriptor " + fd + ": " + Errno.describe(errno));
            }
        }
    }

    /**
     * Waits up to {@code timeoutMillis} (0: not at all; negative: without limit) for watched ports to
     * become readable or fail, and writes their slots to {@code readySlots}.
     *
     * @return the number of slots written; 0 on timeout or when a signal interrupted the wait
     */
    @Override
    public int poll(int[] readySlots, int timeoutMillis) {
        ensureOpen();
        int max = Math.min(readySlots.length, maxEvents);
        if (max == 0) {
            return 0;
        }
        int n = LibC.epollWait(callState, epfd, eventsAddress, max, timeoutMillis);
        if (n < 0) {
            int errno = LibC.errno(callState);
            if (errno == Errno.EINTR) {
                return 0;
            }
            throw new IllegalStateException("epoll_wait failed: " + Errno.describe(errno));
        }
        int slots = 0;
        boolean descriptorReported = false;
        for (int i = 0; i < n; i++) {
            // Every event is a readiness report: EPOLLIN, or EPOLLERR/EPOLLHUP for a failed device, whose
            // next receive then returns RX_GONE.
            final long data = events.get(
                    ValueLayout.JAVA_LONG_UNALIGNED, (long) i * LibC.EPOLL_EVENT_SIZE + LibC.EPOLL_EVENT_DATA_OFFSET);
            if (data == WAKEUP_DATA) {
                wakeupFd.consume(callState);
            } else if (data == DESCRIPTOR_DATA) {
                if (!descriptorReported) {
                    descriptorReported = true;
                    readySlots[slots++] = DESCRIPTOR_READY;
                }
            } else {
                readySlots[slots++] = (int) data;
            }
        }
        return slots;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("EpollReadySet is closed");
        }
    }

    /**
     * Wakes a blocked {@link #poll}; from any thread. One eventfd write per wakeup that the poller
     * has not consumed yet: further calls until then cost an atomic read.
     */
    @Override
    public void wakeup() {
        wakeupFd.signal();
    }

    /** Closes the epoll instance. Idempotent; the watched ports stay open. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakeupFd.close(callState);
        LibC.close(callState, epfd);
        arena.close();
    }
}
