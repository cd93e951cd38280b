package io.jvswitch.dns;

import io.jvswitch.switching.service.GatewayReplies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.LongSupplier;

/**
 * Sends queries for names that are not local to the upstream servers and returns their answers,
 * through a cache. Runs on one netty event loop, which owns the cache and the table of queries in
 * flight (no locks). The dataplane hands queries over through a bounded one-to-one ring (full:
 * dropped and counted; the client retries); answers go back through {@link GatewayReplies}.
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
 * a pool of sockets on random ports ({@link UpstreamSockets}), and an answer counts only on the
 * socket its query left from.
 *
 * <p>This class is the front both transports share (the ring from the dataplane, the cache, the
 * failure answers) and the UDP path; its parts are {@link UpstreamSockets}, {@link InFlightQueries},
 * {@link TcpUpstream} and the {@link AnswerBuffer} they write answers in.
 */
final class UpstreamForwarder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.dns");
    /** Ring record: network id, client ip, client port, client UDP size, then the query. */
    private static final int MSG_QUERY = 1;

    private static final int META_LENGTH = 16;
    private static final int DRAIN_LIMIT = 256;
    /** Networks' queue use is counted in this many buckets (network id modulo): no allocation. */
    private static final int QUEUE_BUCKETS = 1024;
    /** A query's question section ends this far past its name: type and class. */
    private static final int QUESTION_TAIL = 4;
    /** How long a replaced upstream socket stays open past the upstream timeout, for late answers. */
    private static final long SOCKET_GRACE_MILLIS = 1_000L;

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
    private final AnswerBuffer answers = new AnswerBuffer();
    private final UnsafeBuffer scratch = answers.buffer();
    private final UpstreamSockets sockets;
    private final InFlightQueries inFlight;
    private final TcpUpstream tcp;
    private volatile GatewayReplies replies;
    /** Bytes each network (bucket) has in the forward queue: added by the dataplane, taken off here. */
    private final AtomicIntegerArray queuedBytes = new AtomicIntegerArray(QUEUE_BUCKETS);

    private final int queueShareBytes;

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
        this.queueShareBytes = context.networkShare(context.forwardQueueBytes());
        this.sockets = new UpstreamSockets(loop, context.upstreamTimeoutMillis() + SOCKET_GRACE_MILLIS);
        this.inFlight = new InFlightQueries(
                context.maxInFlight(),
                new FairShares(
                        context.networkShare(context.maxInFlight()), context.clientShare(context.maxInFlight())));
        this.tcp = new TcpUpstream(loop, context, cache, counters, nanoClock, answers);
    }

    /** Binds the upstream sockets (any address, ephemeral ports) and starts the timeout sweep. */
    void start() throws InterruptedException {
        sockets.open(this::onUpstreamDatagram);
        loop.scheduleAtFixedRate(this::sweep, 50, 50, TimeUnit.MILLISECONDS);
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

    /**
     * The front both transports share: the answer from the cache, written into {@link #scratch}.
     *
     * @return its length, or -1 when there is none (or no upstream whose answer it could be)
     */
    private int cached(DnsCache.Key key, boolean hasUpstreams, int clientId, long now) {
        final DnsCache.Entry hit = hasUpstreams ? cache.get(key, now) : null;
        return hit == null ? -1 : answers.fromCache(hit, clientId, now);
    }

    private int questionEnd() {
        return DnsWire.HEADER_LENGTH + parsed.nameLength() + QUESTION_TAIL;
    }

    private void forwardUdp(
            int networkId, int clientIp, int clientPort, int udpSize, DirectBuffer buffer, int offset, int length) {
        if (!parsed.parse(buffer, offset, length)) {
            return; // the responder checked it; nothing else puts queries here
        }
        final long now = nanoClock.getAsLong();
        final List<InetSocketAddress> upstreams = upstreamsOf(networkId);
        final DnsCache.Key key = keyOf(parsed, upstreams);
        final int clientId = parsed.id();
        final int fromCache = cached(key, !upstreams.isEmpty(), clientId, now);
        if (fromCache > 0) {
            sendToClient(networkId, clientIp, clientPort, udpSize, fromCache, parsed.nameLength());
            return;
        }
        if (upstreams.isEmpty()) {
            counters.increment(DnsCounter.SERVFAIL_NO_UPSTREAM);
            final int n = answers.failure(buffer, offset, questionEnd(), DnsWire.RCODE_SERVFAIL);
            sendToClient(networkId, clientIp, clientPort, udpSize, n, parsed.nameLength());
            return;
        }
        if (inFlight.isFull()) {
            counters.increment(DnsCounter.DROP_INFLIGHT_FULL);
            return;
        }
        final FairShares.Verdict share = inFlight.admit(networkId, clientIp);
        if (share != FairShares.Verdict.GRANTED) {
            counters.increment(
                    share == FairShares.Verdict.NETWORK_SHARE_FULL
                            ? DnsCounter.DROP_INFLIGHT_NETWORK_SHARE
                            : DnsCounter.DROP_INFLIGHT_CLIENT_SHARE);
            return;
        }
        final InFlightQueries.Pending p = inFlight.add();
        final int id = p.upstreamId;
        p.socket = sockets.pick();
        p.networkId = networkId;
        p.clientIp = clientIp;
        p.clientPort = clientPort;
        p.clientId = clientId;
        p.udpSize = udpSize;
        p.questionEnd = questionEnd();
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

    private void sendUpstream(InFlightQueries.Pending p) {
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
        final InFlightQueries.Pending p = inFlight.byId(scratch.getShort(0, ByteOrder.BIG_ENDIAN) & 0xFFFF);
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
        answers.setId(p.clientId);
        counters.increment(DnsCounter.UPSTREAM_ANSWERS);
        answerPending(p, length);
    }

    private static boolean sameQuestion(InFlightQueries.Pending p, DirectBuffer reply, int length) {
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
        for (int slot = 0; slot < inFlight.capacity(); slot++) {
            final InFlightQueries.Pending p = inFlight.slot(slot);
            if (!p.inUse()) {
                continue;
            }
            if (now - p.deadline >= 0) {
                final int n;
                if (p.fallback != null) {
                    scratch.putBytes(0, p.fallback);
                    n = p.fallback.length;
                } else {
                    counters.increment(DnsCounter.UPSTREAM_TIMEOUTS);
                    n = answers.failure(new UnsafeBuffer(p.query), 0, p.questionEnd, DnsWire.RCODE_SERVFAIL);
                }
                answers.setId(p.clientId);
                answerPending(p, n);
            } else if (p.retransmitAt != 0 && now - p.retransmitAt >= 0) {
                p.retransmitAt = 0;
                sendUpstream(p);
            }
        }
    }

    /** Sends the answer in {@link #scratch} to a query in flight's client, and frees its slot. */
    private void answerPending(InFlightQueries.Pending p, int length) {
        sendToClient(
                p.networkId,
                p.clientIp,
                p.clientPort,
                p.udpSize,
                length,
                p.questionEnd - DnsWire.HEADER_LENGTH - QUESTION_TAIL);
        inFlight.release(p);
    }

    /**
     * Sends the answer in {@link #scratch} to a UDP client; one longer than the client's UDP size
     * goes as its header and question with TC set, so the client asks again over TCP.
     */
    private void sendToClient(int networkId, int clientIp, int clientPort, int udpSize, int length, int nameLength) {
        int n = length;
        if (length > udpSize) {
            n = Math.min(length, DnsWire.HEADER_LENGTH + nameLength + QUESTION_TAIL);
            final int flags = scratch.getShort(DnsWire.FLAGS_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            scratch.putShort(DnsWire.FLAGS_OFFSET, (short) (flags | DnsWire.FLAG_TC), ByteOrder.BIG_ENDIAN);
            scratch.putShort(DnsWire.ANCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
            scratch.putShort(DnsWire.NSCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
            scratch.putShort(DnsWire.ARCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
            counters.increment(DnsCounter.UPSTREAM_TRUNCATED);
        }
        final GatewayReplies out = replies;
        if (out == null || !out.send(networkId, clientIp, clientPort, ResolvConf.DNS_PORT, scratch, 0, n)) {
            counters.increment(DnsCounter.REPLY_QUEUE_FULL);
        }
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

    /**
     * Answers a query that came over TCP on {@code client} (on the event loop): from the cache, else
     * from the first upstream that takes a TCP connection ({@link TcpUpstream}), else SERVFAIL.
     */
    void forwardTcp(Channel client, int networkId, int clientIp, DirectBuffer buffer, int offset, int length) {
        if (!parsed.parse(buffer, offset, length)) {
            return;
        }
        final long now = nanoClock.getAsLong();
        final List<InetSocketAddress> upstreams = upstreamsOf(networkId);
        final DnsCache.Key key = keyOf(parsed, upstreams);
        final int questionEnd = questionEnd();
        final int fromCache = cached(key, !upstreams.isEmpty(), parsed.id(), now);
        if (fromCache > 0) {
            client.writeAndFlush(Unpooled.copiedBuffer(scratch.byteArray(), 0, fromCache));
            return;
        }
        if (!tcp.admit(networkId, clientIp, !upstreams.isEmpty())) {
            final int n = answers.failure(buffer, offset, questionEnd, DnsWire.RCODE_SERVFAIL);
            client.writeAndFlush(Unpooled.copiedBuffer(scratch.byteArray(), 0, n));
            return;
        }
        final byte[] query = new byte[length];
        buffer.getBytes(offset, query);
        tcp.forward(new TcpUpstream.Query(client, networkId, clientIp, query, questionEnd, key, upstreams));
    }

    /** The local ports of the upstream sockets now in the pool (for tests). */
    int[] localPorts() {
        return sockets.localPorts();
    }

    int inFlight() {
        return inFlight.count();
    }

    @Override
    public void close() {
        sockets.close();
        LOG.log(System.Logger.Level.DEBUG, "upstream forwarder closed");
    }
}
