package io.jvswitch.vtep;

import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.VxlanHeader;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Configuration of a VTEP (its underlay socket and the tunnels that use it), validated once in
 * {@link #conclude()}: after that nothing on the packet path checks it again.
 */
public final class VtepContext {
    /** Peers one network may have: head-end replication sends one copy per peer, so this is a cost cap too. */
    public static final int MAX_PEER_LIMIT = 1024;

    private int localAddress;
    /** The IPv6 underlay address, or null for an IPv4 underlay. */
    private Inet6Address localAddress6;

    private final Ipv6PeerIds ipv6PeerIds = new Ipv6PeerIds();
    private int udpPort = VxlanHeader.DEFAULT_PORT;
    private int ttl = 64;
    private int senderSockets = 4;
    private boolean udpGso = true;
    private boolean udpGro = true;
    private boolean acceptUnknownSenders;
    private int maxDatagramPayload = 9_000;
    private int datagramsPerRead = 32;
    private int rxQueueFrames = 1_024;
    private int txQueueDepth = 4_096;
    private int txBuffers = 4_096;
    private int txSuperFrameBuffers = 48;
    private int peerLimit = 128;
    private int remoteMacLimit = 16_384;
    private long macAgingNanos = TimeUnit.SECONDS.toNanos(300);
    private int agingBudget = 64;
    private NanoClock clock = SystemNanoClock.INSTANCE;
    private ByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;
    private boolean concluded;

    public VtepContext conclude() {
        require(udpPort >= 1 && udpPort <= 65_535, "UDP port must be within 1..65535: " + udpPort);
        require(ttl >= 1 && ttl <= 255, "TTL must be within 1..255: " + ttl);
        require(
                Integer.bitCount(senderSockets) == 1 && senderSockets <= 64,
                "senderSockets must be a power of two up to 64: " + senderSockets);
        require(maxDatagramPayload >= 576 && maxDatagramPayload <= 65_507, "maxDatagramPayload out of range");
        require(datagramsPerRead >= 1 && datagramsPerRead <= 1024, "datagramsPerRead must be within 1..1024");
        require(
                Integer.bitCount(rxQueueFrames) == 1
                        && rxQueueFrames >= TcpCoalescer.MAX_SEGMENTS
                        && rxQueueFrames <= 1 << 16,
                "rxQueueFrames must be a power of two within " + TcpCoalescer.MAX_SEGMENTS + "..65536: "
                        + rxQueueFrames);
        require(txQueueDepth >= 16 && txQueueDepth <= 1 << 20, "txQueueDepth must be within 16..1048576");
        require(txBuffers >= 16 && txBuffers <= 1 << 20, "txBuffers must be within 16..1048576");
        require(txSuperFrameBuffers >= 2 && txSuperFrameBuffers <= 4_096, "txSuperFrameBuffers must be within 2..4096");
        require(peerLimit >= 1 && peerLimit <= MAX_PEER_LIMIT, "peerLimit must be within 1.." + MAX_PEER_LIMIT);
        require(remoteMacLimit >= 1 && remoteMacLimit <= 1 << 22, "remoteMacLimit out of range");
        require(macAgingNanos >= TimeUnit.SECONDS.toNanos(1), "MAC aging must be at least 1 s");
        require(agingBudget >= 1, "agingBudget must be positive");
        require(clock != null && allocator != null, "clock and allocator are required");
        concluded = true;
        return this;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    boolean isConcluded() {
        return concluded;
    }

    /** The underlay address to bind and send from (IPv4 as an int); 0 binds every address. */
    public int localAddress() {
        return localAddress;
    }

    public VtepContext localAddress(int v) {
        localAddress = v;
        localAddress6 = null;
        return this;
    }

    /**
     * The underlay address of either family. An IPv6 one makes an IPv6 underlay: its socket is
     * bound there and its peers are IPv6 addresses ({@link TunnelPort#addPeer(InetAddress)}).
     */
    public VtepContext localAddress(InetAddress v) {
        if (v instanceof Inet6Address v6) {
            localAddress6 = v6;
            localAddress = 0;
        } else {
            localAddress(ByteBuffer.wrap(v.getAddress()).getInt());
        }
        return this;
    }

    /** The IPv6 underlay address, or null when the underlay is IPv4. */
    public Inet6Address localAddress6() {
        return localAddress6;
    }

    /** Whether the underlay is IPv6 (outer IPv6 headers, IPv6 peers). */
    public boolean ipv6Underlay() {
        return localAddress6 != null;
    }

    /** The underlay address as text, of either family. */
    public String localText() {
        return localAddress6 != null ? VtepPeer.canonical(localAddress6) : Ipv4Address.format(localAddress);
    }

    /** Ids of the IPv6 peers, shared by the underlay (receive) and its tunnels (peers). */
    Ipv6PeerIds ipv6PeerIds() {
        return ipv6PeerIds;
    }

    public int udpPort() {
        return udpPort;
    }

    public VtepContext udpPort(int v) {
        udpPort = v;
        return this;
    }
    /** TTL of outer IPv4 headers, or the hop limit of outer IPv6 headers on an IPv6 underlay. */
    public int ttl() {
        return ttl;
    }

    public VtepContext ttl(int v) {
        ttl = v;
        return this;
    }
    /**
     * Sending sockets, each on its own ephemeral port: a hash of the inner flow picks one, so the
     * outer UDP source port varies by flow and underlay ECMP spreads flows.
     */
    public int senderSockets() {
        return senderSockets;
    }

    public VtepContext senderSockets(int v) {
        senderSockets = v;
        return this;
    }
    /** Send TCP super-frames as one UDP GSO datagram (the kernel then computes outer UDP checksums). */
    public boolean udpGso() {
        return udpGso;
    }

    public VtepContext udpGso(boolean v) {
        udpGso = v;
        return this;
    }
    /**
     * Let the kernel coalesce received datagrams (UDP_GRO): a peer's GSO send arrives as one
     * buffer of up to 64 KiB instead of 45 datagrams, which cut the CPU per byte of the two
     * dataplanes (sender and receiver, summed) by about a third. Reads are then one recvmsg each ({@link #datagramsPerRead()} does not
     * apply): netty reports the coalesced segment size only for recvmsg.
     */
    public boolean udpGro() {
        return udpGro;
    }

    public VtepContext udpGro(boolean v) {
        udpGro = v;
        return this;
    }
    /** Take datagrams from any sender, not only configured peers (VXLAN has no authentication: off by default). */
    public boolean acceptUnknownSenders() {
        return acceptUnknownSenders;
    }

    public VtepContext acceptUnknownSenders(boolean v) {
        acceptUnknownSenders = v;
        return this;
    }

    public int maxDatagramPayload() {
        return maxDatagramPayload;
    }

    public VtepContext maxDatagramPayload(int v) {
        maxDatagramPayload = v;
        return this;
    }
    /** Datagrams one recvmmsg call may return, without {@link #udpGro()}. */
    public int datagramsPerRead() {
        return datagramsPerRead;
    }

    public VtepContext datagramsPerRead(int v) {
        datagramsPerRead = v;
        return this;
    }
    /**
     * Received inner frames one network's tunnel holds between the underlay's reads and its port's
     * receive; more are dropped ({@code rx-ring-full}). Each holds the buffer netty read its datagram
     * into, so at worst this many read buffers stay pinned: 64 KiB each with {@link #udpGro()} (64 MiB
     * at the default 1024), {@link #datagramsPerRead()} x {@link #maxDatagramPayload()} without. A
     * power of two, and at least one super-frame's worth (64 segments), else the coalescer could
     * never fill one.
     */
    public int rxQueueFrames() {
        return rxQueueFrames;
    }

    public VtepContext rxQueueFrames(int v) {
        rxQueueFrames = v;
        return this;
    }
    /** Datagram batches one duty cycle may queue for the underlay's sockets. */
    public int txQueueDepth() {
        return txQueueDepth;
    }

    public VtepContext txQueueDepth(int v) {
        txQueueDepth = v;
        return this;
    }
    /** Datagram buffers per tunnel for single frames (one MTU each, as many as the hand-off queue holds). */
    public int txBuffers() {
        return txBuffers;
    }

    public VtepContext txBuffers(int v) {
        txBuffers = v;
        return this;
    }
    /** Datagram buffers per tunnel for segmented super-frames (about 100 KiB each). */
    public int txSuperFrameBuffers() {
        return txSuperFrameBuffers;
    }

    public VtepContext txSuperFrameBuffers(int v) {
        txSuperFrameBuffers = v;
        return this;
    }

    public int peerLimit() {
        return peerLimit;
    }

    public VtepContext peerLimit(int v) {
        peerLimit = v;
        return this;
    }

    public int remoteMacLimit() {
        return remoteMacLimit;
    }

    public VtepContext remoteMacLimit(int v) {
        remoteMacLimit = v;
        return this;
    }

    public long macAgingNanos() {
        return macAgingNanos;
    }

    public VtepContext macAgingNanos(long v) {
        macAgingNanos = v;
        return this;
    }
    /** Remote MAC table buckets examined for aging per dataplane duty cycle. */
    public int agingBudget() {
        return agingBudget;
    }

    public VtepContext agingBudget(int v) {
        agingBudget = v;
        return this;
    }

    public NanoClock clock() {
        return clock;
    }

    public VtepContext clock(NanoClock v) {
        clock = v;
        return this;
    }
    /** Where datagram buffers come from: pooled direct memory, so nothing is allocated per packet in steady state. */
    public ByteBufAllocator allocator() {
        return allocator;
    }

    public VtepContext allocator(ByteBufAllocator v) {
        allocator = v;
        return this;
    }
}
