package io.jvswitch.dns;

import static io.jvswitch.dns.TestMessages.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzz tests of the DNS responder: what a container sends (the query parser and
 * the local answerer) and what an upstream server sends back (the answer path's TTL reading and
 * aging, and the cache). Without {@code JAZZER_FUZZ} each replays its inputs as a regression test.
 *
 * <p>Properties: nothing throws; an answer fits the room it was given, is a response (QR) with the
 * query's id; a forwarded query is untouched; a hostile upstream answer yields a TTL within the
 * cache's bounds, and aging it never writes past its end.
 */
class DnsFuzzTest {
    private static final DnsCounters COUNTERS = new DnsCounters();
    private static final DnsNameStore NAMES =
            new DnsNameStore(64, List.of(new InetSocketAddress("192.0.2.1", 53)), COUNTERS);

    static {
        NAMES.update(
                List.of(
                        new DnsNetwork(1, "net", ip("10.0.0.1"), false, List.of()),
                        new DnsNetwork(2, "inner", ip("10.0.1.1"), true, List.of())),
                List.of(
                        new DnsEndpointName(1, "net", "c1", "rose", List.of("web", "www"), ip("10.0.0.2"), null),
                        new DnsEndpointName(1, "net", "c2", "tulip", List.of("web"), ip("10.0.0.3"), null),
                        new DnsEndpointName(2, "inner", "c3", "iris", List.of(), ip("10.0.1.2"), null)));
    }

    private final LocalAnswerer answerer = new LocalAnswerer(COUNTERS, 600);

    /** The first byte: transport (bit 0: TCP) and network (bit 1); the rest is the message. */
    @FuzzTest
    void queries(byte[] input) {
        if (input.length < 1) {
            return;
        }
        final boolean tcp = (input[0] & 1) != 0;
        final int network = (input[0] & 2) != 0 ? 2 : 1;
        final byte[] message = Arrays.copyOfRange(input, 1, input.length);
        final int capacity = tcp ? DnsWire.MAX_TCP_MESSAGE : 4096;
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[Math.max(capacity, message.length)]);
        buffer.putBytes(0, message);
        final int n = answerer.answer(
                NAMES.current(), network, ip("10.0.0.9"), buffer, 0, message.length, buffer.capacity(), tcp);
        if (n == LocalAnswerer.FORWARD) {
            final byte[] after = new byte[message.length];
            buffer.getBytes(0, after);
            assertTrue(Arrays.equals(message, after), "a forwarded query is left as it came");
            return;
        }
        if (n == LocalAnswerer.DROP) {
            return;
        }
        assertTrue(n >= DnsWire.HEADER_LENGTH && n <= buffer.capacity(), "answer length " + n);
        assertTrue((buffer.getByte(2) & 0x80) != 0, "an answer is a response");
        assertEquals(message[0], buffer.getByte(0), "with the query's id");
        assertEquals(message[1], buffer.getByte(1));
        if (!tcp) {
            assertTrue(n <= Math.max(512, 4096), "UDP answers fit the client's size");
        }
    }

    /** What a hostile upstream can send: the bytes of an answer, read and aged as the forwarder does. */
    @FuzzTest
    void upstreamAnswers(byte[] answer) {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[answer.length + 16]);
        buffer.putBytes(0, answer);
        final int ttl = ResponseTtls.cacheTtl(buffer, 0, answer.length);
        assertTrue(ttl <= ResponseTtls.MAX_CACHE_TTL, "TTL " + ttl);
        final byte[] guard = new byte[16];
        Arrays.fill(guard, (byte) 0x5A);
        buffer.putBytes(answer.length, guard);
        ResponseTtls.age(buffer, 0, answer.length, 3_600);
        final byte[] after = new byte[16];
        buffer.getBytes(answer.length, after);
        assertTrue(Arrays.equals(guard, after), "aging writes within the answer only");
        if (ttl > 0) {
            final DnsCache cache = new DnsCache(4, 1 << 16, COUNTERS);
            final DnsCache.Key key = new DnsCache.Key(List.of(), "x", 1, 1, false);
            cache.put(key, answer, ttl, 0);
            assertTrue(cache.get(key, 0) != null || answer.length > 1 << 16);
        }
    }
}
