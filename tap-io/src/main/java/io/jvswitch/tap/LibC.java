package io.jvswitch.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The few libc functions the TAP code calls, bound through FFM.
 *
 * <p>Every handle that can fail captures {@code errno} into a caller-owned segment of
 * {@link #CALL_STATE_LAYOUT}, passed as the first argument. Owners allocate that segment once and
 * reuse it for every call, which is why each owner is used by one thread at a time.
 *
 * <p>The hot-path functions ({@code read}, {@code readv}, {@code write}, {@code epoll_wait}) take their buffer as a
 * raw address ({@code JAVA_LONG}) rather than a {@code MemorySegment}: the caller passes
 * {@code UnsafeBuffer.addressOffset() + offset} and no segment is created per call. A {@code long}
 * and a pointer travel in the same integer register under the System V x86-64 and AAPCS64 calling
 * conventions, so the callee sees an ordinary pointer.
 *
 * <p>No handle is linked with {@link Linker.Option#critical}: {@code epoll_wait} blocks, and a TAP
 * {@code write} runs the receiving half of the kernel's network stack inside the call, so none of
 * these is "extremely short in all cases" as that option demands; a critical call also keeps the
 * thread in Java state, which would stall every safepoint (GC) behind a blocked syscall.
 */
final class LibC {

    // open(2) flags (x86-64 and arm64 agree on these)
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    // epoll
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLL_CTL_MOD = 3;
    static final int EPOLLIN = 0x001;
    static final int EPOLLERR = 0x008;
    static final int EPOLLHUP = 0x010;
    /** {@code struct epoll_event} is packed on x86-64: {@code uint32_t events; uint64_t data;}. */
    static final int EPOLL_EVENT_SIZE = 12;

    static final int EPOLL_EVENT_EVENTS_OFFSET = 0;
    static final int EPOLL_EVENT_DATA_OFFSET = 4;

    /** {@code struct iovec}: {@code void *iov_base; size_t iov_len;}. */
    static final int IOVEC_SIZE = 16;

    static final int IOVEC_BASE_OFFSET = 0;
    static final int IOVEC_LENGTH_OFFSET = 8;

    // mmap(2)
    static final int PROT_READ_WRITE = 0x1 | 0x2;
    static final int MAP_SHARED_POPULATE = 0x01 | 0x8000;
    static final long MAP_FAILED = -1L;

    // x86-64 system call numbers (arm64 and every other architecture since 5.1 use the same two)
    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;

    // setns(2)
    static final int CLONE_NEWNET = 0x40000000;
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;

    static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET =
            CALL_STATE_LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout ADDRESS = ValueLayout.ADDRESS;

    // int open(const char *path, int flags, ...)  -- mode is the variadic part
    private static final MethodHandle OPEN =
            bind("open", FunctionDescriptor.of(INT, ADDRESS, INT, INT), ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(INT, INT), ERRNO);
    // int ioctl(int fd, unsigned long request, ...)
    private static final MethodHandle IOCTL_POINTER =
            bind("ioctl", FunctionDescriptor.of(INT, INT, LONG, ADDRESS), ERRNO, Linker.Option.firstVariadicArg(2));
    // The value variant passes a full 64-bit word: glibc reads the variadic argument as a pointer-sized
    // value and the kernel takes it as an unsigned long, so no upper bits are left undefined.
    private static final MethodHandle IOCTL_VALUE =
            bind("ioctl", FunctionDescriptor.of(INT, INT, LONG, LONG), ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle READ = bind("read", FunctionDescriptor.of(LONG, INT, LONG, LONG), ERRNO);
    // ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
    private static final MethodHandle READV = bind("readv", FunctionDescriptor.of(LONG, INT, LONG, INT), ERRNO);
    private static final MethodHandle WRITE = bind("write", FunctionDescriptor.of(LONG, INT, LONG, LONG), ERRNO);
    private static final MethodHandle EPOLL_CREATE1 = bind("epoll_create1", FunctionDescriptor.of(INT, INT), ERRNO);
    private static final MethodHandle EPOLL_CTL =
            bind("epoll_ctl", FunctionDescriptor.of(INT, INT, INT, INT, ADDRESS), ERRNO);
    private static final MethodHandle EPOLL_WAIT =
            bind("epoll_wait", FunctionDescriptor.of(INT, INT, LONG, INT, INT), ERRNO);
    private static final MethodHandle EVENTFD = bind("eventfd", FunctionDescriptor.of(INT, INT, INT), ERRNO);
    // write without errno capture: callable from any thread, the caller only needs "it was signalled"
    private static final MethodHandle WRITE_NO_ERRNO = bind("write", FunctionDescriptor.of(LONG, INT, LONG, LONG));
    private static final MethodHandle SETNS = bind("setns", FunctionDescriptor.of(INT, INT, INT), ERRNO);
    private static final MethodHandle STRERROR = bind("strerror", FunctionDescriptor.of(ADDRESS, INT));
    private static final MethodHandle GETTID = bind("gettid", FunctionDescriptor.of(INT));
    private static final MethodHandle SETPRIORITY =
            bind("setpriority", FunctionDescriptor.of(INT, INT, INT, INT), ERRNO);
    // long syscall(long number, ...): io_uring has no libc wrapper in glibc. Every argument travels as a
    // full 64-bit word, so no upper register bits are left undefined for the kernel to read.
    private static final MethodHandle SYSCALL6 = bind(
            "syscall",
            FunctionDescriptor.of(LONG, LONG, LONG, LONG, LONG, LONG, LONG, LONG),
            ERRNO,
            Linker.Option.firstVariadicArg(1));
    // void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
    private static final MethodHandle MMAP =
            bind("mmap", FunctionDescriptor.of(LONG, LONG, LONG, INT, INT, INT, LONG), ERRNO);
    private static final MethodHandle MUNMAP = bind("munmap", FunctionDescriptor.of(INT, LONG, LONG), ERRNO);
    /** {@code which} for {@code setpriority}: on Linux, {@code who} may then be a thread id. */
    static final int PRIO_PROCESS = 0;

    private LibC() {}

    // Restricted (native access): the JVM runs with --enable-native-access for these modules.
    @SuppressWarnings("restricted")
    private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol =
                LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc function not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** A new call-state segment for an owner that will make calls on one thread at a time. */
    static MemorySegment allocateCallState(Arena arena) {
        return arena.allocate(CALL_STATE_LAYOUT);
    }

    /** The errno the last failed call through {@code callState} left behind. */
    static int errno(MemorySegment callState) {
        return callState.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    static int open(MemorySegment callState, MemorySegment path, int flags, int mode) {
        try {
            return (int) OPEN.invokeExact(callState, path, flags, mode);
        } catch (Throwable t) {
            throw unexpected("open", t);
        }
    }

    static int close(MemorySegment callState, int fd) {
        try {
            return (int) CLOSE.invokeExact(callState, fd);
        } catch (Throwable t) {
            throw unexpected("close", t);
        }
    }

    static int ioctl(MemorySegment callState, int fd, long request, MemorySegment argument) {
        try {
            return (int) IOCTL_POINTER.invokeExact(callState, fd, request, argument);
        } catch (Throwable t) {
            throw unexpected("ioctl", t);
        }
    }

    static int ioctl(MemorySegment callState, int fd, long request, long value) {
        try {
            return (int) IOCTL_VALUE.invokeExact(callState, fd, request, value);
        } catch (Throwable t) {
            throw unexpected("ioctl", t);
        }
    }

    /** {@code read(fd, (void *) address, count)}: bytes read, or -1 with errno in {@code callState}. */
    static long read(MemorySegment callState, int fd, long address, long count) {
        try {
            return (long) READ.invokeExact(callState, fd, address, count);
        } catch (Throwable t) {
            throw unexpected("read", t);
        }
    }

    /** {@code readv(fd, (const struct iovec *) iovAddress, iovCount)}: bytes read, or -1 with errno in {@code callState}. */
    static long readv(MemorySegment callState, int fd, long iovAddress, int iovCount) {
        try {
            return (long) READV.invokeExact(callState, fd, iovAddress, iovCount);
        } catch (Throwable t) {
            throw unexpected("readv", t);
        }
    }

    /** {@code write(fd, (const void *) address, count)}: bytes written, or -1 with errno in {@code callState}. */
    static long write(MemorySegment callState, int fd, long address, long count) {
        try {
            return (long) WRITE.invokeExact(callState, fd, address, count);
        } catch (Throwable t) {
            throw unexpected("write", t);
        }
    }

    static int epollCreate1(MemorySegment callState, int flags) {
        try {
            return (int) EPOLL_CREATE1.invokeExact(callState, flags);
        } catch (Throwable t) {
            throw unexpected("epoll_create1", t);
        }
    }

    static int epollCtl(MemorySegment callState, int epfd, int op, int fd, MemorySegment event) {
        try {
            return (int) EPOLL_CTL.invokeExact(callState, epfd, op, fd, event);
        } catch (Throwable t) {
            throw unexpected("epoll_ctl", t);
        }
    }

    /** {@code epoll_wait(epfd, (struct epoll_event *) eventsAddress, maxEvents, timeoutMillis)}. */
    static int epollWait(MemorySegment callState, int epfd, long eventsAddress, int maxEvents, int timeoutMillis) {
        try {
            return (int) EPOLL_WAIT.invokeExact(callState, epfd, eventsAddress, maxEvents, timeoutMillis);
        } catch (Throwable t) {
            throw unexpected("epoll_wait", t);
        }
    }

    static int eventfd(MemorySegment callState, int initialValue, int flags) {
        try {
            return (int) EVENTFD.invokeExact(callState, initialValue, flags);
        } catch (Throwable t) {
            throw unexpected("eventfd", t);
        }
    }

    /** {@code write} for any thread; the result tells success, errno is not kept. */
    static long writeFromAnyThread(int fd, long address, long count) {
        try {
            return (long) WRITE_NO_ERRNO.invokeExact(fd, address, count);
        } catch (Throwable t) {
            throw unexpected("write", t);
        }
    }

    static int setns(MemorySegment callState, int fd, int nsType) {
        try {
            return (int) SETNS.invokeExact(callState, fd, nsType);
        } catch (Throwable t) {
            throw unexpected("setns", t);
        }
    }

    /** The calling thread's kernel thread id. */
    static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw unexpected("gettid", t);
        }
    }

    static int setpriority(MemorySegment callState, int which, int who, int prio) {
        try {
            return (int) SETPRIORITY.invokeExact(callState, which, who, prio);
        } catch (Throwable t) {
            throw unexpected("setpriority", t);
        }
    }

    /** {@code syscall(number, a..f)}: the kernel's result, or -1 with errno in {@code callState}. */
    static long syscall(MemorySegment callState, long number, long a, long b, long c, long d, long e, long f) {
        try {
            return (long) SYSCALL6.invokeExact(callState, number, a, b, c, d, e, f);
        } catch (Throwable t) {
            throw unexpected("syscall", t);
        }
    }

    /** {@code mmap(NULL, length, prot, flags, fd, offset)}: the address, or {@link #MAP_FAILED}. */
    static long mmap(MemorySegment callState, long length, int prot, int flags, int fd, long offset) {
        try {
            return (long) MMAP.invokeExact(callState, 0L, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw unexpected("mmap", t);
        }
    }

    static int munmap(MemorySegment callState, long address, long length) {
        try {
            return (int) MUNMAP.invokeExact(callState, address, length);
        } catch (Throwable t) {
            throw unexpected("munmap", t);
        }
    }

    /** The C library's text for an errno value, e.g. "Device or resource busy". */
    @SuppressWarnings("restricted") // sizing strerror's NUL-terminated result
    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            if (text.equals(MemorySegment.NULL)) {
                return "errno " + errno;
            }
            return text.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw unexpected("strerror", t);
        }
    }

    private static IllegalStateException unexpected(String function, Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected failure calling " + function, t);
    }
}
