package io.jvswitch.switching.port;

import io.jvswitch.switching.capture.CaptureTap;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A place frames enter and leave the switch: a TAP device, a tunnel, or an in-memory port in tests.
 *
 * <p>Every frame crossing this interface is laid out as a 10-byte virtio-net header followed by
 * the Ethernet frame ({@link io.jvswitch.packet.VirtioNetHeader}). A port that has no such header
 * on the wire writes an all-zero one on receive and skips it on transmit, so the switch handles one
 * layout only. A port is driven by exactly one dataplane thread; implementations need no locking
 * on the packet path and must not allocate per frame.
 */
public interface Port {
    /** {@link #receive} result: nothing is pending on this port right now. */
    int RX_EMPTY = 0;
    /** {@link #receive} result: the port is gone for good (device destroyed, namespace deleted). */
    int RX_GONE = -1;

    /** {@link #transmit} result: the frame was handed to the device. */
    int TX_OK = 0;
    /** {@link #transmit} result: the device queue is full; the frame was not sent. */
    int TX_BUSY = 1;
    /** {@link #transmit} result: the port is gone for good. */
    int TX_GONE = 2;
    /** {@link #transmit} result: the device refused this frame (e.g. malformed offload request). */
    int TX_REJECTED = 3;

    /** Short human-readable name, such as the endpoint name or the device name. */
    String name();

    /**
     * Reads at most one frame into {@code buffer} at {@code offset}.
     *
     * @return the number of bytes written (virtio-net header included), {@link #RX_EMPTY} or
     *     {@link #RX_GONE}. A frame larger than {@code capacity} is dropped by the device.
     */
    int receive(MutableDirectBuffer buffer, int offset, int capacity);

    /**
     * Whether this port lends its frames where they landed ({@link #lend}) instead of copying them
     * into the caller's buffer ({@link #receive}): a port whose reads fill memory of its own (an
     * io_uring's provided buffers). It may change when the port joins or leaves a {@link ReadySet}.
     */
    default boolean lendsFrames() {
        return false;
    }

    /**
     * Points {@code view} at the next frame in the port's own memory (virtio-net header first, at
     * offset 0; the view's capacity leaves room to grow the frame in place) and lends it until
     * {@link #takeBack}: no copy. Frames transmitted from the view may leave from that memory.
     * Only where {@link #lendsFrames()}.
     *
     * @return as {@link #receive}
     */
    default int lend(UnsafeBuffer view) {
        throw new UnsupportedOperationException(name() + " does not lend frames");
    }

    /**
     * Ends the loan of the frame {@code view} points at: the caller is done with it. The memory goes
     * back to the device once every write from it also completed. Call it even when the port left
     * the switch meanwhile.
     */
    default void takeBack(UnsafeBuffer view) {}

    /**
     * Writes one frame ({@code length} bytes from {@code offset}, virtio-net header included).
     *
     * @return one of {@link #TX_OK}, {@link #TX_BUSY}, {@link #TX_GONE}, {@link #TX_REJECTED}.
     */
    int transmit(DirectBuffer buffer, int offset, int length);

    /**
     * Whether this port takes frames with offload requests as they are: GSO super-frames (up to
     * 64 KiB) and frames whose checksum is still to be completed ({@code NEEDS_CSUM}). When false,
     * the switch completes checksums itself and does not send GSO frames to this port.
     */
    boolean acceptsOffloads();

    /** Largest Ethernet payload this port carries without offloads (its MTU). */
    int mtu();

    /**
     * Whether this port, when the {@link ReadySet} cannot watch it, calls
     * {@link io.jvswitch.switching.Dataplane#wakeup()} whenever frames become pending (a port fed
     * through a ring by another thread). Such a port is still polled every duty cycle, but it does
     * not keep an idle dataplane from blocking.
     */
    default boolean wakesDataplane() {
        return false;
    }

    /**
     * Whether ARP and neighbor discovery arriving on this port teach the network's address books
     * (proxy-ARP: sender address to sender MAC; proxy-NDP: an advertisement's target or a
     * solicitation's source to its link-layer option). True for a tunnel to other hosts, whose
     * endpoints the control plane here does not know; false for a container's port, which must
     * never be able to claim addresses.
     */
    default boolean learnsRemoteAddresses() {
        return false;
    }

    /**
     * For a trace: where this port would send the frame beyond the switch (a tunnel: the VTEP, the
     * VNI and the table entry that chose them), or null when it just delivers it. Called on the
     * dataplane thread, only for traced frames (may allocate); changes nothing.
     */
    default String describeEgress(DirectBuffer buffer, int offset, int length) {
        return null;
    }

    /**
     * Where this port may copy frames the switch does not see (a tunnel's outer datagrams) for the
     * captures that want them. Given once, on the dataplane thread, when the port is plugged in.
     */
    default void captureTap(CaptureTap tap) {}

    /**
     * Where this port reports frames it took but could not send after all (a batched write that
     * failed later). Given once, on the dataplane thread, when the port is plugged in; a port that
     * learns every outcome within {@link #transmit} ignores it.
     */
    default void transmitFailures(TransmitFailures failures) {}

    /**
     * Who sent the frame the last {@link #receive} returned, for a port that carries several
     * senders (a tunnel: the peer's underlay address); 0 for a port with one sender. Learned
     * remote addresses remember it, so only the same peer may change them.
     */
    default int lastFrameOrigin() {
        return 0;
    }

    /** Releases the device. Called once, on the dataplane thread, after the port is unplugged. */
    void close();
}
