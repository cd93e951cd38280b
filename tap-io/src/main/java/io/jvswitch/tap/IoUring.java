package io.jvswitch.tap;

import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One io_uring instance through raw {@code io_uring_setup}/{@code io_uring_enter} system calls and
 * the kernel's mapped submission and completion rings: no liburing, no native build step.
 *
 * <p>The rings are shared memory with the kernel. This side owns the submission tail and the
 * completion head; it reads the kernel's submission head and completion tail with acquire loads and
 * publishes its own indexes with release stores, as liburing does. The submission array is filled
 * with the identity map once, so an entry's index is its slot.
 *
 * <p>Nothing here allocates after construction. Used by one thread (it keeps one errno segment).
 */
final class IoUring implements AutoCloseable {
    // opcodes (include/uapi/linux/io_uring.h)
    static final int OP_POLL_ADD = 6;
    static final int OP_POLL_REMOVE = 7;
    static final int OP_ASYNC_CANCEL = 14;
    static final int OP_READ = 22;
    static final int OP_WRITE = 23;
    /** Reads again after every completion, each into a provided buffer (Linux 6.7). */
    static final int OP_READ_MULTISHOT = 49;
    /** {@code io_uring_register} opcodes. */
    static final int REGISTER_PROBE = 8;

    static final int REGISTER_PBUF_RING = 22;
    static final int UNREGISTER_PBUF_RING = 23;
    /** {@code len} of a POLL_ADD: keep the poll armed and post a completion on every wakeup. */
    static final int POLL_ADD_MULTI = 1;
    /** Completion flag: a multishot request stays armed (absent on its last completion). */
    static final int CQE_F_MORE = 1 << 1;
    /** Completion flag: a buffer was taken from a provided-buffer ring; its id is in the upper 16 bits. */
    static final int CQE_F_BUFFER = 1;

    static final int CQE_BUFFER_SHIFT = 16;

    static final int POLLIN = 0x001;

    private static final int SETUP_CQSIZE = 1 << 3;
    private static final int FEAT_SINGLE_MMAP = 1;
    private static final int FEAT_EXT_ARG = 1 << 8;
    private static final int ENTER_GETEVENTS = 1;
    private static final int ENTER_EXT_ARG = 1 << 3;
    private static final long OFF_SQ_RING = 0L;
    private static final long OFF_SQES = 0x10000000L;

    // struct io_uring_params: 120 bytes; io_sqring_offsets at 40, io_cqring_offsets at 80
    private static final int PARAMS_SIZE = 120;
    private static final int PARAMS_SQ_ENTRIES = 0;
    private static final int PARAMS_CQ_ENTRIES = 4;
    private static final int PARAMS_FLAGS = 8;
    private static final int PARAMS_FEATURES = 20;
    private static final int SQ_OFF = 40;
    private static final int CQ_OFF = 80;
    private static final int OFF_HEAD = 0;
    private static final int OFF_TAIL = 4;
    private static final int OFF_RING_MASK = 8;
    private static final int OFF_RING_ENTRIES = 12;
    private static final int SQ_OFF_ARRAY = 24;
    private static final int CQ_OFF_CQES = 20;

    // struct io_uring_sqe: 64 bytes
    private static final int SQE_SIZE = 64;
    private static final int SQE_OPCODE = 0;
    private static final int SQE_FLAGS = 1;
    /** {@code IOSQE_BUFFER_SELECT}: the kernel picks the buffer from {@code buf_group}. */
    private static final int SQE_FLAG_BUFFER_SELECT = 1 << 5;

    private static final int SQE_FD = 4;
    private static final int SQE_ADDR = 16;
    private static final int SQE_LEN = 24;
    private static final int SQE_OP_FLAGS = 28;
    private static final int SQE_USER_DATA = 32;
    private static final int SQE_BUF_GROUP = 40;
    // struct io_uring_probe: 16-byte header, then 8 bytes per opcode with u16 flags at 2
    private static final int PROBE_HEADER = 16;
    private static final int PROBE_OP_SIZE = 8;
    private static final int PROBE_OP_FLAGS = 2;
    private static final int PROBE_OPS = 256;
    private static final int OP_SUPPORTED = 1;
    // struct io_uring_cqe: 16 bytes
    private static final int CQE_SIZE = 16;
    private static final int CQE_USER_DATA = 0;
    private static final int CQE_RES = 8;
    private static final int CQE_FLAGS = 12;
    // struct io_uring_getevents_arg { u64 sigmask; u32 sigmask_sz; u32 min_wait_usec; u64 ts; } then a timespec
    private static final int GETEVENTS_ARG_SIZE = 24;
    private static final int GETEVENTS_ARG_TS = 16;

    private final int ringFd;
    private final Arena arena;
    private final MemorySegment callState;
    private final long ringAddress;
    private final long ringLength;
    private final long sqesAddress;
    private final long sqesLength;
    private final UnsafeBuffer ring = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer sqes = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer waitArgument;
    private final long waitArgumentAddress;
    private final int sqEntries;
    private final int sqMask;
    private final int sqHead;
    private final int sqTail;
    private final int cqMask;
    private final int cqHead;
    private final int cqTail;
    private final int cqes;

    /** The next submission slot to fill; published to the kernel by {@link #enter}. */
    private int localSqTail;
    /** Entries filled since the last {@link #enter}. */
    private int unsubmitted;

    private IoUring(int ringFd, Arena arena, MemorySegment callState, MemorySegment params) throws TapException {
        this.ringFd = ringFd;
        this.arena = arena;
        this.callState = callState;
        final int features = params.get(ValueLayout.JAVA_INT, PARAMS_FEATURES);
        if ((features & FEAT_SINGLE_MMAP) == 0 || (features & FEAT_EXT_ARG) == 0) {
            throw new TapException("this kernel's io_uring lacks single-mmap rings or timed waits (5.11+)", 0, null);
        }
        final UnsafeBuffer p = new UnsafeBuffer(params.address(), (int) params.byteSize());
        this.sqEntries = p.getInt(PARAMS_SQ_ENTRIES);
        final int cqEntries = p.getInt(PARAMS_CQ_ENTRIES);
        final long sqLength = p.getInt(SQ_OFF + SQ_OFF_ARRAY) + 4L * sqEntries;
        final long cqLength = p.getInt(CQ_OFF + CQ_OFF_CQES) + (long) CQE_SIZE * cqEntries;
        this.ringLength = Math.max(sqLength, cqLength);
        this.ringAddress = map(ringLength, OFF_SQ_RING);
        this.sqesLength = (long) SQE_SIZE * sqEntries;
        try {
            this.sqesAddress = map(sqesLength, OFF_SQES);
        } catch (TapException e) {
            LibC.munmap(callState, ringAddress, ringLength);
            throw e;
        }
        ring.wrap(ringAddress, (int) ringLength);
        sqes.wrap(sqesAddress, (int) sqesLength);
        this.sqHead = p.getInt(SQ_OFF + OFF_HEAD);
        this.sqTail = p.getInt(SQ_OFF + OFF_TAIL);
        this.sqMask = ring.getInt(p.getInt(SQ_OFF + OFF_RING_MASK));
        this.cqHead = p.getInt(CQ_OFF + OFF_HEAD);
        this.cqTail = p.getInt(CQ_OFF + OFF_TAIL);
        this.cqMask = ring.getInt(p.getInt(CQ_OFF + OFF_RING_MASK));
        this.cqes = p.getInt(CQ_OFF + CQ_OFF_CQES);
        final int array = p.getInt(SQ_OFF + SQ_OFF_ARRAY);
        for (int i = 0; i < sqEntries; i++) {
            ring.putInt(array + 4 * i, i);
        }
        this.localSqTail = ring.getInt(sqTail);
        final MemorySegment wait = arena.allocate(GETEVENTS_ARG_SIZE + 16, 8);
        this.waitArgument = new UnsafeBuffer(wait.address(), (int) wait.byteSize());
        this.waitArgumentAddress = wait.address();
        waitArgument.putLong(GETEVENTS_ARG_TS, waitArgumentAddress + GETEVENTS_ARG_SIZE);
        if (ring.getInt(p.getInt(SQ_OFF + OFF_RING_ENTRIES)) != sqEntries) {
            throw new TapException("io_uring's mapped ring disagrees with its parameters", 0, null);
        }
    }

    /**
     * Sets up a ring of {@code entries} submission slots and {@code completions} completion slots
     * (powers of two; the kernel rounds up).
     *
     * @throws TapException with the errno when the kernel refuses: {@code ENOSYS} without io_uring,
     *     {@code EPERM} when {@code kernel.io_uring_disabled} forbids it, {@code ENOMEM} over the
     *     locked-memory limit
     */
    static IoUring create(int entries, int completions) throws TapException {
        final Arena arena = Arena.ofShared();
        int fd = -1;
        try {
            final MemorySegment callState = LibC.allocateCallState(arena);
            final MemorySegment params = arena.allocate(PARAMS_SIZE, 8);
            params.set(ValueLayout.JAVA_INT, PARAMS_FLAGS, SETUP_CQSIZE);
            params.set(ValueLayout.JAVA_INT, PARAMS_CQ_ENTRIES, completions);
            final long result = LibC.syscall(callState, LibC.SYS_IO_URING_SETUP, entries, params.address(), 0, 0, 0, 0);
            if (result < 0) {
                final int errno = LibC.errno(callState);
                throw new TapException("io_uring_setup failed: " + Errno.describe(errno), errno, null);
            }
            fd = (int) result;
            return new IoUring(fd, arena, callState, params);
        } catch (TapException | RuntimeException | Error e) {
            if (fd >= 0) {
                LibC.close(LibC.allocateCallState(arena), fd);
            }
            arena.close();
            throw e;
        }
    }

    private long map(long length, long offset) throws TapException {
        final long address =
                LibC.mmap(callState, length, LibC.PROT_READ_WRITE, LibC.MAP_SHARED_POPULATE, ringFd, offset);
        if (address == LibC.MAP_FAILED) {
            final int errno = LibC.errno(callState);
            throw new TapException("cannot map io_uring's rings: " + Errno.describe(errno), errno, null);
        }
        return address;
    }

    /** Submission slots free right now (filled ones not yet taken by the kernel count as used). */
    int freeSubmissions() {
        return sqEntries - (localSqTail - ring.getIntAcquire(sqHead));
    }

    /** Entries filled and not yet handed to the kernel. */
    int unsubmitted() {
        return unsubmitted;
    }

    /** A multishot poll for {@code events} on {@code fd}. The caller checked {@link #freeSubmissions}. */
    void pollMultishot(int fd, int events, long userData) {
        final int at = nextEntry(OP_POLL_ADD, fd, userData);
        sqes.putInt(at + SQE_LEN, POLL_ADD_MULTI);
        sqes.putInt(at + SQE_OP_FLAGS, events);
    }

    /** Cancels the poll submitted with {@code targetUserData}. */
    void pollRemove(long targetUserData, long userData) {
        final int at = nextEntry(OP_POLL_REMOVE, -1, userData);
        sqes.putLong(at + SQE_ADDR, targetUserData);
    }

    /** A write of {@code length} bytes at {@code address} to {@code fd}. */
    void write(int fd, long address, int length, long userData) {
        final int at = nextEntry(OP_WRITE, fd, userData);
        sqes.putLong(at + SQE_ADDR, address);
        sqes.putInt(at + SQE_LEN, length);
        // offset -1 would mean "the file position"; 0 is ignored by a character device such as tun
    }

    /**
     * A read that stays armed and posts a completion per frame, each in a buffer the kernel takes
     * from provided-buffer group {@code group}.
     */
    void readMultishot(int fd, int group, long userData) {
        final int at = nextEntry(OP_READ_MULTISHOT, fd, userData);
        sqes.putByte(at + SQE_FLAGS, (byte) SQE_FLAG_BUFFER_SELECT);
        sqes.putShort(at + SQE_BUF_GROUP, (short) group);
    }

    /** One read of at most {@code length} bytes into a buffer of provided-buffer group {@code group}. */
    void readSelect(int fd, int group, int length, long userData) {
        final int at = nextEntry(OP_READ, fd, userData);
        sqes.putByte(at + SQE_FLAGS, (byte) SQE_FLAG_BUFFER_SELECT);
        sqes.putInt(at + SQE_LEN, length);
        sqes.putShort(at + SQE_BUF_GROUP, (short) group);
    }

    /** Cancels the request submitted with {@code targetUserData} (any kind, multishot ones included). */
    void cancel(long targetUserData, long userData) {
        final int at = nextEntry(OP_ASYNC_CANCEL, -1, userData);
        sqes.putLong(at + SQE_ADDR, targetUserData);
    }

    /** {@code io_uring_register(2)} on this ring: the result, or the negative errno. */
    int register(int opcode, long argument, int count) {
        final long result = LibC.syscall(callState, LibC.SYS_IO_URING_REGISTER, ringFd, opcode, argument, count, 0, 0);
        return result < 0 ? -LibC.errno(callState) : (int) result;
    }

    /** Whether this kernel's io_uring knows {@code opcode} (asked with {@code IORING_REGISTER_PROBE}). */
    boolean supports(int opcode) {
        try (Arena probeArena = Arena.ofConfined()) {
            final MemorySegment probe = probeArena.allocate(PROBE_HEADER + PROBE_OP_SIZE * PROBE_OPS, 8);
            if (register(REGISTER_PROBE, probe.address(), PROBE_OPS) < 0) {
                return false;
            }
            final int lastOp = Byte.toUnsignedInt(probe.get(ValueLayout.JAVA_BYTE, 0));
            return opcode <= lastOp
                    && (probe.get(
                                            ValueLayout.JAVA_SHORT_UNALIGNED,
                                            PROBE_HEADER + PROBE_OP_SIZE * opcode + PROBE_OP_FLAGS)
                                    & OP_SUPPORTED)
                            != 0;
        }
    }

    private int nextEntry(int opcode, int fd, long userData) {
        final int at = (localSqTail & sqMask) * SQE_SIZE;
        sqes.setMemory(at, SQE_SIZE, (byte) 0);
        sqes.putByte(at + SQE_OPCODE, (byte) opcode);
        sqes.putInt(at + SQE_FD, fd);
        sqes.putLong(at + SQE_USER_DATA, userData);
        localSqTail++;
        unsubmitted++;
        return at;
    }

    /**
     * Hands the filled entries to the kernel and, with {@code waitNanos} not 0, waits until at least
     * one completion is posted or the time is up (negative: no limit).
     *
     * @return entries submitted, or the negative errno ({@code ETIME} when the wait timed out,
     *     {@code EINTR} for a signal: both ordinary)
     */
    int enter(long waitNanos) {
        ring.putIntRelease(sqTail, localSqTail);
        final int toSubmit = unsubmitted;
        // GETEVENTS also without a wait (minComplete 0 returns at once): the kernel then runs pending
        // completion work and moves completions that overflowed the ring into it.
        long flags = ENTER_GETEVENTS;
        long argument = 0;
        long argumentSize = 0;
        int minComplete = 0;
        if (waitNanos != 0) {
            minComplete = 1;
            if (waitNanos > 0) {
                flags |= ENTER_EXT_ARG;
                waitArgument.putLong(GETEVENTS_ARG_SIZE, waitNanos / 1_000_000_000L);
                waitArgument.putLong(GETEVENTS_ARG_SIZE + 8, waitNanos % 1_000_000_000L);
                argument = waitArgumentAddress;
                argumentSize = GETEVENTS_ARG_SIZE;
            }
        }
        final long result = LibC.syscall(
                callState, LibC.SYS_IO_URING_ENTER, ringFd, toSubmit, minComplete, flags, argument, argumentSize);
        if (result < 0) {
            final int errno = LibC.errno(callState);
            // Entries the kernel took before the failure are gone from the ring either way.
            unsubmitted = localSqTail - ring.getIntAcquire(sqHead);
            return -errno;
        }
        unsubmitted -= (int) result;
        return (int) result;
    }

    /** Completions posted and not yet consumed. */
    int completions() {
        return ring.getIntAcquire(cqTail) - ring.getInt(cqHead);
    }

    /** The {@code i}-th unconsumed completion's user data. */
    long completionUserData(int i) {
        return ring.getLong(completionAt(i) + CQE_USER_DATA);
    }

    /** The {@code i}-th unconsumed completion's result: a count, a poll mask, or a negative errno. */
    int completionResult(int i) {
        return ring.getInt(completionAt(i) + CQE_RES);
    }

    int completionFlags(int i) {
        return ring.getInt(completionAt(i) + CQE_FLAGS);
    }

    private int completionAt(int i) {
        return cqes + ((ring.getInt(cqHead) + i) & cqMask) * CQE_SIZE;
    }

    /** Gives {@code n} consumed completions back to the kernel. */
    void consume(int n) {
        ring.putIntRelease(cqHead, ring.getInt(cqHead) + n);
    }

    /** Unmaps the rings and closes the ring; the kernel cancels what is still in flight. */
    @Override
    public void close() {
        LibC.munmap(callState, sqesAddress, sqesLength);
        LibC.munmap(callState, ringAddress, ringLength);
        LibC.close(callState, ringFd);
        arena.close();
    }
}
