package io.jvswitch.dns;

import io.jvswitch.switching.service.GatewayReplies;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.ReadTimeoutHandler;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.LongSupplier;

/**
 * Sends queries for names that are not local to the upstream servers and returns their answers,
 * through a cache. Runs on one netty event loop, which owns the cache and the table of queries in
 * flight (no locks). The dataplane hands queries over through a bounded one-to-one ring (full:
 * dropped and counted; the client retries); answers go back through {@link io.jvswitch.switching.service.GatewayReplies}.
 *
 * <p>UDP queries go to every upstream of the network at once, with the client's bytes as they came
 * (so its EDNS size and flags travel unchanged) under a fresh random transaction id. Asking in
 * parallel costs a few datagrams and makes the answer time that of the fastest server, where a
 * fail-over after a fixed timeout (Docker: 4 s per server) makes one dead server cost every client
 * seconds. The first answer wins, except SERVFAIL/REFUSED, which waits for the other servers while
 * any are still out. Unanswered queries are re-sent once after {@link DnsContext#retransmitMillis}
 * and answered SERVFAIL after {@link DnsContext#upstreamTimeoutMillis}. NXDOMAIN passes as NXDOMAIN,
 * and a truncated (TC) answer passes with TC so the client retries over TCP.
 *
 * <p>Queries that came over TCP are forwarded over TCP (one connection per query, servers tried in
 * order on connect failure), so large answers arrive whole.
 *
 * <p>Shared fairly: the forward queue, the queries in flight and the TCP queries in flight each
 * hold at most a share of their bound per network and per client address ({@link FairShares}), so
 * a network whose upstream never answers, or one container asking random names, cannot take the
 * others' turn. The cache is keyed by the upstream servers asked as well as by the question, so
 * networks with different {@code --dns} servers never see each other's answers. Queries leave from
 * a pool of {@link #SOCKETS} sockets on kernel-chosen random ports, one picked at random per query;
 * each is replaced by a fresh one after {@link #QUERIES_PER_SOCKET} queries, and an answer counts
 * only on the socket its query left from.
 */
final class UpstreamForwarder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.dns");
    /** Ring record: network id, client ip, client port, client UDP size, then the query. */
    private static final int MSG_QUERY = 1;

    private static final int META_LENGTH = 16;
    private static final int DRAIN_LIMIT = 256;
    /** Sockets queries leave from, one picked at random per query. */
    static final int SOCKETS = 16;
    /** Queries one socket sends before a fresh socket (a new random port) takes its place. */
    static final int QUERIES_PER_SOCKET = 256;
    /** Networks' queue use is counted in this many buckets (network id modulo): no allocation. */
    private static final int QUEUE_BUCKETS = 1024;

    private final EventLoop loop;
    private final DnsContext context;
    private final DnsNameStore names;
    private final DnsCache cache;
    private final DnsCounters counters;
    private final LongSupplier nanoClock;
    private final RingBuffer inbound;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private final MessageHandler onQuery = this::onQuery;
    private final DnsQuery parsed = new DnsQuery();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[DnsWire.MAX_TCP_MESSAGE + 2]);
    private volatile GatewayReplies replies;
    private final Channel[] sockets = new Channel[SOCKETS];
    private final int[] sentOnSocket = new int[SOCKETS];
    private final boolean[] replacing = new boolean[SOCKETS];
    private Bootstrap socketBootstrap;
    private int tcpInFlight;
    /** Bytes each network (bucket) has in the forward queue: added by the dataplane, taken off here. */
    private final AtomicIntegerArray queuedBytes = new AtomicIntegerArray(QUEUE_BUCKETS);

    private final int queueShareBytes;
    private final FairShares inFlightShares;
    private final FairShares tcpShares;

    // queries in flight, by slot; slotById maps the upstream transaction id to its slot
    private final int[] slotById = new int[65_536];
    private final Pending[] pending;
    private int[] freeSlots;
    private int freeCount;

    /** One query waiting for an upstream answer. */
    private static final class Pending {
        int upstreamId = -1;
        Channel socket;
        int networkId;
        int clientIp;
        int clientPort;
        int clientId;
        int udpSize;
        int questionEnd;
        int outstanding;
        long retransmitAt;
        long deadline;
        byte[] query;
        List<InetSocketAddress> upstreams;
        DnsCache.Key key;
        byte[] fallback;
    }

    UpstreamForwarder(
            EventLoop loop,
            DnsContext context,
            DnsNameStore names,
            DnsCache cache,
            DnsCounters counters,
            LongSupplier nanoClock) {
        this.loop = loop;
        this.context = context;
        this.names = names;
        this.cache = cache;
        this.counters = counters;
        this.nanoClock = nanoClock;
        this.inbound = new OneToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(context.forwardQueueBytes() + RingBufferDescriptor.TRAILER_LENGTH)));
        Arrays.fill(slotById, -1);
        this.queueShareBytes = context.networkShare(context.forwardQueueBytes());
        this.inFlightShares =
                new FairShares(context.networkShare(context.maxInFlight()), context.clientShare(context.maxInFlight()));
        this.tcpShares = new FairShares(
                context.networkShare(context.maxTcpUpstream()), context.clientShare(context.maxTcpUpstream()));
        this.pending = new Pending[context.maxInFlight()];
        this.freeSlots = new int[context.maxInFlight()];
        for (int i = 0; i < pending.length; i++) {
            pending[i] = new Pending();
            freeSlots[freeCount++] = pending.length - 1 - i;
        }
    }

    /** Binds the upstream sockets (any address, ephemeral ports) and starts the timeout sweep. */
    void start() throws InterruptedException {
        socketBootstrap = new Bootstrap()
                .group(loop)
                .channel(EpollDatagramChannel.class)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(DnsWire.MAX_TCP_MESSAGE))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                                onUpstreamDatagram(ctx.channel(), packet.content(), packet.sender());
                            }
                        });
                    }
                });
        for (int i = 0; i < SOCKETS; i++) {
            sockets[i] = socketBootstrap.bind(0).sync().channel();
        }
        loop.scheduleAtFixedRate(this::sweep, 50, 50, TimeUnit.MILLISECONDS);
    }

    /**
     * A random socket of the pool for the next query. One that has sent its quota is replaced by a
     * freshly bound one (a new random port) once that is bound; the old one stays open until its
     * last query's deadline has passed, so late answers still find it.
     */
    private Channel pickSocket() {
        final int i = ThreadLocalRandom.current().nextInt(SOCKETS);
        if (++sentOnSocket[i] >= QUERIES_PER_SOCKET && !replacing[i]) {
            replacing[i] = true;
            socketBootstrap.bind(0).addListener((ChannelFutureListener) f -> {
                replacing[i] = false;
                if (!f.isSuccess()) {
                    return; // keep the old one; the next query tries again
                }
                final Channel old = sockets[i];
                sockets[i] = f.channel();
                sentOnSocket[i] = 0;
                loop.schedule(() -> old.close(), context.upstreamTimeoutMillis() + 1_000L, TimeUnit.MILLISECONDS);
            });
        }
        return sockets[i];
    }

    void replies(GatewayReplies replies) {
        this.replies = replies;
    }

    // ---- from the dataplane thread ---------------------------------------------------------------

    /** Queues a query to forward; called by the dataplane thread only. False when the queue is full. */
    boolean submit(
            int networkId, int clientIp, int clientPort, int udpSize, DirectBuffer buffer, int offset, int length) {
        final int bucket = networkId & (QUEUE_BUCKETS - 1);
        if (queuedBytes.get(bucket) + META_LENGTH + length > queueShareBytes) {
            counters.increment(DnsCounter.DROP_FORWARD_QUEUE_NETWORK_SHARE);
            return false;
        }
        final int index = inbound.tryClaim(MSG_QUERY, META_LENGTH + length);
        if (index <= 0) {
            counters.increment(DnsCounter.DROP_FORWARD_QUEUE_FULL);
            return false;
        }
        queuedBytes.addAndGet(bucket, META_LENGTH + length);
        final MutableDirectBuffer ring = inbound.buffer();
        ring.putInt(index, networkId);
        ring.putInt(index + 4, clientIp);
        ring.putInt(index + 8, clientPort);
        ring.putInt(index + 12, udpSize);
        ring.putBytes(index + META_LENGTH, buffer, offset, length);
        inbound.commit(index);
        if (drainScheduled.compareAndSet(false, true)) {
            loop.execute(drainTask);
        }
        return true;
    }

    // ---- on the event loop -----------------------------------------------------------------------

    private void drain() {
        drainScheduled.set(false);
        inbound.read(onQuery, DRAIN_LIMIT);
        // Not "read as many as the limit": a read stops at the end of the ring's buffer (after the
        // padding a wrapped record leaves), so a query written past the wrap would otherwise wait
        // for the next query to be submitted.
        if (inbound.size() > 0 && drainScheduled.compareAndSet(false, true)) {
            loop.execute(drainTask);
        }
    }

    private void onQuery(int type, MutableDirectBuffer buffer, int index, int length) {
        queuedBytes.addAndGet(buffer.getInt(index) & (QUEUE_BUCKETS - 1), -length);
        forwardUdp(
                buffer.getInt(index),
                buffer.getInt(index + 4),
                buffer.getInt(index + 8),
                buffer.getInt(index + 12),
                buffer,
                index + META_LENGTH,
                length - META_LENGTH);
    }

    private void forwardUdp(
            int networkId, int clientIp, int clientPort, int udpSize, DirectBuffer buffer, int offset, int length) {
        if (!parsed.parse(buffer, offset, length)) {
            return; // the responder checked it; nothing else puts queries here
        }
        final long now = nanoClock.getAsLong();
        final List<InetSocketAddress> upstreams = upstreamsOf(networkId);
        final DnsCache.Key key = keyOf(parsed, upstreams);
        final DnsCache.Entry hit = upstreams.isEmpty() ? null : cache.get(key, now);
        final int clientId = parsed.id();
        if (hit != null) {
            final int n = fromCache(hit, clientId, now);
            if (n > 0) {
                sendToClient(networkId, clientIp, clientPort, udpSize, scratch, n, parsed.nameLength());
                return;
            }
        }
        if (upstreams.isEmpty()) {
            counters.increment(DnsCounter.SERVFAIL_NO_UPSTREAM);
            final int n =
                    failure(buffer, offset, DnsWire.HEADER_LENGTH + parsed.nameLength() + 4, DnsWire.RCODE_SERVFAIL);
            sendToClient(networkId, clientIp, clientPort, udpSize, scratch, n, parsed.nameLength());
            return;
        }
        if (freeCount == 0) {
            counters.increment(DnsCounter.DROP_INFLIGHT_FULL);
            return;
        }
        final FairShares.Verdict share = inFlightShares.take(networkId, clientIp);
        if (share != FairShares.Verdict.GRANTED) {
            counters.increment(
                    share == FairShares.Verdict.NETWORK_SHARE_FULL
                            ? DnsCounter.DROP_INFLIGHT_NETWORK_SHARE
                            : DnsCounter.DROP_INFLIGHT_CLIENT_SHARE);
            return;
        }
        final int slot = freeSlots[--freeCount];
        final Pending p = pending[slot];
        int id;
        do {
            id = ThreadLocalRandom.current().nextInt(65_536);
        } while (slotById[id] >= 0);
        slotById[id] = slot;
        p.upstreamId = id;
        p.socket = pickSocket();
        p.networkId = networkId;
        p.clientIp = clientIp;
        p.clientPort = clientPort;
        p.clientId = clientId;
        p.udpSize = udpSize;
        p.questionEnd = DnsWire.HEADER_LENGTH + parsed.nameLength() + 4;
        p.query = new byte[length];
        buffer.getBytes(offset, p.query);
        p.query[0] = (byte) (id >>> 8);
        p.query[1] = (byte) id;
        p.upstreams = upstreams;
        p.outstanding = upstreams.size();
        p.key = key;
        p.fallback = null;
        p.retransmitAt = now + TimeUnit.MILLISECONDS.toNanos(context.retransmitMillis());
        p.deadline = now + TimeUnit.MILLISECONDS.toNanos(context.upstreamTimeoutMillis());
        sendUpstream(p);
        counters.increment(DnsCounter.FORWARDED);
    }

    private void sendUpstream(Pending p) {
        for (InetSocketAddress upstream : p.upstreams) {
            p.socket
                    .writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(p.query), upstream))
                    .addListener(f -> {
                        if (!f.isSuccess()) {
                            counters.increment(DnsCounter.UPSTREAM_SEND_ERRORS);
                        }
                    });
        }
    }

    private void onUpstreamDatagram(Channel socket, ByteBuf content, InetSocketAddress sender) {
        final int length = content.readableBytes();
        if (length < DnsWire.HEADER_LENGTH || length > scratch.capacity()) {
            counters.increment(DnsCounter.UPSTREAM_IGNORED);
            return;
        }
        content.getBytes(content.readerIndex(), scratch.byteArray(), 0, length);
        final int id = scratch.getShort(0, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int slot = slotById[id];
        final Pending p = slot < 0 ? null : pending[slot];
        if (p == null
                || p.socket != socket
                || !p.upstreams.contains(sender)
                || !sameQuestion(p, scratch, length)
                || (scratch.getShort(DnsWire.FLAGS_OFFSET, ByteOrder.BIG_ENDIAN) & DnsWire.FLAG_QR) == 0) {
            counters.increment(DnsCounter.UPSTREAM_IGNORED); // late, spoofed or not an answer
            return;
        }
        final int flags = scratch.getShort(DnsWire.FLAGS_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int rcode = flags & DnsWire.RCODE_MASK;
        if ((rcode == DnsWire.RCODE_SERVFAIL || rcode == DnsWire.RCODE_REFUSED) && p.outstanding > 1) {
            p.outstanding--; // another server may still know: keep this as the answer of last resort
            p.fallback = new byte[length];
            scratch.getBytes(0, p.fallback);
            return;
        }
        if (rcode == DnsWire.RCODE_NXDOMAIN) {
            counters.increment(DnsCounter.UPSTREAM_NXDOMAIN);
        }
        if ((flags & DnsWire.FLAG_TC) != 0) {
            counters.increment(DnsCounter.UPSTREAM_TRUNCATED);
        }
        final int ttl = ResponseTtls.cacheTtl(scratch, 0, length);
        if (ttl > 0) {
            final byte[] copy = new byte[length];
            scratch.getBytes(0, copy);
            cache.put(p.key, copy, ttl, nanoClock.getAsLong());
        }
        scratch.putShort(0, (short) p.clientId, ByteOrder.BIG_ENDIAN);
        counters.increment(DnsCounter.UPSTREAM_ANSWERS);
        sendToClient(p.networkId, p.clientIp, p.clientPort, p.udpSize, scratch, length, p.questionEnd - 16);
        release(slot);
    }

    private static boolean sameQuestion(Pending p, DirectBuffer reply, int length) {
        if (length < p.questionEnd || (reply.getShort(DnsWire.QDCOUNT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != 1) {
            return false;
        }
        for (int i = DnsWire.HEADER_LENGTH; i < p.questionEnd; i++) {
            if (reply.getByte(i) != p.query[i]) {
                return false;
            }
        }
        return true;
    }

    /** Sweeps the queries in flight: re-sends once, then answers SERVFAIL (or a kept fallback). */
    private void sweep() {
        final long now = nanoClock.getAsLong();
        for (int slot = 0; slot < pending.length; slot++) {
            final Pending p = pending[slot];
            if (p.upstreamId < 0) {
                continue;
            }
            if (now - p.deadline >= 0) {
                final int n;
                if (p.fallback != null) {
                    scratch.putBytes(0, p.fallback);
                    n = p.fallback.length;
                } else {
                    counters.increment(DnsCounter.UPSTREAM_TIMEOUTS);
                    n = failure(new UnsafeBuffer(p.query), 0, p.questionEnd, DnsWire.RCODE_SERVFAIL);
                }
                scratch.putShort(0, (short) p.clientId, ByteOrder.BIG_ENDIAN);
                sendToClient(p.networkId, p.clientIp, p.clientPort, p.udpSize, scratch, n, p.questionEnd - 16);
                release(slot);
            } else if (p.retransmitAt != 0 && now - p.retransmitAt >= 0) {
                p.retransmitAt = 0;
                sendUpstream(p);
            }
        }
    }

    private void release(int slot) {
        final Pending p = pending[slot];
        slotById[p.upstreamId] = -1;
        inFlightShares.give(p.networkId, p.clientIp);
        p.upstreamId = -1;
        p.socket = null;
        p.query = null;
        p.upstreams = null;
        p.key = null;
        p.fallback = null;
        freeSlots[freeCount++] = slot;
    }

    /**
     * Sends an answer to a UDP client; one longer than the client's UDP size goes as its header and
     * question with TC set, so the client asks again over TCP.
     */
    private void sendToClient(
            int networkId,
            int clientIp,
            int clientPort,
            int udpSize,
            MutableDirectBuffer answer,
            int length,
            int nameLength) {
        int n = length;
        if (length > udpSize) {
            n = Math.min(length, DnsWire.HEADER_LENGTH + nameLength + 4);
            final int flags = answer.getShort(DnsWire.FLAGS_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            answer.putShort(DnsWire.FLAGS_OFFSET, (short) (flags | DnsWire.FLAG_TC), ByteOrder.BIG_ENDIAN);
            answer.putShort(DnsWire.ANCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
            answer.putShort(DnsWire.NSCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
            answer.putShort(DnsWire.ARCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
            counters.increment(DnsCounter.UPSTREAM_TRUNCATED);
        }
        final GatewayReplies out = replies;
        if (out == null || !out.send(networkId, clientIp, clientPort, ResolvConf.DNS_PORT, answer, 0, n)) {
            counters.increment(DnsCounter.REPLY_QUEUE_FULL);
        }
    }

    /** Copies a cached response into {@link #scratch} with the client's id and aged TTLs; its length. */
    private int fromCache(DnsCache.Entry hit, int clientId, long now) {
        final byte[] bytes = hit.response();
        scratch.putBytes(0, bytes);
        scratch.putShort(0, (short) clientId, ByteOrder.BIG_ENDIAN);
        final long elapsed = TimeUnit.NANOSECONDS.toSeconds(now - hit.storedNanos());
        return ResponseTtls.age(scratch, 0, bytes.length, elapsed) ? bytes.length : -1;
    }

    /** Writes into {@link #scratch} an answer with {@code rcode} to the query's header and question. */
    private int failure(DirectBuffer query, int offset, int questionEnd, int rcode) {
        scratch.putBytes(0, query, offset, questionEnd);
        final int flags = scratch.getShort(DnsWire.FLAGS_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        scratch.putShort(
                DnsWire.FLAGS_OFFSET,
                (short) (DnsWire.FLAG_QR | (flags & DnsWire.FLAG_RD) | DnsWire.FLAG_RA | rcode),
                ByteOrder.BIG_ENDIAN);
        scratch.putShort(DnsWire.QDCOUNT_OFFSET, (short) 1, ByteOrder.BIG_ENDIAN);
        scratch.putShort(DnsWire.ANCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        scratch.putShort(DnsWire.NSCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        scratch.putShort(DnsWire.ARCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        return questionEnd;
    }

    private List<InetSocketAddress> upstreamsOf(int networkId) {
        final List<InetSocketAddress> own = names.current().upstreamsOf(networkId);
        return own != null ? own : names.defaultUpstreams();
    }

    /** The cache's key: the question, and the servers that answer it for the asker's network. */
    private static DnsCache.Key keyOf(DnsQuery query, List<InetSocketAddress> upstreams) {
        return new DnsCache.Key(
                upstreams,
                new String(query.lowerName(), 0, query.nameLength(), StandardCharsets.ISO_8859_1),
                query.qtype(),
                query.qclass(),
                query.hasOpt());
    }

    // ---- TCP ------------------------------------------------------------------------------------

    /**
     * Answers a query that came over TCP on {@code client} (on the event loop): from the cache, else
     * from the first upstream that takes a TCP connection. The client's own id is kept.
     */
    void forwardTcp(Channel client, int networkId, int clientIp, DirectBuffer buffer, int offset, int length) {
        if (!parsed.parse(buffer, offset, length)) {
            return;
        }
        final long now = nanoClock.getAsLong();
        final List<InetSocketAddress> upstreams = upstreamsOf(networkId);
        final DnsCache.Key key = keyOf(parsed, upstreams);
        final int questionEnd = DnsWire.HEADER_LENGTH + parsed.nameLength() + 4;
        final DnsCache.Entry hit = upstreams.isEmpty() ? null : cache.get(key, now);
        if (hit != null) {
            final int n = fromCache(hit, parsed.id(), now);
            if (n > 0) {
                client.writeAndFlush(Unpooled.copiedBuffer(scratch.byteArray(), 0, n));
                return;
            }
        }
        final FairShares.Verdict share;
        if (upstreams.isEmpty()) {
            share = null;
            counters.increment(DnsCounter.SERVFAIL_NO_UPSTREAM);
        } else if (tcpInFlight >= context.maxTcpUpstream()) {
            share = null;
            counters.increment(DnsCounter.DROP_INFLIGHT_FULL);
        } else {
            share = tcpShares.take(networkId, clientIp);
            if (share == FairShares.Verdict.NETWORK_SHARE_FULL) {
                counters.increment(DnsCounter.DROP_INFLIGHT_NETWORK_SHARE);
            } else if (share == FairShares.Verdict.CLIENT_SHARE_FULL) {
                counters.increment(DnsCounter.DROP_INFLIGHT_CLIENT_SHARE);
            }
        }
        if (share != FairShares.Verdict.GRANTED) {
            final int n = failure(buffer, offset, questionEnd, DnsWire.RCODE_SERVFAIL);
            client.writeAndFlush(Unpooled.copiedBuffer(scratch.byteArray(), 0, n));
            return;
        }
        final byte[] query = new byte[length];
        buffer.getBytes(offset, query);
        tcpInFlight++;
        counters.increment(DnsCounter.FORWARDED);
        tryTcpUpstream(client, networkId, clientIp, query, questionEnd, key, upstreams, 0);
    }

    /** A TCP query is done (answered or given up): its place in the bound and in its shares is free. */
    private void tcpDone(int networkId, int clientIp) {
        tcpInFlight--;
        tcpShares.give(networkId, clientIp);
    }

    private void tryTcpUpstream(
            Channel client,
            int networkId,
            int clientIp,
            byte[] query,
            int questionEnd,
            DnsCache.Key key,
            List<InetSocketAddress> upstreams,
            int index) {
        if (index >= upstreams.size() || !client.isActive()) {
            tcpDone(networkId, clientIp);
            if (client.isActive()) {
                counters.increment(DnsCounter.UPSTREAM_TIMEOUTS);
                final int n = failure(new UnsafeBuffer(query), 0, questionEnd, DnsWire.RCODE_SERVFAIL);
                client.writeAndFlush(Unpooled.copiedBuffer(scratch.byteArray(), 0, n));
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
                                        new LengthFieldBasedFrameDecoder(DnsWire.MAX_TCP_MESSAGE + 2, 0, 2, 0, 2),
                                        new LengthFieldPrepender(2),
                                        new SimpleChannelInboundHandler<ByteBuf>() {
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
                                                    cache.put(key, reply, ttl, nanoClock.getAsLong());
                                                }
                                                if (n >= DnsWire.HEADER_LENGTH
                                                        && (reply[3] & DnsWire.RCODE_MASK) == DnsWire.RCODE_NXDOMAIN) {
                                                    counters.increment(DnsCounter.UPSTREAM_NXDOMAIN);
                                                }
                                                counters.increment(DnsCounter.UPSTREAM_ANSWERS);
                                                client.writeAndFlush(Unpooled.wrappedBuffer(reply));
                                                tcpDone(networkId, clientIp);
                                                ctx.close();
                                            }

                                            @Override
                                            public void channelInactive(ChannelHandlerContext ctx) {
                                                if (!answered.getAndSet(true)) {
                                                    tryTcpUpstream(
                                                            client,
                                                            networkId,
                                                            clientIp,
                                                            query,
                                                            questionEnd,
                                                            key,
                                                            upstreams,
                                                            index + 1);
                                                }
                                            }

                                            @Override
                                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                                ctx.close(); // read timeout or reset: channelInactive tries the
                                                // next server
                                            }
                                        });
                    }
                })
                .connect(upstreams.get(index))
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        f.channel().writeAndFlush(Unpooled.wrappedBuffer(query));
                    } else {
                        counters.increment(DnsCounter.UPSTREAM_SEND_ERRORS);
                        tryTcpUpstream(client, networkId, clientIp, query, questionEnd, key, upstreams, index + 1);
                    }
                });
    }

    /** The local ports of the upstream sockets now in the pool (for tests). */
    int[] localPorts() {
        final int[] ports = new int[SOCKETS];
        for (int i = 0; i < SOCKETS; i++) {
            ports[i] = ((InetSocketAddress) sockets[i].localAddress()).getPort();
        }
        return ports;
    }

    int inFlight() {
        return pending.length - freeCount;
    }

    @Override
    public void close() {
        for (Channel socket : sockets) {
            if (socket != null) {
                socket.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
            }
        }
        LOG.log(System.Logger.Level.DEBUG, "upstream forwarder closed");
    }
}
