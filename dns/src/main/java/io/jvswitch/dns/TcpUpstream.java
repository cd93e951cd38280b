package io.jvswitch.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.ReadTimeoutHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Forwards the queries that came over TCP over TCP, so large answers arrive whole: one connection
 * per query, the servers tried in order when one refuses the connection, drops it or stays
 * silent past the upstream timeout. The client's own id is kept. Bounded in total and held to a
 * fair share per network and client ({@link FairShares}). Runs on the forwarder's event loop.
 */
final class TcpUpstream {
    private static final int LENGTH_PREFIX = 2;

    private final EventLoop loop;
    private final DnsContext context;
    private final DnsCache cache;
    private final DnsCounters counters;
    private final LongSupplier nanoClock;
    private final AnswerBuffer answers;
    private final FairShares shares;
    private int inFlight;

    TcpUpstream(
            EventLoop loop,
            DnsContext context,
            DnsCache cache,
            DnsCounters counters,
            LongSupplier nanoClock,
            AnswerBuffer answers) {
        this.loop = loop;
        this.context = context;
        this.cache = cache;
        this.counters = counters;
        this.nanoClock = nanoClock;
        this.answers = answers;
        this.shares = new FairShares(
                context.networkShare(context.maxTcpUpstream()), context.clientShare(context.maxTcpUpstream()));
    }

    /**
     * Takes a place for a query from {@code clientIp} of {@code networkId}, or counts why not (no
     * upstream, the bound, a share) and returns false: the client is then answered SERVFAIL.
     */
    boolean admit(int networkId, int clientIp, boolean hasUpstreams) {
        if (!hasUpstreams) {
            counters.increment(DnsCounter.SERVFAIL_NO_UPSTREAM);
            return false;
        }
        if (inFlight >= context.maxTcpUpstream()) {
            counters.increment(DnsCounter.DROP_INFLIGHT_FULL);
            return false;
        }
        final FairShares.Verdict share = shares.take(networkId, clientIp);
        if (share == FairShares.Verdict.NETWORK_SHARE_FULL) {
            counters.increment(DnsCounter.DROP_INFLIGHT_NETWORK_SHARE);
        } else if (share == FairShares.Verdict.CLIENT_SHARE_FULL) {
            counters.increment(DnsCounter.DROP_INFLIGHT_CLIENT_SHARE);
        }
        return share == FairShares.Verdict.GRANTED;
    }

    /** A query over TCP: its bytes and question, where its answer goes, and where it may be cached. */
    record Query(
            Channel client,
            int networkId,
            int clientIp,
            byte[] query,
            int questionEnd,
            DnsCache.Key key,
            List<InetSocketAddress> upstreams) {}

    /** Sends an admitted query to the first upstream that answers it; the answer goes to its client. */
    void forward(Query q) {
        inFlight++;
        counters.increment(DnsCounter.FORWARDED);
        tryUpstream(q, 0);
    }

    /** A TCP query is done (answered or given up): its place in the bound and in its shares is free. */
    private void done(Query q) {
        inFlight--;
        shares.give(q.networkId(), q.clientIp());
    }

    private void tryUpstream(Query q, int index) {
        final Channel client = q.client();
        if (index >= q.upstreams().size() || !client.isActive()) {
            done(q);
            if (client.isActive()) {
                counters.increment(DnsCounter.UPSTREAM_TIMEOUTS);
                final int n = answers.failure(new UnsafeBuffer(q.query()), 0, q.questionEnd(), DnsWire.RCODE_SERVFAIL);
                client.writeAndFlush(Unpooled.copiedBuffer(answers.buffer().byteArray(), 0, n));
            }
            return;
        }
        final AtomicBoolean answered = new AtomicBoolean();
        new Bootstrap()
                .group(loop)
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, context.retransmitMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(
                                        new ReadTimeoutHandler(context.upstreamTimeoutMillis(), TimeUnit.MILLISECONDS),
                                        new LengthFieldBasedFrameDecoder(
                                                DnsWire.MAX_TCP_MESSAGE + LENGTH_PREFIX,
                                                0,
                                                LENGTH_PREFIX,
                                                0,
                                                LENGTH_PREFIX),
                                        new LengthFieldPrepender(LENGTH_PREFIX),
                                        new AnswerHandler(q, index, answered));
                    }
                })
                .connect(q.upstreams().get(index))
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        f.channel().writeAndFlush(Unpooled.wrappedBuffer(q.query()));
                    } else {
                        counters.increment(DnsCounter.UPSTREAM_SEND_ERRORS);
                        tryUpstream(q, index + 1);
                    }
                });
    }

    /** The first answer on a connection to upstream goes to the client; a connection lost unanswered tries the next. */
    private final class AnswerHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final Query q;
        private final int index;
        private final AtomicBoolean answered;

        AnswerHandler(Query q, int index, AtomicBoolean answered) {
            this.q = q;
            this.index = index;
            this.answered = answered;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            if (answered.getAndSet(true)) {
                return;
            }
            final int n = frame.readableBytes();
            final byte[] reply = new byte[n];
            frame.getBytes(frame.readerIndex(), reply);
            final int ttl = ResponseTtls.cacheTtl(new UnsafeBuffer(reply), 0, n);
            if (ttl > 0) {
                cache.put(q.key(), reply, ttl, nanoClock.getAsLong());
            }
            if (n >= DnsWire.HEADER_LENGTH && (reply[3] & DnsWire.RCODE_MASK) == DnsWire.RCODE_NXDOMAIN) {
                counters.increment(DnsCounter.UPSTREAM_NXDOMAIN);
            }
            counters.increment(DnsCounter.UPSTREAM_ANSWERS);
            q.client().writeAndFlush(Unpooled.wrappedBuffer(reply));
            done(q);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!answered.getAndSet(true)) {
                tryUpstream(q, index + 1);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // read timeout or reset: channelInactive tries the next server
        }
    }
}
