package io.jvswitch.dns;

import static io.jvswitch.dns.TestMessages.answers;
import static io.jvswitch.dns.TestMessages.buffer;
import static io.jvswitch.dns.TestMessages.decode;
import static io.jvswitch.dns.TestMessages.ip;
import static io.jvswitch.dns.TestMessages.ipOf;
import static io.jvswitch.dns.TestMessages.query;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DnsPtrRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

class LocalAnswererTest {
    private static final int FRONT = 1;
    private static final int BACK = 2;
    private static final int INTERNAL = 3;
    private static final byte[] V6 = {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42};

    private final DnsCounters counters = new DnsCounters();
    private final DnsNameStore store =
            new DnsNameStore(1000, List.of(new InetSocketAddress("192.0.2.53", 53)), counters);
    private final LocalAnswerer answerer = new LocalAnswerer(counters, 600);

    @BeforeEach
    void names() {
        store.update(
                List.of(
                        new DnsNetwork(FRONT, "frontend", ip("172.19.0.1"), false, List.of()),
                        new DnsNetwork(BACK, "backend", ip("172.20.0.1"), false, List.of()),
                        new DnsNetwork(INTERNAL, "secret", ip("172.21.0.1"), true, List.of())),
                List.of(
                        new DnsEndpointName(
                                FRONT, "frontend", "netns:rose", "rose", List.of("web"), ip("172.19.0.2"), null),
                        new DnsEndpointName(
                                FRONT,
                                "frontend",
                                "netns:tulip",
                                "tulip",
                                List.of("web", "Tulip-Alias"),
                                ip("172.19.0.3"),
                                V6),
                        new DnsEndpointName(BACK, "backend", "netns:db", "db", List.of(), ip("172.20.0.2"), null),
                        new DnsEndpointName(BACK, "backend", "netns:tulip", "tulip", List.of(), ip("172.20.0.3"), null),
                        new DnsEndpointName(
                                INTERNAL, "secret", "netns:vault", "vault", List.of(), ip("172.21.0.2"), null)));
    }

    private int ask(UnsafeBuffer buffer, int length, int network, String client) {
        return answerer.answer(store.current(), network, ip(client), buffer, 0, length, buffer.capacity(), false);
    }

    private DatagramDnsResponse askAndDecode(String name, DnsRecordType type, int network, String client) {
        final byte[] q = query(0x1234, name, type.intValue(), 0);
        final UnsafeBuffer buffer = buffer(q);
        final int n = ask(buffer, q.length, network, client);
        assertTrue(n > 0, "answered, not " + n);
        final DatagramDnsResponse response = decode(buffer, n);
        assertEquals(0x1234, response.id());
        assertEquals(1, response.count(DnsSection.QUESTION));
        return response;
    }

    @Test
    void answersTheNameWithItsAddressAndTtl() {
        final DatagramDnsResponse r = askAndDecode("rose", DnsRecordType.A, FRONT, "172.19.0.3");
        assertEquals(DnsResponseCode.NOERROR, r.code());
        assertTrue(r.isAuthoritativeAnswer());
        assertEquals(1, r.count(DnsSection.ANSWER));
        final DnsRecord record = r.recordAt(DnsSection.ANSWER, 0);
        assertEquals(600, record.timeToLive());
        assertEquals("rose.", record.name());
        assertEquals("172.19.0.2", ipOf(answers(r).getFirst()));
        assertEquals(1, counters.get(DnsCounter.ANSWERED_LOCAL));
    }

    @Test
    void namesAreCaseInsensitiveAndTheQuestionKeepsItsCase() {
        final DatagramDnsResponse r = askAndDecode("RoSe.FrontEnd", DnsRecordType.A, FRONT, "172.19.0.3");
        assertEquals("172.19.0.2", ipOf(answers(r).getFirst()));
        assertEquals("RoSe.FrontEnd.", r.recordAt(DnsSection.QUESTION).name());
        assertEquals(
                "172.19.0.3",
                ipOf(answers(askAndDecode("TULIP-alias", DnsRecordType.A, FRONT, "172.19.0.2"))
                        .getFirst()));
    }

    @Test
    void aSharedAliasAnswersEveryEndpointRotatingTheOrder() {
        final Set<String> firsts = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            final List<String> ips = answers(askAndDecode("web", DnsRecordType.A, FRONT, "172.19.0.2")).stream()
                    .map(TestMessages::ipOf)
                    .toList();
            assertEquals(Set.of("172.19.0.2", "172.19.0.3"), new HashSet<>(ips));
            firsts.add(ips.getFirst());
        }
        assertEquals(2, firsts.size(), "rotated");
    }

    @Test
    void aaaaFromAnIpv6AddressAndNodataWithoutOne() {
        final DatagramDnsResponse withV6 = askAndDecode("tulip.frontend", DnsRecordType.AAAA, FRONT, "172.19.0.2");
        assertArrayEquals(V6, answers(withV6).getFirst());
        final DatagramDnsResponse without = askAndDecode("rose", DnsRecordType.AAAA, FRONT, "172.19.0.3");
        assertEquals(DnsResponseCode.NOERROR, without.code());
        assertEquals(0, without.count(DnsSection.ANSWER));
        final DatagramDnsResponse mx = askAndDecode("rose", DnsRecordType.MX, FRONT, "172.19.0.3");
        assertEquals(DnsResponseCode.NOERROR, mx.code());
        assertEquals(0, mx.count(DnsSection.ANSWER));
        assertEquals(2, counters.get(DnsCounter.NODATA_LOCAL));
    }

    @Test
    void anEndpointWithoutIpv4HasAaaaNoAAndNoIpv4Ptr() throws Exception {
        final int only6 = 4;
        store.update(
                List.of(new DnsNetwork(only6, "v6only", 0, false, List.of(), InetAddress.getByName("fd00::1"))),
                List.of(new DnsEndpointName(only6, "v6only", "netns:lily", "lily", List.of(), 0, V6)));
        final DatagramDnsResponse aaaa = askAndDecode("lily", DnsRecordType.AAAA, only6, "0.0.0.0");
        assertArrayEquals(V6, answers(aaaa).getFirst());
        final DatagramDnsResponse a = askAndDecode("lily.v6only", DnsRecordType.A, only6, "0.0.0.0");
        assertEquals(DnsResponseCode.NOERROR, a.code());
        assertEquals(0, a.count(DnsSection.ANSWER), "NODATA: the name is there, an A record is not");
        final byte[] q = query(0x1234, "0.0.0.0.in-addr.arpa", DnsRecordType.PTR.intValue(), 0);
        assertEquals(LocalAnswerer.FORWARD, ask(buffer(q), q.length, only6, "0.0.0.0"), "no local PTR for 0.0.0.0");
    }

    @Test
    void ptrAnswersNameDotNetwork() {
        final DatagramDnsResponse r = askAndDecode("2.0.19.172.in-addr.arpa", DnsRecordType.PTR, FRONT, "172.19.0.3");
        assertEquals("rose.frontend.", ((DnsPtrRecord) r.recordAt(DnsSection.ANSWER, 0)).hostname());
        final DatagramDnsResponse v6 = askAndDecode(NameSnapshot.reverseV6(V6), DnsRecordType.PTR, FRONT, "172.19.0.2");
        assertEquals("tulip.frontend.", ((DnsPtrRecord) v6.recordAt(DnsSection.ANSWER, 0)).hostname());
    }

    @Test
    void scopedToTheNetworksOfTheAskingContainer() {
        // rose is only on frontend: db (backend) is not hers to see, so it goes upstream
        final byte[] q = query(7, "db", DnsRecordType.A.intValue(), 0);
        assertEquals(LocalAnswerer.FORWARD, ask(buffer(q), q.length, FRONT, "172.19.0.2"));
        // tulip is on both: asked from her frontend address she sees db and both of her own addresses
        assertEquals(
                "172.20.0.2",
                ipOf(answers(askAndDecode("db", DnsRecordType.A, FRONT, "172.19.0.3"))
                        .getFirst()));
        final List<String> tulips =
                new ArrayList<>(answers(askAndDecode("tulip", DnsRecordType.A, FRONT, "172.19.0.3")).stream()
                        .map(TestMessages::ipOf)
                        .toList());
        assertEquals(Set.of("172.19.0.3", "172.20.0.3"), new HashSet<>(tulips));
        // an unknown asker sees the network it asked on
        assertEquals(
                1,
                answers(askAndDecode("tulip", DnsRecordType.A, FRONT, "172.19.0.99"))
                        .size());
    }

    @Test
    void internalNetworksRefuseWhatIsNotLocal() {
        final DatagramDnsResponse local = askAndDecode("vault", DnsRecordType.A, INTERNAL, "172.21.0.2");
        assertEquals("172.21.0.2", ipOf(answers(local).getFirst()));
        final DatagramDnsResponse other = askAndDecode("example.com", DnsRecordType.A, INTERNAL, "172.21.0.2");
        assertEquals(DnsResponseCode.REFUSED, other.code());
        assertEquals(1, counters.get(DnsCounter.REFUSED_INTERNAL));
    }

    @Test
    void servfailWhenThereIsNoUpstream() {
        final DnsNameStore empty = new DnsNameStore(10, List.of(), counters);
        empty.update(List.of(new DnsNetwork(FRONT, "frontend", ip("172.19.0.1"), false, List.of())), List.of());
        final byte[] q = query(9, "example.com", 1, 0);
        final UnsafeBuffer buffer = buffer(q);
        final int n = answerer.answer(empty.current(), FRONT, ip("172.19.0.2"), buffer, 0, q.length, 600, false);
        assertEquals(DnsResponseCode.SERVFAIL, decode(buffer, n).code());
        assertEquals(1, counters.get(DnsCounter.SERVFAIL_NO_UPSTREAM));
    }

    @Test
    void ednsIsEchoedWithAnOptRecord() {
        final byte[] q = query(5, "rose", 1, 4096);
        final UnsafeBuffer buffer = buffer(q);
        final int n = ask(buffer, q.length, FRONT, "172.19.0.3");
        final DatagramDnsResponse r = decode(buffer, n);
        assertEquals(1, r.count(DnsSection.ADDITIONAL));
        assertEquals(DnsRecordType.OPT, r.recordAt(DnsSection.ADDITIONAL, 0).type());
    }

    @Test
    void truncatesToTheClientsUdpSizeAndSetsTc() {
        final List<DnsEndpointName> many = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            many.add(new DnsEndpointName(
                    FRONT, "frontend", "c" + i, "n" + i, List.of("crowd"), ip("172.19.1." + i), null));
        }
        store.update(List.of(new DnsNetwork(FRONT, "frontend", ip("172.19.0.1"), false, List.of())), many);
        final byte[] small = query(1, "crowd", 1, 0);
        UnsafeBuffer buffer = buffer(small);
        int n = ask(buffer, small.length, FRONT, "172.19.1.1");
        assertTrue(n <= 512);
        DatagramDnsResponse r = decode(buffer, n);
        assertTrue(r.isTruncated());
        assertTrue(r.count(DnsSection.ANSWER) < 60);
        assertEquals(1, counters.get(DnsCounter.TRUNCATED_LOCAL));

        final byte[] large = query(2, "crowd", 1, 4096);
        buffer = buffer(large);
        n = ask(buffer, large.length, FRONT, "172.19.1.1");
        r = decode(buffer, n);
        assertTrue(!r.isTruncated());
        assertEquals(60, r.count(DnsSection.ANSWER));

        buffer = buffer(small);
        n = answerer.answer(store.current(), FRONT, ip("172.19.1.1"), buffer, 0, small.length, buffer.capacity(), true);
        assertEquals(60, decode(buffer, n).count(DnsSection.ANSWER), "TCP is not capped at 512");
    }

    @Test
    void answersAtAnOffsetInsideALargerBuffer() {
        final byte[] q = query(3, "rose", 1, 0);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
        buffer.putBytes(100, q);
        final int n = answerer.answer(store.current(), FRONT, ip("172.19.0.3"), buffer, 100, q.length, 1948, false);
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[n]);
        copy.putBytes(0, buffer, 100, n);
        assertEquals("172.19.0.2", ipOf(answers(decode(copy, n)).getFirst()));
    }

    @Test
    void theStoreIsBoundedAndCountsWhatItLeavesOut() {
        final DnsNameStore small = new DnsNameStore(5, List.of(), counters);
        small.update(
                List.of(),
                List.of(
                        new DnsEndpointName(FRONT, "frontend", "a", "a", List.of(), ip("172.19.0.2"), null),
                        new DnsEndpointName(FRONT, "frontend", "b", "b", List.of(), ip("172.19.0.3"), null)));
        // a: a, a.frontend, PTR = 3 records; b: b, b.frontend fit, its PTR does not
        assertEquals(1, counters.get(DnsCounter.NAMES_OVER_LIMIT));
        assertNotEquals(
                -1,
                small.current().find(NameSnapshot.wireName("b"), 3, DnsQuery.hash(NameSnapshot.wireName("b"), 0, 3)));
    }
}
