package io.jvswitch.vtep;

import io.jvswitch.switching.service.DutyCycleWork;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.IntegerUnixChannelOption;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The VTEP's side of the underlay: netty {@link EpollDatagramChannel}s on a
 * {@link ManualIoEventLoop} that the dataplane thread drives as {@link DutyCycleWork}, so a frame
 * goes from a TAP to the underlay socket, and back, without changing threads.
 *
 * <ul>
 *   <li>One receiving socket bound to the local address and the VXLAN port. With UDP_GRO (the
 *       default) the dataplane reads it itself ({@link GroReads}: recvmsg into buffers of its own,
 *       split by the GRO segment size, no object per datagram) and netty's reads are off; without,
 *       netty reads it with recvmmsg ({@code MAX_DATAGRAM_PAYLOAD_SIZE}). Each datagram goes to
 *       {@link VtepReceiver}, which queues its inner frame on the tunnel port's ring where it was
 *       read (a reference, not a copy); the port copies it out and releases it when the dataplane
 *       next drains it.</li>
 *   <li>{@link VtepContext#senderSockets()} sending sockets ({@link UnderlaySenders}), each on its own ephemeral port: the
 *       inner flow's hash picks one, so the outer source port follows the flow. They set the outer
 *       TTL, send with outer UDP checksums (filled in by the kernel), and send super-frames with
 *       UDP GSO (one send per super-frame).</li>
 * </ul>
 * Tunnel ports queue their datagrams on a {@link TxQueue} while the dataplane drains its ports;
 * {@link #doWork} then writes them and flushes each socket once, so netty sends a cycle's
 * datagrams with one sendmmsg per socket.
 *
 * <p>Why not an event loop thread of its own: that was the first design, and on a 2-core machine
 * each hand-off between it and the dataplane waited 0.3 to 1.4 ms for the other thread to be
 * scheduled (strace); VXLAN TCP ran at a fifth of the kernel's and a ping took 3 ms.
 *
 * <p>Construct, use and close it on the dataplane thread ({@code Dataplane#addWork},
 * {@code Dataplane#removeWork}); the tunnels' peer lists and the VNI map may change from others.
 */
public final class Underlay implements DutyCycleWork {
    private static final System.Logger LOG = System.getLogger("jvs.vtep");
    private static final IntegerUnixChannelOption IP_TTL = new IntegerUnixChannelOption("IP_TTL", 0, 2);
    /** The outer hop limit of an IPv6 underlay (IPPROTO_IPV6 41, IPV6_UNICAST_HOPS 16): its --ttl. */
    private static final IntegerUnixChannelOption IPV6_UNICAST_HOPS =
            new IntegerUnixChannelOption("IPV6_UNICAST_HOPS", 41, 16);

    /** Root may size socket buffers past net.core.rmem_max/wmem_max (a burst of super-frames needs it). */
    private static final IntegerUnixChannelOption SO_RCVBUFFORCE =
            new IntegerUnixChannelOption("SO_RCVBUFFORCE", 1, 33);

    private static final IntegerUnixChannelOption SO_SNDBUFFORCE =
            new IntegerUnixChannelOption("SO_SNDBUFFORCE", 1, 32);
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;
    /** Loop turns allowed for a bind or a close, which need one or two; more means it is stuck. */
    private static final int SETUP_TURNS = 1_000;
    /** GRO reads per duty cycle: up to 64 KiB each, so a cycle takes at most half a megabyte in. */
    private static final int READS_PER_CYCLE = 8;

    private final VtepContext ctx;
    private final VtepCounters counters = new VtepCounters();
    private final VtepReceiver receiver;
    private final TxQueue tx;
    private final ManualIoEventLoop loop;
    private final Channel receiving;
    private final int receivingFd;
    /** The receive with GRO, done by the dataplane; null without GRO (netty reads). */
    private final GroReads groReads;
    /** The last GRO read stopped before the socket was empty: read on next cycle. */
    private boolean readsPending;

    private final UnderlaySenders senders;
    /** The last turn of the loop did something: a read cut short by its budget goes on in the next. */
    private boolean loopBusy;
    /** A socket's buffer was full at the last flush: netty waits for it to drain, and needs turns. */
    private boolean outboundPending;

    private boolean closed;

    /** Binds the sockets, on the calling thread's loop: call it on the dataplane thread. */
    public Underlay(VtepContext ctx) {
        if (!ctx.isConcluded()) {
            ctx.conclude();
        }
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("netty epoll is not available: " + Epoll.unavailabilityCause());
        }
        this.ctx = ctx;
        this.receiver = new VtepReceiver(ctx, counters);
        this.tx = new TxQueue(ctx.txQueueDepth());
        final boolean gso = ctx.udpGso() && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
        this.loop = new ManualIoEventLoop(Thread.currentThread(), EpollIoHandler.newFactory());
        final int sockets = ctx.senderSockets();
        final Channel[] sending = new Channel[sockets];
        boolean done = false;
        boolean readsItself = false;
        try {
            final InetSocketAddress local = new InetSocketAddress(
                    ctx.ipv6Underlay() ? ctx.localAddress6() : VtepPeer.toInet(ctx.localAddress()), ctx.udpPort());
            // With GRO the dataplane reads the socket itself (GroReads: no objects per datagram), and
            // netty's reads are off; without it netty reads with recvmmsg, datagramsPerRead at a time.
            final int receiveSlot = ctx.udpGro() ? UnderlaySenders.MAX_UDP_PAYLOAD : ctx.maxDatagramPayload();
            readsItself = ctx.udpGro() && GroReads.supported();
            final int receiveSlots = ctx.udpGro() ? 1 : ctx.datagramsPerRead();
            this.receiving = bound(new Bootstrap()
                    .group(loop)
                    .channel(EpollDatagramChannel.class)
                    .option(ChannelOption.AUTO_READ, !readsItself)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, receiveSlot)
                    .option(EpollChannelOption.UDP_GRO, ctx.udpGro())
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(receiveSlot * receiveSlots))
                    .option(SO_RCVBUFFORCE, SOCKET_BUFFER)
                    .handler(new Decapsulation())
                    .bind(local));
            this.receivingFd = ((EpollDatagramChannel) receiving).fd().intValue();
            final InetSocketAddress ephemeral = new InetSocketAddress(local.getAddress(), 0);
            for (int i = 0; i < sockets; i++) {
                sending[i] = sender(ephemeral);
            }
            this.senders = new UnderlaySenders(counters, sending, gso);
            done = true;
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "cannot bind the VXLAN underlay socket to " + ctx.localText() + ":" + ctx.udpPort() + ": "
                            + e.getMessage(),
                    e);
        } finally {
            if (!done) {
                shutDownLoop();
            }
        }
        this.groReads = readsItself ? new GroReads(receivingFd, counters, ctx.ipv6PeerIds()) : null;
    }

    /** Turns the loop until a bind completes (netty runs it as a task even on the loop's own thread). */
    private Channel bound(ChannelFuture future) {
        for (int turn = 0; turn < SETUP_TURNS && !future.isDone(); turn++) {
            loop.runNow();
        }
        if (!future.isSuccess()) {
            future.channel().close();
            final Throwable cause = future.cause();
            throw new IllegalStateException(cause == null ? "the bind did not complete" : cause.getMessage(), cause);
        }
        return future.channel();
    }

    private Channel sender(InetSocketAddress ephemeral) {
        final Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(EpollDatagramChannel.class)
                .option(ctx.ipv6Underlay() ? IPV6_UNICAST_HOPS : IP_TTL, ctx.ttl())
                .option(SO_SNDBUFFORCE, SOCKET_BUFFER)
                .option(ChannelOption.AUTO_READ, false) // nothing is sent to these ports
                .option(
                        ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(SOCKET_BUFFER, 2 * SOCKET_BUFFER))
                .handler(new SendFailures());
        return bound(b.bind(ephemeral));
    }

    public VtepContext context() {
        return ctx;
    }

    /** Drops counted before a datagram's network is known (truncated, bad flags, unknown VNI, ...). */
    public VtepCounters counters() {
        return counters;
    }

    /** Where tunnels of this underlay put their datagrams. */
    public TxQueue txQueue() {
        return tx;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) receiving.localAddress();
    }

    /** The outer source ports in use (one per sending socket). */
    public int[] sourcePorts() {
        final Channel[] sockets = senders.sockets();
        final int[] ports = new int[sockets.length];
        for (int i = 0; i < sockets.length; i++) {
            ports[i] = ((InetSocketAddress) sockets[i].localAddress()).getPort();
        }
        return ports;
    }

    /** A new tunnel on this underlay, receiving datagrams with its VNI. */
    public TunnelPort openTunnel(String name, int vni, int mtu) {
        final TunnelPort tunnel = new TunnelPort(name, vni, mtu, ctx, tx);
        receiver.add(tunnel);
        return tunnel;
    }

    public void closeTunnel(TunnelPort tunnel) {
        receiver.remove(tunnel);
    }

    /** The dataplane's own receive with GRO, or null: for tests. */
    GroReads groReads() {
        return groReads;
    }

    public boolean hasTunnels() {
        return !receiver.isEmpty();
    }

    // ---- duty cycle (dataplane thread) -------------------------------------------------------

    @Override
    public int readinessDescriptor() {
        return receivingFd;
    }

    /**
     * Sends what the tunnels queued this cycle (one flush, so one sendmmsg, per socket), then turns
     * the loop when there is something for it: datagrams to read, a read to continue, or writes the
     * kernel did not take yet. An idle underlay costs no system call per cycle.
     */
    @Override
    public int doWork(long nowNanos, boolean readable) {
        if (closed) {
            return 0;
        }
        int work = tx.drain(senders.sender());
        if (work > 0) {
            outboundPending |= senders.flush();
        }
        if (groReads != null && (readable || readsPending)) {
            work += groReads.read(receiver, READS_PER_CYCLE);
            readsPending = !groReads.drained();
        }
        // with GRO the socket being readable is no work for netty's loop: it does not read it
        final boolean nettyReads = readable && groReads == null;
        if (nettyReads || loopBusy || outboundPending) {
            final int turned = loop.runNow();
            loopBusy = turned > 0;
            work += turned;
            if (outboundPending) {
                outboundPending = senders.anyPending();
            }
        }
        return outboundPending ? work + 1 : work;
    }

    /**
     * Validates received datagrams and queues their frames on their tunnels' rings, still in netty's
     * buffers: each packet's one reference (its content, a slice of the read's buffer) goes to the
     * receiver, which keeps it while the frame is queued and releases it otherwise.
     */
    private final class Decapsulation extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext context, Object msg) {
            final DatagramPacket packet = (DatagramPacket) msg;
            final InetSocketAddress sender = packet.sender();
            if (sender == null) {
                packet.release();
                return;
            }
            // Inet4Address.hashCode() is the address as an int: no byte[] per datagram
            final InetAddress address = sender.getAddress();
            // netty's reads carry no GRO segment size: only IPv6 says the outer checksum was there
            // (GroReads); an IPv4 datagram's inner checksums are verified
            final boolean overIpv6 = address instanceof Inet6Address;
            receiver.onDatagram(
                    overIpv6 ? ctx.ipv6PeerIds().idOf((Inet6Address) address) : address.hashCode(),
                    packet.content(),
                    packet.content().readerIndex(),
                    packet.content().readableBytes(),
                    overIpv6);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            LOG.log(System.Logger.Level.DEBUG, "underlay receive error: " + cause);
        }
    }

    /** Writes use the void promise: a failed send surfaces here, and is counted. */
    private final class SendFailures extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            counters.drop(VtepDropReason.SEND_FAILED);
        }
    }

    /** Closes the sockets and the loop; on the dataplane thread. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        tx.drain(batch -> batch.datagrams.release());
        try {
            if (groReads != null) {
                groReads.close();
            }
            closeChannel(receiving);
            for (Channel c : senders.sockets()) {
                closeChannel(c);
            }
        } finally {
            shutDownLoop();
        }
    }

    private void closeChannel(Channel channel) {
        final ChannelFuture future = channel.close();
        for (int turn = 0; turn < SETUP_TURNS && !future.isDone(); turn++) {
            loop.runNow();
        }
    }

    private void shutDownLoop() {
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        for (int turn = 0; turn < SETUP_TURNS && !loop.isTerminated(); turn++) {
            loop.runNow();
        }
        if (!loop.isTerminated()) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "the underlay loop of " + ctx.localText() + ":" + ctx.udpPort() + " did not terminate");
        }
    }

    @Override
    public String toString() {
        return "underlay " + ctx.localText() + ":" + ctx.udpPort();
    }
}
