package io.jvswitch.tap;

import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.port.TransmitFailures;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Objects;

/**
 * A switch {@link Port} over a {@link TapDevice}.
 *
 * <p>The device reads and writes {@code [virtio-net header][Ethernet]} straight from and to the
 * caller's buffer memory, so buffers must be off-heap (agrona {@code UnsafeBuffer} over direct memory
 * or a native {@code MemorySegment}); a heap-backed buffer is refused with
 * {@link IllegalArgumentException}. Offsets and lengths are checked against the buffer's capacity
 * before the kernel sees the address, since the kernel would otherwise write past it.
 *
 * <p>Errno mapping. Receive: {@code EAGAIN}/{@code EINTR} give {@link #RX_EMPTY}; {@code EBADFD},
 * {@code ENODEV}, {@code EIO}, {@code ENXIO}, {@code EBADF} give {@link #RX_GONE}; anything else is
 * counted ({@link #rxErrors()}) and gives {@link #RX_EMPTY}. A frame larger than the buffer is dropped
 * and counted ({@link #rxTruncated()}); the next one is read. Transmit: {@code EAGAIN}, {@code ENOBUFS},
 * {@code ENOMEM}, {@code EINTR} give {@link #TX_BUSY}; {@code EIO} means the interface is down (not
 * gone) and gives {@link #TX_REJECTED}, counted in {@link #txLinkDown()}; {@code EBADFD}, {@code ENODEV},
 * {@code ENXIO}, {@code EBADF} give {@link #TX_GONE}; anything else ({@code EINVAL} for a bad virtio-net
 * header or a runt, {@code EFAULT}, {@code EMSGSIZE}) is counted ({@link #txErrors()}) and gives
 * {@link #TX_REJECTED}.
 *
 * <p>Driven by one dataplane thread; counters are plain fields meant to be read by that thread.
 */
public final class TapPort implements Port {
    /** Frames too large for the receive buffer that one {@link #receive} call skips before giving up. */
    static final int MAX_DROPS_PER_RECEIVE = 8;

    private final String name;
    private final TapDevice device;
    private final int mtu;

    private long rxTruncated;
    private long rxErrors;
    private long txErrors;
    private long txLinkDown;
    private int lastErrno;
    private long txDropped;
    /** Set when a batched write found the device gone: the next transmit reports {@link #TX_GONE}. */
    private boolean txGone;
    /** The last receive returned a frame: more may be queued (the ring's ready set reports it again). */
    private boolean rxMaybeMore;
    /** The io_uring ready set that batches this port's writes, or null for one write(2) per frame. */
    private UringReadySet batch;
    /** This port's slot in {@link #batch}. */
    private int batchSlot;
    /** Where a batched write that failed is reported, so the switch counts it as dropped. */
    private TransmitFailures transmitFailures = TransmitFailures.NONE;
    /** The reads this port last lent a frame from: where it goes back, even after the port left them. */
    private RingReads lender;
    /** For {@link #receive} on a port that lends: the lent frame, copied into the caller's buffer. */
    private final UnsafeBuffer lentForCopy = new UnsafeBuffer(0, 0);

    /** A port named like its device. */
    public TapPort(TapDevice device, int mtu) {
        this(device.name(), device, mtu);
    }

    /**
     * @param name the port's name (for example the endpoint's), shown in logs and counters
     * @param mtu largest Ethernet payload without offloads, as configured on the device's other side
     */
    public TapPort(String name, TapDevice device, int mtu) {
        this.name = Objects.requireNonNull(name, "name");
        this.device = Objects.requireNonNull(device, "device");
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("MTU out of range [68, 65535]: " + mtu);
        }
        this.mtu = mtu;
    }

    @Override
    public String name() {
        return name;
    }

    /** The device, for the owner: to make it persistent before detaching, or to register its fd. */
    public TapDevice device() {
        return device;
    }

    @Override
    public int receive(MutableDirectBuffer buffer, int offset, int capacity) {
        checkRegion(buffer, offset, capacity);
        if (lendsFrames()) {
            return copyLent(buffer, offset, capacity);
        }
        long address = buffer.addressOffset() + offset;
        for (int dropped = 0; dropped < MAX_DROPS_PER_RECEIVE; dropped++) {
            int n = device.read(address, capacity);
            if (n > capacity) {
                // The frame did not fit: the kernel copied what did and dropped the rest.
                rxTruncated++;
                continue;
            }
            if (n > 0) {
                rxMaybeMore = true;
                return n;
            }
            rxMaybeMore = false;
            if (n == 0) {
                return RX_EMPTY;
            }
            int errno = -n;
            if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
                return RX_EMPTY;
            }
            if (Errno.isDeviceGone(errno)) {
                lastErrno = errno;
                return RX_GONE;
            }
            rxErrors++;
            lastErrno = errno;
            return RX_EMPTY;
        }
        return RX_EMPTY;
    }

    /** Reads through the ring land in its buffers: receiving copies out of them, once. */
    private int copyLent(MutableDirectBuffer buffer, int offset, int capacity) {
        final int length = lend(lentForCopy);
        if (length <= 0) {
            return length;
        }
        if (length > capacity) {
            rxTruncated++;
        } else {
            buffer.putBytes(offset, lentForCopy, 0, length);
        }
        takeBack(lentForCopy);
        return length > capacity ? RX_EMPTY : length;
    }

    /** True while this port is in a {@link UringReadySet} that reads into provided buffers. */
    @Override
    public boolean lendsFrames() {
        return batch != null && batch.reads() != null;
    }

    @Override
    public int lend(UnsafeBuffer view) {
        if (!lendsFrames()) {
            throw new IllegalStateException(name + " does not lend frames now");
        }
        lender = batch.reads();
        return lender.lend(batchSlot, view);
    }

    @Override
    public void takeBack(UnsafeBuffer view) {
        if (lender != null) {
            lender.takeBack(view);
        }
    }

    @Override
    public int transmit(DirectBuffer buffer, int offset, int length) {
        checkRegion(buffer, offset, length);
        if (batch != null) {
            return txGone ? TX_GONE : batch.queueWrite(batchSlot, device.fd(), buffer, offset, length);
        }
        int n = device.write(buffer.addressOffset() + offset, length);
        if (n >= 0) {
            return TX_OK;
        }
        int errno = -n;
        if (errno == Errno.EAGAIN || errno == Errno.ENOBUFS || errno == Errno.ENOMEM || errno == Errno.EINTR) {
            return TX_BUSY;
        }
        lastErrno = errno;
        if (errno == Errno.EIO) {
            // The tun driver answers EIO to a write while the interface is administratively down (the
            // container ran "ip link set dev X down", or has not brought it up yet). The device is alive
            // and comes back with "up": refuse this frame, do not declare the port gone.
            txLinkDown++;
            return TX_REJECTED;
        }
        if (Errno.isDeviceGone(errno)) {
            return TX_GONE;
        }
        txErrors++;
        return TX_REJECTED;
    }

    /** Sends this port's writes through {@code ring} from now on (null: one write(2) per frame again). */
    void batchWritesIn(UringReadySet ring, int slot) {
        this.batch = ring;
        this.batchSlot = slot;
    }

    UringReadySet batch() {
        return batch;
    }

    int batchSlot() {
        return batchSlot;
    }

    boolean rxMaybeMore() {
        return rxMaybeMore;
    }

    @Override
    public void transmitFailures(TransmitFailures failures) {
        this.transmitFailures = Objects.requireNonNull(failures, "failures");
    }

    /**
     * The result of one batched write of {@code length} bytes, mapped as {@link #transmit} maps a
     * write(2)'s and reported to the switch ({@link TransmitFailures}) under the answer
     * {@code transmit} would have given: a full queue ({@link #txDropped()}) as {@link #TX_BUSY},
     * a link down or a refusal as {@link #TX_REJECTED}, a gone device as {@link #TX_GONE}. A short
     * write (the tun driver writes whole frames or none, so it would be a kernel's novelty) lost the
     * frame's end: counted as refused. The frame is gone either way, so every failure is counted.
     */
    void writeCompleted(int result, int length) {
        if (result >= length) {
            return;
        }
        if (result >= 0) {
            txErrors++;
            transmitFailures.failed(TX_REJECTED, length);
            return;
        }
        final int errno = -result;
        if (errno == Errno.EAGAIN || errno == Errno.ENOBUFS || errno == Errno.ENOMEM || errno == Errno.EINTR) {
            txDropped++;
            transmitFailures.failed(TX_BUSY, length);
            return;
        }
        lastErrno = errno;
        if (errno == Errno.EIO) {
            txLinkDown++;
            transmitFailures.failed(TX_REJECTED, length);
        } else if (Errno.isDeviceGone(errno)) {
            txGone = true;
            transmitFailures.failed(TX_GONE, length);
        } else {
            txErrors++;
            transmitFailures.failed(TX_REJECTED, length);
        }
    }

    private static void checkRegion(DirectBuffer buffer, int offset, int length) {
        if (buffer.byteArray() != null) {
            throw new IllegalArgumentException("TAP I/O needs an off-heap buffer (UnsafeBuffer over direct memory)");
        }
        if (offset < 0 || length < TapDevice.VNET_HEADER_LENGTH || offset > buffer.capacity() - length) {
            throw new IndexOutOfBoundsException(
                    "region [" + offset + ", +" + length + ") outside buffer of capacity " + buffer.capacity()
                            + " or shorter than the " + TapDevice.VNET_HEADER_LENGTH + "-byte virtio-net header");
        }
    }

    @Override
    public boolean acceptsOffloads() {
        return device.offloads();
    }

    @Override
    public int mtu() {
        return mtu;
    }

    /** Closes the device; a non-persistent TAP disappears with it. */
    @Override
    public void close() {
        if (batch != null) {
            batch.flushBeforeClose(this);
        }
        device.close();
    }

    /** Frames dropped because they did not fit the receive buffer. */
    public long rxTruncated() {
        return rxTruncated;
    }

    /** Reads that failed with an unexpected errno (see {@link #lastErrno()}). */
    public long rxErrors() {
        return rxErrors;
    }

    /** Writes the device refused ({@link #TX_REJECTED}). */
    public long txErrors() {
        return txErrors;
    }

    /** Writes refused because the interface was down ({@code EIO}; reported as {@link #TX_REJECTED}). */
    public long txLinkDown() {
        return txLinkDown;
    }

    /**
     * Frames a batched write lost to a full device queue ({@code EAGAIN}): unlike one write(2) per
     * frame, which reports {@link #TX_BUSY} to the switch, a batched write learns it after the fact.
     */
    public long txDropped() {
        return txDropped;
    }

    /** The errno of the last failure that was not "try again", or 0. */
    public int lastErrno() {
        return lastErrno;
    }

    @Override
    public String toString() {
        return "TapPort[" + name + ", " + device + ", mtu=" + mtu + "]";
    }
}
