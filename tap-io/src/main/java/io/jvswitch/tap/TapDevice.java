package io.jvswitch.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * One Linux TAP device, opened through {@code /dev/net/tun} with
 * {@code IFF_TAP | IFF_NO_PI | IFF_VNET_HDR} and a 10-byte virtio-net header, so every frame read
 * or written is {@code [virtio_net_hdr (10 bytes)][Ethernet frame]}: the layout of the switch's
 * {@link io.jvswitch.switching.port.Port} SPI, with no copying or shifting.
 *
 * <p>The descriptor is non-blocking. {@link #read} and {@link #write} never throw and never allocate:
 * they return a byte count or a negative errno. An instance is used by one thread at a time (it
 * keeps one preallocated errno segment); it may be handed from the thread that opened it to the
 * dataplane thread that drives it.
 *
 * <p>Namespaces: the device is created in (or re-attached from) the network namespace of the thread
 * that calls {@link #open}; use {@link #openIn} or {@link NetworkNamespace#call} to open it inside
 * another one. The open descriptor keeps a reference to the namespace it was opened in, so that
 * namespace lives as long as the descriptor does, even after {@code ip netns del}. A device that is
 * moved to another namespace is destroyed when that namespace is deleted; reads then fail with
 * {@code EBADFD}.
 */
public final class TapDevice implements AutoCloseable {
    /** Length of the virtio-net header in front of each frame ({@code struct virtio_net_hdr}). */
    public static final int VNET_HEADER_LENGTH = 10;
    /** Longest interface name the kernel takes ({@code IFNAMSIZ - 1}). */
    public static final int MAX_NAME_LENGTH = 15;

    // ioctl requests and flags from <linux/if_tun.h>
    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETPERSIST = 0x400454cbL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final int TUN_F_TSO6 = 0x04;
    static final int TUN_F_TSO_ECN = 0x08;
    /** Offloads asked for when {@code offloads} is true: checksum and TCP segmentation, v4 and v6. */
    static final int OFFLOAD_FLAGS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;

    private static final String TUN_PATH = "/dev/net/tun";
    // struct ifreq: char ifr_name[16]; union { short ifr_flags; ... } (40 bytes in all on 64-bit)
    private static final int IFREQ_SIZE = 40;
    private static final int IFREQ_FLAGS_OFFSET = 16;

    private final String name;
    private final int fd;
    private final boolean offloads;
    private final Arena arena;
    private final MemorySegment callState;
    /**
     * Two iovecs for {@link #read}: the caller's buffer, then one spare byte. A frame larger than the
     * buffer spills into the spare byte, so the read returns {@code capacity + 1} and truncation is
     * told apart from a frame that fills the buffer exactly (plain read(2) on a TAP returns
     * {@code min(frame, capacity)} either way).
     */
    private final MemorySegment readIov;

    private final long readIovAddress;
    private boolean closed;

    private TapDevice(String name, int fd, boolean offloads, Arena arena, MemorySegment callState) {
        this.name = name;
        this.fd = fd;
        this.offloads = offloads;
        this.arena = arena;
        this.callState = callState;
        this.readIov = arena.allocate(2L * LibC.IOVEC_SIZE + 8, 8);
        this.readIovAddress = readIov.address();
        long spare = readIovAddress + 2L * LibC.IOVEC_SIZE;
        readIov.set(ValueLayout.JAVA_LONG, LibC.IOVEC_SIZE + LibC.IOVEC_BASE_OFFSET, spare);
        readIov.set(ValueLayout.JAVA_LONG, LibC.IOVEC_SIZE + LibC.IOVEC_LENGTH_OFFSET, 1L);
    }

    /**
     * Creates a TAP device, or attaches to an existing persistent one of that name, in the calling
     * thread's network namespace.
     *
     * @param requestedName the interface name; empty lets the kernel choose ({@code tapN}), and a
     *     {@code %d} in the name is filled in by the kernel. At most 15 bytes.
     * @param offloads whether to accept checksum and TSO offloads from the kernel ({@code TUNSETOFFLOAD}
     *     with CSUM, TSO4, TSO6, TSO_ECN): the kernel may then hand over frames with
     *     {@code NEEDS_CSUM} and GSO super-frames up to 64 KiB. When false the offloads are switched
     *     off explicitly, also on a re-attached persistent device that had them on.
     * @throws TapException with a message naming the device, the errno and the likely cause
     */
    public static TapDevice open(String requestedName, boolean offloads) throws TapException {
        String requested = requestedName == null ? "" : requestedName;
        byte[] nameBytes = validateName(requested);

        Arena arena = Arena.ofShared();
        int fd = -1;
        try {
            MemorySegment callState = LibC.allocateCallState(arena);
            try (Arena setup = Arena.ofConfined()) {
                fd = LibC.open(
                        callState, setup.allocateFrom(TUN_PATH), LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
                if (fd < 0) {
                    throw openTunFailure(LibC.errno(callState), requested);
                }

                MemorySegment ifreq = setup.allocate(IFREQ_SIZE, 8);
                MemorySegment.copy(nameBytes, 0, ifreq, ValueLayout.JAVA_BYTE, 0, nameBytes.length);
                ifreq.set(ValueLayout.JAVA_SHORT, IFREQ_FLAGS_OFFSET, (short) (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR));
                if (LibC.ioctl(callState, fd, TUNSETIFF, ifreq) < 0) {
                    throw setIffFailure(LibC.errno(callState), requested);
                }
                // The kernel writes back the name it used (it fills in "%d" or picks tapN for "").
                String actualName = ifreq.getString(0, StandardCharsets.US_ASCII);

                MemorySegment headerSize = setup.allocateFrom(ValueLayout.JAVA_INT, VNET_HEADER_LENGTH);
                if (LibC.ioctl(callState, fd, TUNSETVNETHDRSZ, headerSize) < 0) {
                    int errno = LibC.errno(callState);
                    throw new TapException(
                            "cannot set a " + VNET_HEADER_LENGTH + "-byte virtio-net header on TAP '" + actualName
                                    + "': TUNSETVNETHDRSZ failed with " + Errno.describe(errno),
                            errno,
                            actualName);
                }

                if (LibC.ioctl(callState, fd, TUNSETOFFLOAD, offloads ? OFFLOAD_FLAGS : 0) < 0) {
                    int errno = LibC.errno(callState);
                    throw new TapException(
                            "cannot " + (offloads ? "enable" : "disable") + " offloads (TUNSETOFFLOAD "
                                    + (offloads ? "CSUM|TSO4|TSO6|TSO_ECN" : "0") + ") on TAP '" + actualName + "': "
                                    + Errno.describe(errno),
                            errno,
                            actualName);
                }
                return new TapDevice(actualName, fd, offloads, arena, callState);
            }
        } catch (TapException | RuntimeException | Error e) {
            if (fd >= 0) {
                try (Arena scratch = Arena.ofConfined()) {
                    LibC.close(LibC.allocateCallState(scratch), fd);
                }
            }
            arena.close();
            throw e;
        }
    }

    /**
     * {@link #open} inside the network namespace {@code namespaceFile} ({@code /run/netns/NAME} or
     * {@code /proc/PID/ns/net}), on a dedicated thread that enters it first. This is the way to re-attach
     * a persistent TAP that lives in a container's namespace: opened from anywhere else, the same name
     * would silently create a new device in the wrong namespace.
     */
    public static TapDevice openIn(Path namespaceFile, String requestedName, boolean offloads) throws TapException {
        try {
            return NetworkNamespace.call(namespaceFile, () -> open(requestedName, offloads));
        } catch (TapException | RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(
                    "unexpected failure opening TAP '" + requestedName + "' in " + namespaceFile, e);
        }
    }

    private static byte[] validateName(String requested) throws TapException {
        byte[] bytes = requested.getBytes(StandardCharsets.UTF_8);
        String problem = null;
        if (bytes.length > MAX_NAME_LENGTH) {
            problem = "is " + bytes.length + " bytes long; Linux interface names have at most " + MAX_NAME_LENGTH;
        } else if (requested.equals(".") || requested.equals("..")) {
            problem = "is not allowed as an interface name";
        } else {
            for (int i = 0; i < requested.length(); i++) {
                char c = requested.charAt(i);
                if (c == '/' || c == ':' || c <= ' ' || c >= 0x7f) {
                    problem = "contains '" + (c <= ' ' ? "\\u" + String.format("%04x", (int) c) : String.valueOf(c))
                            + "'; interface names are printable ASCII without '/', ':' or spaces";
                    break;
                }
            }
        }
        if (problem != null) {
            throw new TapException("invalid TAP name '" + requested + "': it " + problem, 0, requested);
        }
        return bytes;
    }

    private static TapException openTunFailure(int errno, String name) {
        String why = switch (errno) {
            case Errno.ENOENT -> TUN_PATH + " is missing: load the tun module (modprobe tun)";
            case Errno.ENODEV, Errno.ENXIO ->
                TUN_PATH + " exists but no driver answers it: load the tun module (modprobe tun)";
            case Errno.EPERM, Errno.EACCES -> "opening " + TUN_PATH + " needs root or CAP_NET_ADMIN";
            case Errno.EMFILE, Errno.ENFILE -> "out of file descriptors opening " + TUN_PATH;
            default -> "cannot open " + TUN_PATH;
        };
        return new TapException(why + " (TAP '" + name + "', " + Errno.describe(errno) + ")", errno, name);
    }

    private static TapException setIffFailure(int errno, String name) {
        String shown = name.isEmpty() ? "<kernel-chosen>" : name;
        String why = switch (errno) {
            case Errno.EPERM, Errno.EACCES ->
                "creating or attaching TAP '" + shown + "' needs root or CAP_NET_ADMIN"
                        + " (or the persistent device belongs to another user)";
            case Errno.EBUSY ->
                "TAP '" + shown + "' is in use by another process (another descriptor is attached to it)";
            case Errno.EINVAL ->
                "a device named '" + shown + "' exists and is not a TAP with these flags"
                        + " (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR, single queue), or the name is not valid";
            case Errno.ENFILE -> "the kernel could not allocate a name for TAP '" + shown + "'";
            case Errno.EEXIST -> "a device named '" + shown + "' already exists";
            case Errno.ENOMEM, Errno.ENOBUFS -> "out of kernel memory creating TAP '" + shown + "'";
            default -> "TUNSETIFF failed for TAP '" + shown + "'";
        };
        return new TapException(why + " (" + Errno.describe(errno) + ")", errno, name);
    }

    /** The interface name the kernel gave the device. */
    public String name() {
        return name;
    }

    /** The file descriptor, for registration with epoll. Valid until {@link #close()}. */
    public int fd() {
        return fd;
    }

    /** Whether checksum and TSO offloads were enabled at open. */
    public boolean offloads() {
        return offloads;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Makes the device outlive this descriptor ({@code TUNSETPERSIST}), so a restarted daemon can
     * re-attach it by name, or makes it vanish when the descriptor closes again.
     */
    public void setPersistent(boolean persistent) throws TapException {
        if (closed) {
            throw new TapException("TAP '" + name + "' is closed", Errno.EBADF, name);
        }
        if (LibC.ioctl(callState, fd, TUNSETPERSIST, persistent ? 1L : 0L) < 0) {
            int errno = LibC.errno(callState);
            String why = switch (errno) {
                case Errno.EPERM, Errno.EACCES -> "changing persistence needs root or CAP_NET_ADMIN";
                default -> "TUNSETPERSIST failed";
            };
            throw new TapException(
                    "cannot make TAP '" + name + "' " + (persistent ? "persistent" : "non-persistent") + ": " + why
                            + " (" + Errno.describe(errno) + ")",
                    errno,
                    name);
        }
    }

    /**
     * Reads one frame ({@code [virtio-net header][Ethernet]}) to native memory at {@code address}.
     *
     * @return the frame length; {@code capacity + 1} if the frame was larger than {@code capacity}
     *     (the kernel copied what fit and dropped the rest of it); or a negative errno
     *     ({@code -EAGAIN} when nothing is queued, {@code -EBADFD} once the device is destroyed)
     */
    public int read(long address, int capacity) {
        if (closed) {
            return -Errno.EBADF;
        }
        if (capacity < 0) {
            return -Errno.EINVAL;
        }
        readIov.set(ValueLayout.JAVA_LONG, LibC.IOVEC_BASE_OFFSET, address);
        readIov.set(ValueLayout.JAVA_LONG, LibC.IOVEC_LENGTH_OFFSET, Integer.toUnsignedLong(capacity));
        long n = LibC.readv(callState, fd, readIovAddress, 2);
        return n >= 0 ? (int) n : -LibC.errno(callState);
    }

    /**
     * Writes one frame ({@code [virtio-net header][Ethernet]}) from native memory at {@code address}.
     *
     * @return the number of bytes taken, or a negative errno: {@code -EIO} while the interface is down,
     *     {@code -EINVAL} for a runt or a bad virtio-net header, {@code -EBADFD} once the device is destroyed
     */
    public int write(long address, int length) {
        if (closed) {
            return -Errno.EBADF;
        }
        if (length < 0) {
            return -Errno.EINVAL;
        }
        long n = LibC.write(callState, fd, address, length);
        return n >= 0 ? (int) n : -LibC.errno(callState);
    }

    /** Closes the descriptor; a non-persistent device disappears with it. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Linux releases the descriptor even when close reports an error (EINTR included): never retry.
        LibC.close(callState, fd);
        arena.close();
    }

    @Override
    public String toString() {
        return "TapDevice[" + name + ", fd=" + fd + (offloads ? ", offloads" : "") + (closed ? ", closed" : "") + "]";
    }
}
