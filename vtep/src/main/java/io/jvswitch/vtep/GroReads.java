package io.jvswitch.vtep;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;

/**
 * The underlay's receive with UDP GRO, read by the dataplane itself: one {@code recvmsg} on the
 * receiving socket into one of a fixed set of 64 KiB buffers, the segment size from the
 * {@code UDP_GRO} control message, and every datagram of the read handed to the
 * {@link VtepReceiver} as a reference into that buffer ({@code retain}, no slice object).
 *
 * <p>Why not netty's read: for each datagram of a coalesced read netty makes a packet object and a
 * slice, and per read an address; at hundreds of thousands of datagrams a second that is a steady
 * stream of garbage on the dataplane thread. The socket stays netty's (bound by it, sent on by it,
 * with netty's reads switched off); only the receive is done here, and nothing is allocated per
 * read or per datagram.
 *
 * <p>Buffers: a buffer is reused once every frame queued from it has been copied out (its
 * reference count is back to this reader's own one). When all are still held, nothing is read
 * that cycle: the datagrams wait in the socket's receive buffer, which is the back-pressure, and
 * the memory is bounded at {@link #BUFFERS} x 64 KiB.
 *
 * <p>Outer checksums: the socket hands over the UDP payload, not the header, so whether a datagram
 * had a checksum is not read from it. A read that carries a GRO segment size is known to have had
 * one: the kernel's UDP GRO joins only datagrams with a non-zero checksum (which it verified), and
 * a UDP GSO send, which a veth passes whole, is refused on a socket without checksums. Over IPv6
 * every datagram delivered had one (the kernel drops zero ones unless {@code UDP_NO_CHECK6_RX} is
 * set, which jvs never sets). Such datagrams are handed over marked, and their inner checksums are
 * not verified again, as Linux's own GRO does not. A single IPv4 datagram carries no such mark:
 * its checksum is not visible through the socket (the ways to see it cost a second socket in a
 * reuseport group sorted by a classic BPF program, or a raw socket with a copy of every datagram),
 * so it is verified as before.
 *
 * <p>Layouts are those of the LP64 Linux ABIs (x86-64 and arm64 agree): {@code struct msghdr}
 * is 56 bytes, {@code struct iovec} 16, a control message header 16.
 *
 * <p>Dataplane thread only.
 */
final class GroReads implements AutoCloseable {
    /** Read buffers: 2 MiB, enough for a tunnel ring's worth of coalesced reads of full-size datagrams. */
    static final int BUFFERS = 32;
    /** The largest UDP payload of one read with GRO (the kernel coalesces up to 64 KiB). */
    static final int BUFFER_BYTES = 65_536;

    private static final int SOL_UDP = 17;
    private static final int UDP_GRO = 104;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_CTRUNC = 0x08;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;
    private static final short AF_INET = 2;
    private static final short AF_INET6 = 10;

    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;
    private static final int MSGHDR_BYTES = 56;
    private static final int IOVEC_BYTES = 16;
    /** {@code struct sockaddr_in6}, the larger of the two families. */
    private static final int NAME_BYTES = 28;

    private static final int CONTROL_BYTES = 64;
    private static final int CMSG_HEADER = 16;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CALL_STATE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle RECVMSG = Linker.nativeLinker()
            .downcallHandle(
                    Linker.nativeLinker().defaultLookup().find("recvmsg").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    Linker.Option.captureCallState("errno"));

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment callState;
    private final MemorySegment msghdr;
    private final MemorySegment iov;
    private final MemorySegment name;
    private final MemorySegment control;
    private final ByteBuf[] buffers = new ByteBuf[BUFFERS];
    private final VtepCounters counters;
    private int nextBuffer;
    private boolean drained;
    private boolean closed;

    private final Ipv6PeerIds ipv6Peers;
    /** Reads that failed (other than finding the socket empty): for tests. */
    private long readErrors;
    /** Reads that carried a GRO segment size (more than one datagram, or one the kernel marked). */
    private long coalescedReads;
    /** The last read's sender came over IPv6 (not IPv4-mapped): set by {@link #senderIp()}. */
    private boolean senderOverIpv6;

    GroReads(int fd, VtepCounters counters, Ipv6PeerIds ipv6Peers) {
        this.fd = fd;
        this.counters = counters;
        this.ipv6Peers = ipv6Peers;
        this.callState = arena.allocate(CALL_STATE);
        this.msghdr = arena.allocate(MSGHDR_BYTES, 8);
        this.iov = arena.allocate(IOVEC_BYTES, 8);
        this.name = arena.allocate(NAME_BYTES, 8);
        this.control = arena.allocate(CONTROL_BYTES, 8);
        for (int i = 0; i < BUFFERS; i++) {
            buffers[i] = Unpooled.directBuffer(BUFFER_BYTES, BUFFER_BYTES);
        }
        msghdr.set(ValueLayout.JAVA_LONG, MSG_NAME, name.address());
        msghdr.set(ValueLayout.JAVA_LONG, MSG_IOV, iov.address());
        msghdr.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
        msghdr.set(ValueLayout.JAVA_LONG, MSG_CONTROL, control.address());
    }

    /**
     * Whether netty exposes the addresses of its direct buffers here (it does with the JVM flags the
     * daemon runs with); without, the underlay leaves the receive to netty.
     */
    static boolean supported() {
        final ByteBuf probe = Unpooled.directBuffer(1);
        try {
            return probe.hasMemoryAddress();
        } finally {
            probe.release();
        }
    }

    /**
     * Reads up to {@code maxReads} times, handing every datagram to {@code receiver}.
     *
     * @return the datagrams handed over; {@link #drained()} then says whether the socket was found
     *     empty (if not, there may be more to read next cycle)
     */
    int read(VtepReceiver receiver, int maxReads) {
        drained = false;
        int datagrams = 0;
        for (int r = 0; r < maxReads; r++) {
            final ByteBuf buffer = freeBuffer();
            if (buffer == null) {
                return datagrams; // every buffer still queued: read again once the tunnels have taken them
            }
            final long n = recvmsg(buffer);
            if (n < 0) {
                drained = true;
                return datagrams;
            }
            datagrams += deliver(receiver, buffer, (int) n);
        }
        return datagrams;
    }

    /** Read buffers still referenced by frames waiting in a tunnel's ring. */
    int buffersInUse() {
        int inUse = 0;
        for (ByteBuf b : buffers) {
            if (b.refCnt() > 1) {
                inUse++;
            }
        }
        return inUse;
    }

    /** Whether the last {@link #read} found the socket empty. */
    boolean drained() {
        return drained;
    }

    private ByteBuf freeBuffer() {
        for (int i = 0; i < BUFFERS; i++) {
            final ByteBuf b = buffers[nextBuffer];
            nextBuffer = nextBuffer + 1 == BUFFERS ? 0 : nextBuffer + 1;
            if (b.refCnt() == 1) {
                return b;
            }
        }
        return null;
    }

    /** One recvmsg into {@code buffer}; the payload's length, or -1 when the socket is empty (or failed). */
    private long recvmsg(ByteBuf buffer) {
        iov.set(ValueLayout.JAVA_LONG, 0, buffer.memoryAddress());
        iov.set(ValueLayout.JAVA_LONG, 8, BUFFER_BYTES);
        msghdr.set(ValueLayout.JAVA_INT, MSG_NAMELEN, NAME_BYTES);
        msghdr.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CONTROL_BYTES);
        msghdr.set(ValueLayout.JAVA_INT, MSG_FLAGS, 0);
        while (true) {
            final long n;
            try {
                n = (long) RECVMSG.invokeExact(callState, fd, msghdr, MSG_DONTWAIT);
            } catch (Throwable t) {
                throw new IllegalStateException("recvmsg on the underlay socket", t);
            }
            if (n >= 0) {
                return n;
            }
            final int errno = callState.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                readErrors++; // ECONNREFUSED and the like after an ICMP error: nothing was read
            }
            return -1;
        }
    }

    /** Splits one read into its datagrams, each handed over with a reference of its own. */
    private int deliver(VtepReceiver receiver, ByteBuf buffer, int length) {
        final int flags = msghdr.get(ValueLayout.JAVA_INT, MSG_FLAGS);
        if ((flags & MSG_TRUNC) != 0) {
            counters.drop(VtepDropReason.TRUNCATED); // cannot happen with a 64 KiB buffer: counted, not guessed at
            return 0;
        }
        final int sender = senderIp();
        final int segment = (flags & MSG_CTRUNC) != 0 ? 0 : groSegmentSize();
        if (segment > 0) {
            coalescedReads++;
        }
        // Whether the kernel verified a non-zero outer UDP checksum of every datagram of this read
        // (the class comment says how it can know): then the inner checksums need no second check.
        final boolean outerChecksummed = segment > 0 || senderOverIpv6;
        // an empty datagram is handed over too, for the receiver to count as truncated
        final int step = segment > 0 ? segment : Math.max(length, 1);
        final int count = Math.max(1, (length + step - 1) / step);
        // a reference for every datagram, taken in one atomic update rather than one per datagram
        buffer.retain(count);
        int handed = 0;
        try {
            for (int offset = 0; handed < count; offset += step) {
                handed++;
                receiver.onDatagram(sender, buffer, offset, Math.min(step, length - offset), outerChecksummed);
            }
        } finally {
            if (handed < count) {
                buffer.release(count - handed); // the references of datagrams never handed over
            }
        }
        return handed;
    }

    /**
     * The sender as the tunnels name it: its IPv4 address as an int (also when IPv4-mapped), an
     * IPv6 peer's id ({@link Ipv6PeerIds}), or 0 (never a peer) for an unknown IPv6 sender.
     */
    private int senderIp() {
        final short family = name.get(ValueLayout.JAVA_SHORT, 0);
        senderOverIpv6 = false;
        if (family == AF_INET) {
            return name.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4);
        }
        if (family != AF_INET6) {
            return 0;
        }
        final long high = name.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 8);
        final long low = name.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 16);
        if (high == 0 && (low >>> 32) == 0xFFFF) {
            return (int) low; // IPv4-mapped
        }
        senderOverIpv6 = true;
        return ipv6Peers.idOf(high, low); // an IPv6 underlay's peer, or 0
    }

    /** The {@code UDP_GRO} control message's segment size, or 0 when the read was one datagram. */
    private int groSegmentSize() {
        final long controlLength = msghdr.get(ValueLayout.JAVA_LONG, MSG_CONTROLLEN);
        long at = 0;
        while (at + CMSG_HEADER <= controlLength) {
            final long length = control.get(ValueLayout.JAVA_LONG, at);
            if (length < CMSG_HEADER || at + length > controlLength) {
                return 0;
            }
            final int level = control.get(ValueLayout.JAVA_INT, at + 8);
            final int type = control.get(ValueLayout.JAVA_INT, at + 12);
            if (level == SOL_UDP && type == UDP_GRO && length >= CMSG_HEADER + 4) {
                return control.get(ValueLayout.JAVA_INT, at + CMSG_HEADER);
            }
            at += (length + 7) & ~7L;
        }
        return 0;
    }

    long readErrors() {
        return readErrors;
    }

    long coalescedReads() {
        return coalescedReads;
    }

    /** Lets go of this reader's references; buffers still queued go when their frames are taken. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ByteBuf b : buffers) {
            b.release();
        }
        arena.close();
    }
}
