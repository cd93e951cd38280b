package io.jvswitch.dns;

import io.jvswitch.switching.service.GatewayDatagramService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * DNS over TCP at every network's gateway address, port 53, served by the kernel's TCP in the
 * daemon's own namespace.
 *
 * <p>Why the kernel and not a TCP stack in the dataplane: a container's TCP to its gateway is
 * routed by the switch up the host link, where each gateway address is a local /32 of the daemon's
 * namespace, so a plain listening socket receives it with the container's own source address (the
 * scope of the answer). The kernel then does everything TCP needs to be correct — handshakes,
 * retransmission, windows, MSS and path MTU, segment reassembly, RST and TIME_WAIT — which a
 * userspace stack would have to re-implement for a protocol that carries a few queries per
 * connection, mostly the retries of truncated UDP answers. The listeners bind with IP_FREEBIND,
 * so they can be created before (or after) the host link puts the address in place.
 *
 * <p>Framing is netty's length-field codec (RFC 1035 section 4.2.2: a two-byte length, then the
 * message). Each message goes through the same {@link LocalAnswerer} as UDP, so both transports
 * answer alike and reject hostile input alike; netty's TcpDnsQueryDecoder would decode into objects
 * and need a second answer path. Bounded: at most {@link DnsContext#maxTcpConnections} connections
 * (more are closed at once and counted), of which one network holds at most its share and one
 * client address its own ({@link FairShares}); {@link DnsContext#tcpIdleSeconds} of idling each,
 * and an absolute {@link DnsContext#tcpLifetimeSeconds} that a byte now and then does not extend.
 */
final class DnsTcpServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.dns");
    private static final AttributeKey<Integer> NETWORK = AttributeKey.valueOf("jvs.dns.network");

    private final EventLoop loop;
    private final DnsContext context;
    private final DnsNameStore names;
    private final DnsCounters counters;
    private final UpstreamForwarder forwarder;
    private final LocalAnswerer answerer;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[DnsWire.MAX_TCP_MESSAGE]);
    /** Listening channels by gateway address (a network's IPv4 and IPv6 gateways), with their networks. */
    private final Map<InetAddress, Channel> listeners = new HashMap<>();

    private final Map<InetAddress, Integer> gateways = new HashMap<>();
    private int connections;
    private final FairShares shares;
    private final int port;

    DnsTcpServer(
            EventLoop loop,
            DnsContext context,
            DnsNameStore names,
            DnsCounters counters,
            UpstreamForwarder forwarder,
            int port) {
        this.loop = loop;
        this.context = context;
        this.names = names;
        this.counters = counters;
        this.forwarder = forwarder;
        this.answerer = new LocalAnswerer(counters, context.ttlSeconds());
        this.shares = new FairShares(
                context.networkShare(context.maxTcpConnections()), context.clientShare(context.maxTcpConnections()));
        this.port = port;
    }

    /** Listens at each network's gateways, stops listening for networks gone; call from any thread. */
    synchronized void sync(Iterable<DnsNetwork> networks) {
        final Map<InetAddress, Integer> wanted = new HashMap<>();
        networks.forEach(n -> {
            if (n.gateway() != 0) {
                wanted.put(ipv4(n.gateway()), n.networkId());
            }
            if (n.gateway6() != null) {
                wanted.put(n.gateway6(), n.networkId());
            }
        });
        listeners.entrySet().removeIf(e -> {
            if (!Objects.equals(wanted.get(e.getKey()), gateways.get(e.getKey()))) {
                e.getValue().close();
                gateways.remove(e.getKey());
                return true;
            }
            return false;
        });
        wanted.forEach((gateway, id) -> {
            if (!listeners.containsKey(gateway)) {
                try {
                    listeners.put(gateway, bind(id, gateway));
                    gateways.put(gateway, id);
                } catch (RuntimeException | InterruptedException e) {
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "cannot serve DNS over TCP at {0} port {1}: {2}",
                            gateway.getHostAddress(),
                            port,
                            e.getMessage());
                }
            }
        });
    }

    private static InetAddress ipv4(int address) {
        try {
            return InetAddress.getByAddress(
                    new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address
                    });
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private Channel bind(int networkId, InetAddress address) throws InterruptedException {
        return new ServerBootstrap()
                .group(loop, loop)
                .channel(EpollServerSocketChannel.class)
                .option(EpollChannelOption.IP_FREEBIND, true)
                .option(ChannelOption.SO_REUSEADDR, true)
                .attr(NETWORK, networkId)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(
                                        new IdleStateHandler(0, 0, context.tcpIdleSeconds(), TimeUnit.SECONDS),
                                        new LengthFieldBasedFrameDecoder(DnsWire.MAX_TCP_MESSAGE + 2, 0, 2, 0, 2),
                                        new LengthFieldPrepender(2),
                                        new Connection(networkId));
                    }
                })
                .bind(new InetSocketAddress(address, port))
                .sync()
                .channel();
    }

    /** One client connection: each framed query is answered locally or forwarded upstream over TCP. */
    private final class Connection extends SimpleChannelInboundHandler<ByteBuf> {
        private final int networkId;
        private int clientIp;
        private boolean counted;
        private ScheduledFuture<?> lifetime;

        Connection(int networkId) {
            this.networkId = networkId;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            final InetAddress remote = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            final byte[] b = remote.getAddress();
            // An IPv6 client is keyed by a hash tagged as the dataplane tags its IPv6 clients: it is
            // no endpoint's IPv4 address, and distinct clients mostly keep distinct fair shares.
            clientIp = remote instanceof Inet4Address || b.length == 4
                    ? ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF)
                    : GatewayDatagramService.IPV6_CLIENT_TAG
                            | (Arrays.hashCode(b) & ~GatewayDatagramService.IPV6_CLIENT_TAG);
            if (connections >= context.maxTcpConnections()) {
                counters.increment(DnsCounter.TCP_REFUSED);
                ctx.close();
                return;
            }
            final FairShares.Verdict share = shares.take(networkId, clientIp);
            if (share != FairShares.Verdict.GRANTED) {
                counters.increment(
                        share == FairShares.Verdict.NETWORK_SHARE_FULL
                                ? DnsCounter.TCP_REFUSED_NETWORK_SHARE
                                : DnsCounter.TCP_REFUSED_CLIENT_SHARE);
                ctx.close();
                return;
            }
            connections++;
            counted = true;
            counters.increment(DnsCounter.TCP_CONNECTIONS);
            lifetime = ctx.executor()
                    .schedule(
                            () -> {
                                counters.increment(DnsCounter.TCP_LIFETIME_CLOSED);
                                ctx.close();
                            },
                            context.tcpLifetimeSeconds(),
                            TimeUnit.SECONDS);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (counted) {
                counted = false;
                connections--;
                shares.give(networkId, clientIp);
                lifetime.cancel(false);
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            counters.increment(DnsCounter.QUERIES_TCP);
            final int length = frame.readableBytes();
            frame.getBytes(frame.readerIndex(), scratch.byteArray(), 0, length);
            final int n =
                    answerer.answer(names.current(), networkId, clientIp, scratch, 0, length, scratch.capacity(), true);
            if (n > 0) {
                ctx.writeAndFlush(Unpooled.copiedBuffer(scratch.byteArray(), 0, n));
            } else if (n == LocalAnswerer.FORWARD) {
                forwarder.forwardTcp(ctx.channel(), networkId, clientIp, scratch, 0, length);
            } else {
                ctx.close(); // not a query: end the conversation
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof IdleStateEvent) {
                counters.increment(DnsCounter.TCP_IDLE_CLOSED);
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a frame over 65535 bytes or a reset: nothing to answer
        }
    }

    @Override
    public synchronized void close() {
        listeners.values().forEach(c -> c.close().awaitUninterruptibly(1, TimeUnit.SECONDS));
        listeners.clear();
        gateways.clear();
    }
}
