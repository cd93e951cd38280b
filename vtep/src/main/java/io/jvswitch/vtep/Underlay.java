package io.jvswitch.vtep;

import io.jvswitch.packet.Ipv4Address;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The VTEP's side of the underlay: netty {@link EpollDatagramChannel}s on one event loop thread.
 *
 * <ul>
 *   <li>One receiving socket bound to the local address and the VXLAN port, read with recvmmsg
 *       ({@code MAX_DATAGRAM_PAYLOAD_SIZE}) and, when enabled, UDP_GRO (netty splits coalesced
 *       reads back into datagrams). Each datagram goes to {@link VtepReceiver}.</li>
 *   <li>{@link VtepContext#senderSockets()} sending sockets, each on its own ephemeral port: the
 *       inner flow's hash picks one, so the outer source port follows the flow. They set the outer
 *       TTL and {@code SO_NO_CHECK} (outer UDP checksum zero, RFC 7348). A twin set without
 *       {@code SO_NO_CHECK} sends super-frames with UDP GSO (one send per super-frame), which the
 *       kernel refuses on no-checksum sockets; the outer checksum of those is then filled in.</li>
 * </ul>
 * Batches from the dataplane arrive through a {@link TxQueue}; all writes of one drain are flushed
 * once per socket, so netty sends them with one sendmmsg.
 */
public final class Underlay implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.vtep");
    private static final IntegerUnixChannelOption IP_TTL = new IntegerUnixChannelOption("IP_TTL", 0, 2);
    private static final IntegerUnixChannelOption SO_NO_CHECK = new IntegerUnixChannelOption("SO_NO_CHECK", 1, 11);
    /** Root may size socket buffers past net.core.rmem_max/wmem_max (a burst of super-frames needs it). */
    private static final IntegerUnixChannelOption SO_RCVBUFFORCE = new IntegerUnixChannelOption("SO_RCVBUFFORCE", 1, 33);
    private static final IntegerUnixChannelOption SO_SNDBUFFORCE = new IntegerUnixChannelOption("SO_SNDBUFFORCE", 1, 32);
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;
    private static final int MAX_UDP_PAYLOAD = 65_535 - 20 - 8;

    private final VtepContext ctx;
    private final VtepCounters counters = new VtepCounters();
    private final VtepReceiver receiver;
    private final TxQueue tx;
    private final EventLoopGroup group;
    private final Channel receiving;
    private final Channel[] plain;
    private final Channel[] segmenting;
    private final boolean[] dirty;
    private final boolean gso;
    private final java.util.function.Consumer<TxBatch> send = this::send;
    private final Runnable drain = this::drain;

    /**
     * Binds the sockets. {@code wakeup} is called on the event loop when frames were queued for the
     * dataplane (normally {@code Dataplane::wakeup}).
     */
    public Underlay(VtepContext ctx, Runnable wakeup) {
        if (!ctx.isConcluded()) {
            ctx.conclude();
        }
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("netty epoll is not available: " + Epoll.unavailabilityCause());
        }
        this.ctx = ctx;
        this.receiver = new VtepReceiver(ctx, counters, wakeup);
        this.tx = new TxQueue(ctx.txQueueDepth());
        this.gso = ctx.udpGso() && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
        this.group = new MultiThreadIoEventLoopGroup(1, r -> {
            final Thread t = new Thread(r, "jvs-vtep-" + Ipv4Address.format(ctx.localAddress()) + ":" + ctx.udpPort());
            t.setDaemon(true);
            return t;
        }, EpollIoHandler.newFactory());
        final int senders = ctx.senderSockets();
        this.plain = new Channel[senders];
        this.segmenting = new Channel[gso ? senders : 0];
        this.dirty = new boolean[senders * 2];
        boolean done = false;
        try {
            final InetSocketAddress local = new InetSocketAddress(VtepPeer.toInet(ctx.localAddress()), ctx.udpPort());
            this.receiving = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, ctx.maxDatagramPayload())
                .option(EpollChannelOption.UDP_GRO, ctx.udpGro())
                .option(ChannelOption.RCVBUF_ALLOCATOR,
                    new FixedRecvByteBufAllocator(ctx.maxDatagramPayload() * ctx.datagramsPerRead()))
                .option(SO_RCVBUFFORCE, SOCKET_BUFFER)
                .handler(new Decapsulation())
                .bind(local).sync().channel();
            final InetSocketAddress ephemeral = new InetSocketAddress(local.getAddress(), 0);
            for (int i = 0; i < senders; i++) {
                plain[i] = sender(ephemeral, true);
                if (gso) {
                    segmenting[i] = sender(ephemeral, false);
                }
            }
            final EventLoop loop = receiving.eventLoop();
            tx.consumeOn(loop, drain);
            done = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the VXLAN underlay socket");
        } catch (Exception e) {
            throw new IllegalStateException("cannot bind the VXLAN underlay socket to " + Ipv4Address.format(ctx.localAddress())
                + ":" + ctx.udpPort() + ": " + e.getMessage(), e);
        } finally {
            if (!done) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }
    }

    private Channel sender(InetSocketAddress ephemeral, boolean noChecksum) throws InterruptedException {
        final Bootstrap b = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
            .option(IP_TTL, ctx.ttl())
            .option(SO_SNDBUFFORCE, SOCKET_BUFFER)
            .option(ChannelOption.AUTO_READ, false) // nothing is sent to these ports
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(SOCKET_BUFFER, 2 * SOCKET_BUFFER))
            .handler(new SendFailures());
        if (noChecksum) {
            b.option(SO_NO_CHECK, 1);
        }
        // all sockets share the receiving socket's event loop: one thread per underlay
        return b.bind(ephemeral).sync().channel();
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
        final int[] ports = new int[plain.length];
        for (int i = 0; i < plain.length; i++) {
            ports[i] = ((InetSocketAddress) plain[i].localAddress()).getPort();
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

    public boolean hasTunnels() {
        return !receiver.isEmpty();
    }

    // ---- event loop --------------------------------------------------------------------------

    private void drain() {
        tx.drain(send);
        for (int i = 0; i < dirty.length; i++) {
            if (dirty[i]) {
                dirty[i] = false;
                (i < plain.length ? plain[i] : segmenting[i - plain.length]).flush();
            }
        }
    }

    private void send(TxBatch batch) {
        final ByteBuf datagrams = batch.datagrams;
        final boolean segmented = batch.stride > 0;
        final boolean useGso = segmented && gso && batch.segments <= TcpSegmenter.MAX_GSO_SEGMENTS;
        final int index = useGso ? plain.length + batch.sender : batch.sender;
        final Channel channel = useGso ? segmenting[batch.sender] : plain[batch.sender];
        if (!channel.isWritable()) {
            datagrams.release();
            drop(batch, VtepDropReason.UNDERLAY_BUSY);
            return;
        }
        dirty[index] = true;
        if (batch.peer != null) {
            write(channel, datagrams, batch, batch.peer, useGso, segmented);
            return;
        }
        final VtepPeer[] peers = batch.peers;
        for (int i = 0; i < peers.length; i++) {
            final ByteBuf copy = i == peers.length - 1 ? datagrams : datagrams.retainedDuplicate();
            write(channel, copy, batch, peers[i], useGso, segmented);
        }
    }

    private static void write(Channel channel, ByteBuf datagrams, TxBatch batch, VtepPeer peer, boolean useGso,
                              boolean segmented) {
        if (useGso) {
            // one GSO send carries at most 65507 bytes of UDP payload: a 64 KiB super-frame plus its
            // per-segment headers is more, so it goes in as few sends as fit
            final int perSend = Math.min(TcpSegmenter.MAX_GSO_SEGMENTS, MAX_UDP_PAYLOAD / batch.stride) * batch.stride;
            if (datagrams.readableBytes() <= perSend) {
                channel.write(new SegmentedDatagramPacket(datagrams, batch.stride, peer.address()), channel.voidPromise());
                return;
            }
            int offset = datagrams.readerIndex();
            final int end = datagrams.writerIndex();
            while (offset < end) {
                final int length = Math.min(perSend, end - offset);
                channel.write(new SegmentedDatagramPacket(datagrams.retainedSlice(offset, length), batch.stride,
                    peer.address()), channel.voidPromise());
                offset += length;
            }
            datagrams.release();
        } else if (segmented) {
            // more segments than one GSO send takes, or no GSO: each segment its own datagram, one sendmmsg
            int offset = datagrams.readerIndex();
            final int end = datagrams.writerIndex();
            while (offset < end) {
                final int length = Math.min(batch.stride, end - offset);
                channel.write(new DatagramPacket(datagrams.retainedSlice(offset, length), peer.address()), channel.voidPromise());
                offset += length;
            }
            datagrams.release();
        } else {
            channel.write(new DatagramPacket(datagrams, peer.address()), channel.voidPromise());
        }
    }

    private void drop(TxBatch batch, VtepDropReason reason) {
        counters.drop(reason);
        if (batch.peer != null) {
            batch.peer.counters().drop(reason);
        }
    }

    /** Validates received datagrams and queues their frames; one dataplane wakeup per read batch. */
    private final class Decapsulation extends ChannelInboundHandlerAdapter {
        private final UnsafeBuffer view = new UnsafeBuffer(0, 0);

        @Override
        public void channelRead(ChannelHandlerContext context, Object msg) {
            final DatagramPacket packet = (DatagramPacket) msg;
            try {
                final ByteBuf content = packet.content();
                // Inet4Address.hashCode() is the address as an int: no byte[] per datagram
                final int sender = packet.sender().getAddress().hashCode();
                final int length = content.readableBytes();
                if (content.hasMemoryAddress()) {
                    view.wrap(content.memoryAddress() + content.readerIndex(), length);
                } else {
                    view.wrap(content.nioBuffer(content.readerIndex(), length));
                }
                receiver.onDatagram(sender, view, 0, length);
            } finally {
                packet.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext context) {
            receiver.endOfBatch();
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

    @Override
    public void close() {
        try {
            receiving.close().syncUninterruptibly();
            for (Channel c : plain) {
                c.close().syncUninterruptibly();
            }
            for (Channel c : segmenting) {
                c.close().syncUninterruptibly();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
