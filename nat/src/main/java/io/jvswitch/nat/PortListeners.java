package io.jvswitch.nat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host side of published ports: for connections that end on the host's own stack (a client
 * on the host itself, {@code 127.0.0.1:8080}, or one the host routes to one of its addresses),
 * one listening socket per mapping, all on one shared epoll event loop thread, relaying to the
 * container through the host link. Never a thread or a process per port (docker-proxy runs a
 * process per port).
 *
 * <p>The container sees the connection come from the host's address on the host link (the
 * gateway address), not from the client: the host's kernel terminated the client's connection.
 * Containers reaching a published port through the dataplane are translated there instead
 * ({@link NatEngine}) and keep their address.
 *
 * <p>TCP is relayed with back-pressure (a side stops reading while the other cannot take more).
 * UDP keeps one connected socket towards the container per client address, at most
 * {@value #MAX_UDP_SESSIONS} per mapping (more are dropped and counted), each closed after
 * {@value #UDP_IDLE_SECONDS} s without traffic, like the kernel's UDP conntrack timeout.
 */
public final class PortListeners implements AutoCloseable {
    static final int MAX_UDP_SESSIONS = 4096;
    static final int UDP_IDLE_SECONDS = 30;

    /**
     * {@code setsockopt(IPPROTO_IPV6, IPV6_V6ONLY)} (41, 26 in Linux's headers): a listener on an IPv6
     * address takes IPv6 only, so "::" and "0.0.0.0" of one port are two listeners, as in Docker.
     */
    private static final IntegerUnixChannelOption IPV6_ONLY = new IntegerUnixChannelOption("IPV6_V6ONLY", 41, 26);

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final Map<String, Listener> listeners = new HashMap<>();
    private final AtomicLong relayFailures = new AtomicLong();
    private final AtomicLong udpSessionsRefused = new AtomicLong();

    private record Listener(PortMapping mapping, Channel channel) {}

    /**
     * Opens the listener of a mapping towards {@code containerIp}. A mapping without a host port
     * gets a free one (any, or the first free one of its range).
     *
     * @return the mapping with its host port
     * @throws IllegalStateException if the port is in use or cannot be bound (message says which)
     */
    public synchronized PortMapping open(PortMapping mapping, String containerIp) {
        final InetSocketAddress target = new InetSocketAddress(containerIp, mapping.containerPort());
        if (!mapping.needsHostPort()) {
            return bind(mapping, target);
        }
        if (mapping.hostPortLow() == 0) {
            return bind(mapping, target); // port 0: the kernel picks a free one
        }
        for (int port = mapping.hostPortLow(); port <= mapping.hostPortHigh(); port++) {
            try {
                return bind(mapping.withHostPort(port), target);
            } catch (IllegalStateException inUse) {
                // try the next one of the range
            }
        }
        throw new IllegalStateException("no free host port in " + mapping.hostPortLow() + "-" + mapping.hostPortHigh()
                + "/" + mapping.protocol() + " on " + mapping.hostIp());
    }

    private PortMapping bind(PortMapping mapping, InetSocketAddress target) {
        final InetSocketAddress local = new InetSocketAddress(mapping.hostIp(), mapping.hostPort());
        final ChannelFuture bound;
        // An IPv4 socket for an IPv4 address: on netty's default dual-stack socket 0.0.0.0 takes "::" too.
        final SocketProtocolFamily family = mapping.ipv6Host() ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        final Integer ipv6Only = mapping.ipv6Host() ? 1 : null; // null: the option is not set
        if ("tcp".equals(mapping.protocol())) {
            bound = new ServerBootstrap()
                    .group(group)
                    .channelFactory(() -> new EpollServerSocketChannel(family))
                    .option(IPV6_ONLY, ipv6Only)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel client) {
                            client.pipeline().addLast(new TcpAccept(target));
                        }
                    })
                    .bind(local)
                    .awaitUninterruptibly();
        } else {
            bound = new Bootstrap()
                    .group(group)
                    .channelFactory(() -> new EpollDatagramChannel(family))
                    .option(IPV6_ONLY, ipv6Only)
                    .handler(new UdpListener(target))
                    .bind(local)
                    .awaitUninterruptibly();
        }
        if (!bound.isSuccess()) {
            final Throwable cause = bound.cause();
            final boolean inUse = cause instanceof BindException
                    || String.valueOf(cause.getMessage()).contains("Address already in use");
            throw new IllegalStateException(
                    inUse
                            ? "host port " + mapping.hostPort() + "/" + mapping.protocol() + " on " + mapping.hostIp()
                                    + " is already in use"
                            : "cannot listen on " + mapping.hostIp() + ":" + mapping.hostPort() + "/"
                                    + mapping.protocol() + ": " + cause.getMessage());
        }
        final int port = ((InetSocketAddress) bound.channel().localAddress()).getPort();
        final PortMapping fixed = mapping.withHostPort(port);
        listeners.put(key(fixed), new Listener(fixed, bound.channel()));
        return fixed;
    }

    /** Closes the listener of a mapping (with its host port); relayed connections end with it. */
    public synchronized void close(PortMapping mapping) {
        final Listener listener = listeners.remove(key(mapping));
        if (listener != null) {
            listener.channel.close().awaitUninterruptibly();
        }
    }

    public synchronized List<PortMapping> open() {
        final List<PortMapping> out = new ArrayList<>();
        for (Listener l : listeners.values()) {
            out.add(l.mapping);
        }
        return out;
    }

    /** Connections to a container that could not be made (the client's connection was closed). */
    public long relayFailures() {
        return relayFailures.get();
    }

    public long udpSessionsRefused() {
        return udpSessionsRefused.get();
    }

    @Override
    public synchronized void close() {
        for (Listener l : listeners.values()) {
            l.channel.close();
        }
        listeners.clear();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private static String key(PortMapping m) {
        return m.protocol() + "/" + m.hostIp() + ":" + m.hostPort();
    }

    /** An accepted client: connect to the container on the same loop, then relay both ways. */
    private final class TcpAccept extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress target;

        TcpAccept(InetSocketAddress target) {
            this.target = target;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            final Channel client = ctx.channel();
            new Bootstrap()
                    .group(client.eventLoop())
                    .channel(EpollSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(new Relay(client))
                    .connect(target)
                    .addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            relayFailures.incrementAndGet();
                            client.close();
                            return;
                        }
                        client.pipeline().replace(TcpAccept.this, "relay", new Relay(f.channel()));
                        client.read();
                        f.channel().read();
                    });
        }
    }

    /**
     * Copies what one side reads to the other. Back-pressure by writability: it reads on while the
     * other side's outbound buffer is under its high-water mark, and a side that drains below the
     * low mark resumes reading from its peer. (It first read again only when each write had
     * completed: one buffer in flight per direction, which halved the relay's throughput.)
     */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel peer;
        private ChannelFutureListener closeBothOnFailure;

        Relay(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            final Channel self = ctx.channel();
            closeBothOnFailure = f -> {
                if (!f.isSuccess()) {
                    peer.close();
                    self.close();
                }
            };
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.write(msg).addListener(closeBothOnFailure);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
            if (peer.isWritable()) {
                ctx.read();
            }
        }

        /** This side drained: its peer, whose reads fill it, may read again. */
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                peer.read();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                // Half-close: pass the FIN on once what was read before it is written; curl and
                // HTTP/1.0 servers rely on it. Both directions shut: the relay is done.
                final DuplexChannel self = (DuplexChannel) ctx.channel();
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                    final DuplexChannel other = (DuplexChannel) peer;
                    other.shutdownOutput().addListener(done -> {
                        if (other.isInputShutdown()) {
                            other.close();
                            self.close();
                        }
                    });
                });
            } else {
                ctx.fireUserEventTriggered(event);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer.isActive()) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /**
     * A published UDP port: one connected socket towards the container per client. Datagrams are
     * written as they are read and flushed once per read burst, so a burst leaves each socket in
     * one {@code sendmmsg} instead of a system call per datagram.
     */
    private final class UdpListener extends SimpleChannelInboundHandler<DatagramPacket> {
        private final InetSocketAddress target;
        private final Map<InetSocketAddress, Channel> sessions = new HashMap<>();
        /** Sessions written to during the current read burst, flushed at its end. */
        private final List<Channel> unflushed = new ArrayList<>();

        UdpListener(InetSocketAddress target) {
            super(false);
            this.target = target;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            final InetSocketAddress client = packet.sender();
            final ByteBuf payload = packet.content();
            final Channel session = sessions.get(client);
            if (session != null) {
                session.write(payload);
                if (!unflushed.contains(session)) {
                    unflushed.add(session); // a burst comes from few clients: the scan is short
                }
                return;
            }
            if (sessions.size() >= MAX_UDP_SESSIONS) {
                udpSessionsRefused.incrementAndGet();
                payload.release();
                return;
            }
            final Channel listener = ctx.channel();
            final ChannelFuture connected = new Bootstrap()
                    .group(listener.eventLoop())
                    .channel(EpollDatagramChannel.class)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline()
                                    .addLast(
                                            new IdleStateHandler(0, 0, UDP_IDLE_SECONDS),
                                            new SimpleChannelInboundHandler<DatagramPacket>(false) {
                                                @Override
                                                protected void channelRead0(
                                                        ChannelHandlerContext c, DatagramPacket reply) {
                                                    listener.write(new DatagramPacket(reply.content(), client));
                                                }

                                                @Override
                                                public void channelReadComplete(ChannelHandlerContext c) {
                                                    listener.flush();
                                                }

                                                @Override
                                                public void userEventTriggered(ChannelHandlerContext c, Object event) {
                                                    if (event instanceof IdleStateEvent) {
                                                        c.close();
                                                    }
                                                }
                                            });
                        }
                    })
                    .connect(target);
            final Channel channel = connected.channel();
            sessions.put(client, channel);
            channel.closeFuture().addListener(f -> sessions.remove(client, channel));
            connected.addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    f.channel().writeAndFlush(payload);
                } else {
                    relayFailures.incrementAndGet();
                    payload.release();
                    f.channel().close();
                }
            });
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            for (Channel session : unflushed) {
                session.flush();
            }
            unflushed.clear();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            unflushed.clear();
            for (Channel session : List.copyOf(sessions.values())) {
                session.close();
            }
        }
    }
}
