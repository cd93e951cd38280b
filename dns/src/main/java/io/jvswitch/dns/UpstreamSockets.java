package io.jvswitch.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;

import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The pool of {@link #SOCKETS} UDP sockets queries leave from, on kernel-chosen random ports, one
 * picked at random per query; each is replaced by a fresh one after {@link #QUERIES_PER_SOCKET}
 * queries. With the random transaction id this makes an answer hard to guess for anyone who did
 * not see the query. Owned by the forwarder's event loop.
 */
final class UpstreamSockets implements AutoCloseable {
    /** Sockets queries leave from, one picked at random per query. */
    static final int SOCKETS = 16;
    /** Queries one socket sends before a fresh socket (a new random port) takes its place. */
    static final int QUERIES_PER_SOCKET = 256;

    /** What arrives on any socket of the pool, with the socket it came in on. */
    @FunctionalInterface
    interface Receiver {
        void onDatagram(Channel socket, ByteBuf content, InetSocketAddress sender);
    }

    private final EventLoop loop;
    /** How long a replaced socket stays open: past the deadline of the last query it sent. */
    private final long retireAfterMillis;

    private final Channel[] sockets = new Channel[SOCKETS];
    private final int[] sentOnSocket = new int[SOCKETS];
    private final boolean[] replacing = new boolean[SOCKETS];
    private Bootstrap bootstrap;

    UpstreamSockets(EventLoop loop, long retireAfterMillis) {
        this.loop = loop;
        this.retireAfterMillis = retireAfterMillis;
    }

    /** Binds the pool (any address, ephemeral ports); what arrives goes to {@code receiver} on the loop. */
    void open(Receiver receiver) throws InterruptedException {
        bootstrap = new Bootstrap()
                .group(loop)
                .channel(EpollDatagramChannel.class)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(DnsWire.MAX_TCP_MESSAGE))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                                receiver.onDatagram(ctx.channel(), packet.content(), packet.sender());
                            }
                        });
                    }
                });
        for (int i = 0; i < SOCKETS; i++) {
            sockets[i] = bootstrap.bind(0).sync().channel();
        }
    }

    /**
     * A random socket of the pool for the next query. One that has sent its quota is replaced by a
     * freshly bound one (a new random port) once that is bound; the old one stays open until its
     * last query's deadline has passed, so late answers still find it.
     */
    Channel pick() {
        final int i = ThreadLocalRandom.current().nextInt(SOCKETS);
        if (++sentOnSocket[i] >= QUERIES_PER_SOCKET && !replacing[i]) {
            replacing[i] = true;
            bootstrap.bind(0).addListener((ChannelFutureListener) f -> {
                replacing[i] = false;
                if (!f.isSuccess()) {
                    return; // keep the old one; the next query tries again
                }
                final Channel old = sockets[i];
                sockets[i] = f.channel();
                sentOnSocket[i] = 0;
                loop.schedule(() -> old.close(), retireAfterMillis, TimeUnit.MILLISECONDS);
            });
        }
        return sockets[i];
    }

    /** The local ports of the sockets now in the pool (for tests). */
    int[] localPorts() {
        final int[] ports = new int[SOCKETS];
        for (int i = 0; i < SOCKETS; i++) {
            ports[i] = ((InetSocketAddress) sockets[i].localAddress()).getPort();
        }
        return ports;
    }

    @Override
    public void close() {
        for (Channel socket : sockets) {
            if (socket != null) {
                socket.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
            }
        }
    }
}
