package io.jvswitch.dns;

import static io.jvswitch.dns.TestMessages.ip;
import static io.jvswitch.dns.TestMessages.query;
import static io.jvswitch.dns.TestMessages.u16;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.switching.service.GatewayDatagramService;
import io.jvswitch.switching.service.GatewayReplies;
import io.jvswitch.testsupport.Await;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The forwarder against real UDP servers on loopback. The dataplane's reply queue is stood in for
 * by a recording {@link GatewayReplies} (the dataplane side is tested in the switch and in DnsIT).
 */
class UpstreamForwarderTest {
    private record Reply(int networkId, int clientIp, int clientPort, byte[] payload) {}

    private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    private final GatewayReplies recording =
            (networkId, clientIp, clientPort, servicePort, payload, offset, length) -> {
                final byte[] bytes = new byte[length];
                payload.getBytes(offset, bytes);
                return replies.offer(new Reply(networkId, clientIp, clientPort, bytes));
            };
    private StubServer stub;
    private DnsService service;

    /** A tiny authoritative server for "example": known.example A, big.example (60 A records), the rest NXDOMAIN. */
    static final class StubServer implements AutoCloseable {
        final DatagramSocket socket;
        final AtomicInteger queries = new AtomicInteger();
        final Thread thread;
        /** Source ports queries came from, in order. */
        final ConcurrentLinkedQueue<Integer> sourcePorts = new ConcurrentLinkedQueue<>();

        volatile boolean silent;
        /** The second byte of the addresses it answers with (10.N.0.i): tells two servers' answers apart. */
        volatile int answerOctet = 9;

        StubServer() throws Exception {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            thread = new Thread(this::serve, "stub-dns");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        private void serve() {
            final byte[] in = new byte[4096];
            while (!socket.isClosed()) {
                try {
                    final DatagramPacket packet = new DatagramPacket(in, in.length);
                    socket.receive(packet);
                    queries.incrementAndGet();
                    sourcePorts.add(packet.getPort());
                    final byte[] q = Arrays.copyOf(in, packet.getLength());
                    if (silent || nameOf(q).startsWith("slow")) {
                        continue; // never answered
                    }
                    final byte[] answer = answer(q, answerOctet);
                    socket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
                } catch (Exception e) {
                    return;
                }
            }
        }

        private static String nameOf(byte[] q) {
            final int nameEnd = ResponseTtls.skipName(new UnsafeBuffer(q), 0, q.length, 12);
            return new String(q, 13, Math.max(0, nameEnd - 14), StandardCharsets.US_ASCII);
        }

        private static byte[] answer(byte[] q) {
            return answer(q, 9);
        }

        private static byte[] answer(byte[] q, int octet) {
            final int nameEnd = ResponseTtls.skipName(new UnsafeBuffer(q), 0, q.length, 12);
            final String name = nameOf(q);
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final boolean known = name.startsWith("known");
            final boolean big = name.startsWith("big");
            final int records = known ? 1 : big ? 60 : 0;
            out.write(q[0]);
            out.write(q[1]);
            u16(out, 0x8180 | (known || big ? 0 : DnsWire.RCODE_NXDOMAIN));
            u16(out, 1);
            u16(out, records);
            u16(out, records == 0 ? 1 : 0);
            u16(out, 0);
            out.write(q, 12, nameEnd + 4 - 12);
            for (int i = 0; i < records; i++) {
                u16(out, 0xC00C);
                u16(out, 1);
                u16(out, 1);
                u16(out, 0);
                u16(out, 60);
                u16(out, 4);
                u16(out, 0x0A00 | octet);
                u16(out, i);
            }
            if (records == 0) {
                u16(out, 0xC00C);
                u16(out, DnsWire.TYPE_SOA);
                u16(out, 1);
                u16(out, 0);
                u16(out, 3600);
                final byte[] mname = NameSnapshot.wireName("ns.example");
                u16(out, mname.length * 2 + 20);
                out.writeBytes(mname);
                out.writeBytes(mname);
                for (int v : new int[] {1, 2, 3, 4, 30}) {
                    u16(out, v >>> 16);
                    u16(out, v);
                }
            }
            return out.toByteArray();
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    @BeforeEach
    void start() throws Exception {
        stub = new StubServer();
    }

    private void startService(List<InetSocketAddress> upstreams, int retransmitMillis, int timeoutMillis)
            throws Exception {
        service = new DnsService(
                new DnsContext().upstreamTiming(retransmitMillis, timeoutMillis).conclude(), upstreams, 0);
        service.replies(recording);
        service.update(
                List.of(new DnsNetwork(1, "net", ip("10.0.0.1"), false, List.of())),
                List.of(new DnsEndpointName(1, "net", "c", "rose", List.of(), ip("10.0.0.2"), null)));
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.close();
        }
        stub.close();
    }

    private Reply ask(int id, String name, int ednsSize) throws InterruptedException {
        return askFrom(1, ip("10.0.0.2"), id, name, ednsSize);
    }

    private Reply askFrom(int networkId, int clientIp, int id, String name, int ednsSize) throws InterruptedException {
        final byte[] q = query(id, name, 1, ednsSize);
        final UnsafeBuffer buffer = TestMessages.buffer(q);
        final int n =
                service.responder().handle(networkId, clientIp, 40000 + id, buffer, 0, q.length, buffer.capacity(), 0);
        assertEquals(GatewayDatagramService.DEFERRED, n);
        final Reply reply = replies.poll(5, TimeUnit.SECONDS);
        assertNotNull(reply, "an answer for " + name + ": " + service.stats());
        assertEquals(networkId, reply.networkId());
        assertEquals(clientIp, reply.clientIp());
        assertEquals(40000 + id, reply.clientPort());
        assertEquals(id, TestMessages.u16(reply.payload(), 0), "the client's own id");
        return reply;
    }

    private static int rcode(Reply reply) {
        return reply.payload()[3] & 0xF;
    }

    @Test
    void nxdomainPassesAsNxdomainAndIsCachedBySoaMinimum() throws Exception {
        startService(List.of(stub.address()), 250, 2000);
        assertEquals(DnsWire.RCODE_NXDOMAIN, rcode(ask(11, "missing.example", 0)));
        assertEquals(DnsWire.RCODE_NXDOMAIN, rcode(ask(12, "missing.example", 0)));
        assertEquals(1, stub.queries.get(), "second answer from the cache");
        assertEquals(1, service.counters().get(DnsCounter.CACHE_HITS));
        assertEquals(1, service.counters().get(DnsCounter.UPSTREAM_NXDOMAIN));
    }

    @Test
    void positiveAnswersAreCachedAndAgeTheirTtl() throws Exception {
        startService(List.of(stub.address()), 250, 2000);
        final Reply first = ask(21, "known.example", 0);
        assertEquals(0, rcode(first));
        assertEquals(1, TestMessages.u16(first.payload(), 6));
        ask(22, "KNOWN.example", 0);
        assertEquals(1, stub.queries.get(), "names are cached case-insensitively");
    }

    @Test
    void oneDeadUpstreamCostsNothing() throws Exception {
        final StubServer dead = new StubServer();
        dead.silent = true;
        try {
            startService(List.of(dead.address(), stub.address()), 250, 2000);
            final long start = System.nanoTime();
            assertEquals(0, rcode(ask(31, "known.example", 0)));
            final long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 200, "answered in " + millis + " ms while one upstream is silent");
            assertEquals(1, dead.queries.get(), "both were asked at once");
        } finally {
            dead.close();
        }
    }

    @Test
    void silentUpstreamsEndInServfailAfterOneRetry() throws Exception {
        stub.silent = true;
        startService(List.of(stub.address()), 100, 400);
        final long start = System.nanoTime();
        assertEquals(DnsWire.RCODE_SERVFAIL, rcode(ask(41, "known.example", 0)));
        final long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis >= 350 && millis < 1500, "gave up after " + millis + " ms");
        assertEquals(2, stub.queries.get(), "sent, then re-sent once");
        assertEquals(1, service.counters().get(DnsCounter.UPSTREAM_TIMEOUTS));
    }

    @Test
    void anAnswerLargerThanTheClientsUdpSizeGoesWithTc() throws Exception {
        startService(List.of(stub.address()), 250, 2000);
        final Reply small = ask(51, "big.example", 0);
        assertTrue((small.payload()[2] & 0x02) != 0, "TC");
        assertTrue(small.payload().length <= 512);
        assertEquals(0, TestMessages.u16(small.payload(), 6));
        final Reply large = ask(52, "big.example", 4096);
        assertEquals(60, TestMessages.u16(large.payload(), 6), "a client with a large EDNS size gets it all");
    }

    @Test
    void repliesNotMatchingAQueryInFlightAreIgnored() throws Exception {
        // No retransmission within the test (2 s): a retransmitted query's second answer, arriving
        // after the first completed it, is ignored too, and a loaded machine made one in CI.
        startService(List.of(stub.address()), 2000, 4000);
        ask(61, "known.example", 0);
        // a spoofed answer from a port the forwarder never asked
        try (DatagramSocket spoofer = new DatagramSocket()) {
            final byte[] fake = StubServer.answer(query(1, "known.example", 1, 0));
            final int port = service.upstreamPorts()[0];
            spoofer.send(new DatagramPacket(
                    fake, fake.length, new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
        }
        Await.until(
                "the forged answer is counted",
                Duration.ofSeconds(5),
                () -> service.counters().get(DnsCounter.UPSTREAM_IGNORED) > 0);
        assertEquals(1, service.counters().get(DnsCounter.UPSTREAM_IGNORED));
        assertEquals(0, replies.size());
    }

    /** Two networks, each with its own upstream, and one container on each (and a second on net 1). */
    private StubServer twoNetworks(StubServer other, int retransmitMillis, int timeoutMillis) throws Exception {
        service = new DnsService(
                new DnsContext().upstreamTiming(retransmitMillis, timeoutMillis).conclude(), List.of(), 0);
        service.replies(recording);
        service.update(
                List.of(
                        new DnsNetwork(1, "one", ip("10.0.0.1"), false, List.of(stub.address())),
                        new DnsNetwork(2, "two", ip("10.1.0.1"), false, List.of(other.address()))),
                List.of(
                        new DnsEndpointName(1, "one", "c1", "rose", List.of(), ip("10.0.0.2"), null),
                        new DnsEndpointName(1, "one", "c3", "iris", List.of(), ip("10.0.0.3"), null),
                        new DnsEndpointName(2, "two", "c2", "tulip", List.of(), ip("10.1.0.2"), null)));
        return other;
    }

    /** The first A record's second byte: which server answered. */
    private static int answeredBy(Reply reply) {
        final byte[] p = reply.payload();
        return p[p.length - 3] & 0xFF;
    }

    @Test
    void networksWithDifferentUpstreamsNeverShareCachedAnswers() throws Exception {
        try (StubServer other = new StubServer()) {
            other.answerOctet = 77;
            twoNetworks(other, 250, 2000);
            assertEquals(9, answeredBy(askFrom(1, ip("10.0.0.2"), 1, "known.example", 0)));
            assertEquals(77, answeredBy(askFrom(2, ip("10.1.0.2"), 2, "known.example", 0)), "not network one's");
            assertEquals(9, answeredBy(askFrom(1, ip("10.0.0.2"), 3, "known.example", 0)), "from the cache");
            assertEquals(77, answeredBy(askFrom(2, ip("10.1.0.2"), 4, "known.example", 0)));
            assertEquals(1, stub.queries.get());
            assertEquals(1, other.queries.get());
            assertEquals(2, service.counters().get(DnsCounter.CACHE_HITS));
        }
    }

    @Test
    void queriesLeaveFromManyRandomPortsThatAreReplaced() throws Exception {
        startService(List.of(stub.address()), 250, 2000);
        final int queries = UpstreamSockets.SOCKETS * UpstreamSockets.QUERIES_PER_SOCKET + 600;
        for (int i = 0; i < queries; i++) {
            ask(i % 20_000, "known" + i + ".example", 0); // distinct names: none from the cache
        }
        final Set<Integer> ports = new HashSet<>(stub.sourcePorts);
        assertTrue(
                ports.size() > UpstreamSockets.SOCKETS,
                "more ports than the pool holds at once: sockets were replaced (" + ports.size() + ")");
        int repeats = 0;
        Integer previous = null;
        for (Integer port : stub.sourcePorts) {
            repeats += port.equals(previous) ? 1 : 0;
            previous = port;
        }
        // A random pick among 16: about 1 in 16 consecutive queries share a port, not all of them.
        assertTrue(repeats < queries / 8, "consecutive queries mostly leave from different ports: " + repeats);
    }

    @Test
    void aNetworkWhoseUpstreamNeverAnswersCannotTakeTheOthersTurn() throws Exception {
        try (StubServer dead = new StubServer()) {
            dead.silent = true;
            twoNetworks(dead, 250, 2000);
            // 2000 random names from network two, from 20 containers, faster than any answer comes
            for (int i = 0; i < 2000; i++) {
                final byte[] q = query(i, "r" + i + ".example", 1, 0);
                final UnsafeBuffer buffer = TestMessages.buffer(q);
                service.responder().handle(2, ip("10.1.0.10") + i % 20, 30000, buffer, 0, q.length, 512, 0);
            }
            for (int i = 0; i < 15; i++) {
                assertEquals(0, rcode(askFrom(1, ip("10.0.0.2"), 100 + i, "known" + i + ".example", 0)));
            }
            final DnsCounters c = service.counters();
            assertTrue(
                    c.get(DnsCounter.DROP_INFLIGHT_NETWORK_SHARE) + c.get(DnsCounter.DROP_FORWARD_QUEUE_NETWORK_SHARE)
                            > 0,
                    "network two was held to its share: " + service.stats());
            assertEquals(0, c.get(DnsCounter.DROP_INFLIGHT_FULL), "the global bound was never reached");
        }
    }

    @Test
    void oneContainerAskingUnansweredNamesCannotTakeItsNeighboursTurn() throws Exception {
        try (StubServer other = new StubServer()) {
            twoNetworks(other, 250, 5000);
            for (int i = 0; i < 500; i++) {
                final byte[] q = query(i, "slow" + i + ".example", 1, 0);
                final UnsafeBuffer buffer = TestMessages.buffer(q);
                service.responder().handle(1, ip("10.0.0.2"), 30000, buffer, 0, q.length, 512, 0);
            }
            for (int i = 0; i < 15; i++) {
                assertEquals(0, rcode(askFrom(1, ip("10.0.0.3"), 100 + i, "known" + i + ".example", 0)));
            }
            assertTrue(
                    service.counters().get(DnsCounter.DROP_INFLIGHT_CLIENT_SHARE) > 0,
                    service.stats().toString());
        }
    }
}
