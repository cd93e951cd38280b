package io.jvswitch.nat;

import static io.jvswitch.nat.TestPackets6.IP;
import static io.jvswitch.nat.TestPackets6.L4;
import static io.jvswitch.nat.TestPackets6.assertChecksums;
import static io.jvswitch.nat.TestPackets6.destination;
import static io.jvswitch.nat.TestPackets6.destinationPort;
import static io.jvswitch.nat.TestPackets6.echoId;
import static io.jvswitch.nat.TestPackets6.high;
import static io.jvswitch.nat.TestPackets6.low;
import static io.jvswitch.nat.TestPackets6.source;
import static io.jvswitch.nat.TestPackets6.sourcePort;
import static io.jvswitch.packet.TcpPacket.ACK;
import static io.jvswitch.packet.TcpPacket.SYN;
import static io.jvswitch.switching.service.RoutingHook.ACCEPT;
import static io.jvswitch.switching.service.RoutingHook.ACCEPT_TRACKED;
import static io.jvswitch.switching.service.RoutingHook.DROP;
import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.switching.service.ConnectionSlot;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** IPv6 masquerade in the translator's IPv6 side ({@link Ipv6NatEngine}), over packets built and checked from scratch. */
class Ipv6NatEngineTest {
    static final int FRONTEND = 1;
    static final int ROUTED = 3;
    static final String MASQ = "fd4a:5653::1";
    static final String GATEWAY = "fd00:20::1";
    static final String HOST = "fd99::1";
    static final String CLIENT = "fd00:20::5";
    static final String WEB = "fd00:20::6";
    static final String FLAT = "fd00:21::5";
    static final String SERVER = "2001:db8::2";
    static final String ROUTER = "2001:db8::ff";

    long now = TimeUnit.SECONDS.toNanos(1000);
    NatEngine nat;
    Ipv6NatEngine nat6;
    final ConnectionSlot slot = new ConnectionSlot();

    @BeforeEach
    void setUp() {
        nat = engine(new NatContext().conclude());
        nat6 = nat.ipv6();
    }

    static NatEngine engine(NatContext ctx) {
        final NatEngine engine = new NatEngine(ctx);
        engine.ipv6Policy(policy());
        return engine;
    }

    static Ipv6NatPolicy policy() {
        return new Ipv6NatPolicy(
                high(MASQ),
                low(MASQ),
                List.of(FRONTEND),
                new long[] {high(GATEWAY), low(GATEWAY), high(HOST), low(HOST)},
                List.of(
                        new Ipv6NatPolicy.PublishedPort(
                                Ipv6Packet.NEXT_HEADER_TCP,
                                high(HOST),
                                low(HOST),
                                8080,
                                FRONTEND,
                                high(WEB),
                                low(WEB),
                                80),
                        new Ipv6NatPolicy.PublishedPort(
                                Ipv6Packet.NEXT_HEADER_UDP, 0, 0, 5353, FRONTEND, high(WEB), low(WEB), 53)));
    }

    int route(int from, int to, UnsafeBuffer packet) {
        final int before = nat6.beforeRouting(from, packet, IP, TestPackets6.ipLength(packet), now, slot);
        if (before == DROP) {
            return DROP;
        }
        final int after = nat6.afterRouting(from, to, packet, IP, TestPackets6.ipLength(packet), now, slot);
        return after == DROP ? DROP : before;
    }

    Connection only() {
        final List<Connection> all = nat.connections(NatEngine.ALL_NETWORKS, now, 100);
        assertEquals(1, all.size(), all.toString());
        return all.get(0);
    }

    @Test
    void masqueradesTcpAndTranslatesTheRepliesBack() {
        UnsafeBuffer p = TestPackets6.tcp(CLIENT, 40000, SERVER, 443, SYN);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, p));
        assertEquals(MASQ, source(p));
        assertEquals(40000, sourcePort(p), "the original port is kept when free");
        assertEquals(SERVER, destination(p));
        assertChecksums(p);
        final Connection c = only();
        assertEquals("tcp", c.protocol());
        assertEquals(CLIENT, c.source());
        assertEquals(MASQ, c.replyDestination());
        assertEquals("syn-sent", c.state());
        assertTrue(c.sourceNat());

        p = TestPackets6.tcp(SERVER, 443, MASQ, 40000, SYN | ACK);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, p));
        assertEquals(SERVER, source(p));
        assertEquals(CLIENT, destination(p));
        assertEquals(40000, destinationPort(p));
        assertChecksums(p);
        assertEquals("syn-recv", only().state());

        p = TestPackets6.tcp(CLIENT, 40000, SERVER, 443, ACK);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, HOST_LINK, p));
        assertEquals(MASQ, source(p));
        assertChecksums(p);
        assertEquals("established", only().state());
        assertEquals(1, nat.counters().created());
    }

    @Test
    void aSecondContainerOnTheSamePortGetsAnotherOne() {
        final UnsafeBuffer first = TestPackets6.tcp(CLIENT, 40000, SERVER, 443, SYN);
        final UnsafeBuffer second = TestPackets6.tcp(WEB, 40000, SERVER, 443, SYN);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, first));
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, second));
        assertEquals(MASQ, source(second));
        assertNotEquals(40000, sourcePort(second));
        assertChecksums(second);
        final UnsafeBuffer reply = TestPackets6.tcp(SERVER, 443, MASQ, sourcePort(second), SYN | ACK);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, reply));
        assertEquals(WEB, destination(reply));
        assertEquals(40000, destinationPort(reply));
        assertChecksums(reply);
    }

    @Test
    void masqueradesUdpAndEchoes() {
        UnsafeBuffer p = TestPackets6.udp(CLIENT, 5000, SERVER, 53);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, p));
        assertEquals(MASQ, source(p));
        assertChecksums(p);
        p = TestPackets6.udp(SERVER, 53, MASQ, 5000);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, p));
        assertEquals(CLIENT, destination(p));
        assertChecksums(p);

        p = TestPackets6.echo(CLIENT, SERVER, Icmpv6Packet.TYPE_ECHO_REQUEST, 77);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, p));
        assertEquals(MASQ, source(p));
        assertEquals(77, echoId(p));
        assertChecksums(p);
        p = TestPackets6.echo(SERVER, MASQ, Icmpv6Packet.TYPE_ECHO_REPLY, 77);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, p));
        assertEquals(CLIENT, destination(p));
        assertChecksums(p);
        assertEquals(2, nat.connections(NatEngine.ALL_NETWORKS, now, 10).size());
        assertTrue(nat.connections(NatEngine.ALL_NETWORKS, now, 10).stream()
                .anyMatch(c -> c.protocol().equals("icmpv6")));
    }

    @Test
    void aPartialChecksumStaysThePseudoHeaderSumOfTheNewAddresses() {
        final UnsafeBuffer p = TestPackets6.tcpPartial(CLIENT, 40000, SERVER, 443, SYN);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, p));
        assertEquals(MASQ, source(p));
        final Ipv6Packet ip = new Ipv6Packet();
        ip.wrap(p, IP, TestPackets6.ipLength(p));
        assertEquals(
                InternetChecksum.fold(ip.pseudoHeaderSum(Ipv6Packet.NEXT_HEADER_TCP, ip.payloadLength())),
                p.getShort(L4 + 16, ByteOrder.BIG_ENDIAN) & 0xFFFF);
    }

    @Test
    void leavesAloneWhatNeedsNoTranslation() {
        final UnsafeBuffer flat = TestPackets6.tcp(FLAT, 40000, SERVER, 443, SYN);
        assertEquals(ACCEPT, route(ROUTED, HOST_LINK, flat));
        assertEquals(FLAT, source(flat), "--masquerade=false");
        final UnsafeBuffer toHost = TestPackets6.tcp(CLIENT, 40000, HOST, 22, SYN);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, toHost));
        assertEquals(CLIENT, source(toHost), "the host's own address");
        assertEquals(0, nat.connections(NatEngine.ALL_NETWORKS, now, 10).size());
        assertEquals(2, nat.counters().untracked());
    }

    @Test
    void withoutAMasqueradeAddressNothingIsMasqueraded() {
        nat.ipv6Policy(new Ipv6NatPolicy(0, 0, List.of(FRONTEND), new long[0]));
        final UnsafeBuffer p = TestPackets6.tcp(CLIENT, 40000, SERVER, 443, SYN);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, p));
        assertEquals(CLIENT, source(p));
    }

    @Test
    void tracksConnectionsFromBeyondTheHostSoTheAnswersAreNotMasqueraded() {
        UnsafeBuffer p = TestPackets6.tcp(SERVER, 50000, WEB, 80, SYN);
        assertEquals(ACCEPT, route(HOST_LINK, FRONTEND, p));
        assertEquals(SERVER, source(p));
        p = TestPackets6.tcp(WEB, 80, SERVER, 50000, SYN | ACK);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, HOST_LINK, p));
        assertEquals(WEB, source(p), "an answer keeps the container's address");
        assertChecksums(p);
        // From the gateway (the host's own connection): not tracked, its answers go to the gateway.
        assertEquals(ACCEPT, route(HOST_LINK, FRONTEND, TestPackets6.tcp(GATEWAY, 50001, WEB, 80, SYN)));
        assertEquals(1, nat.connections(NatEngine.ALL_NETWORKS, now, 10).size());
    }

    @Test
    void translatesAnIcmpv6ErrorAboutAMasqueradedConnection() {
        final UnsafeBuffer syn = TestPackets6.tcp(CLIENT, 40000, SERVER, 443, SYN);
        route(FRONTEND, HOST_LINK, syn);
        final int port = sourcePort(syn);
        final UnsafeBuffer error = TestPackets6.icmpError(
                ROUTER, MASQ, Icmpv6Packet.TYPE_PACKET_TOO_BIG, 0, syn, TestPackets6.ipLength(syn));
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, error));
        assertEquals(ROUTER, source(error));
        assertEquals(CLIENT, destination(error));
        assertChecksums(error);
        final int quote = L4 + Icmpv6Packet.HEADER_LENGTH;
        final UnsafeBuffer quoted = new UnsafeBuffer(new byte[IP + TestPackets6.ipLength(syn)]);
        quoted.putBytes(IP, error, quote, TestPackets6.ipLength(syn));
        assertEquals(CLIENT, source(quoted));
        assertEquals(SERVER, destination(quoted));
        assertEquals(40000, sourcePort(quoted));
        assertChecksums(quoted);
        assertEquals(40000, port);

        // From the peer itself (port unreachable): its outer source is translated too, after routing.
        final UnsafeBuffer error2 = TestPackets6.icmpError(
                SERVER, MASQ, Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE, 4, syn, TestPackets6.ipLength(syn));
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, error2));
        assertEquals(SERVER, source(error2));
        assertEquals(CLIENT, destination(error2));
        assertChecksums(error2);
    }

    @Test
    void dropsAnErrorAddressedToTheMasqueradeAddressThatQuotesNoConnection() {
        final UnsafeBuffer stray = TestPackets6.tcp(MASQ, 41000, SERVER, 443, SYN);
        final UnsafeBuffer error = TestPackets6.icmpError(
                ROUTER, MASQ, Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE, 0, stray, TestPackets6.ipLength(stray));
        assertEquals(DROP, route(HOST_LINK, FRONTEND, error));
        assertEquals(1, nat.counters().drops(NatDrop.ICMP_ERROR_UNKNOWN));
    }

    @Test
    void dropsAFragmentThatWouldNeedMasquerade() {
        assertEquals(DROP, route(FRONTEND, HOST_LINK, TestPackets6.fragment(CLIENT, SERVER)));
        assertEquals(ACCEPT, route(ROUTED, HOST_LINK, TestPackets6.fragment(FLAT, SERVER)));
        assertEquals(1, nat.counters().drops(NatDrop.FRAGMENT));
    }

    @Test
    void aFullTableRefusesNewConnectionsAndTheAddressIdsGoWithTheConnections() {
        nat = engine(new NatContext().tableCapacity(2).conclude());
        nat6 = nat.ipv6();
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, TestPackets6.udp(CLIENT, 1, SERVER, 53)));
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, TestPackets6.udp(WEB, 1, SERVER, 53)));
        assertEquals(DROP, route(FRONTEND, HOST_LINK, TestPackets6.udp(CLIENT, 2, SERVER, 53)));
        assertEquals(1, nat.counters().drops(NatDrop.TABLE_FULL));
        assertEquals(4, nat6.ids().size(), "two containers, the server, the masquerade address");
        now += TimeUnit.SECONDS.toNanos(31);
        nat.expire(now, 10);
        assertEquals(0, nat6.table().size());
        assertEquals(0, nat6.ids().size(), "the ids go with the connections");
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, TestPackets6.udp(CLIENT, 2, SERVER, 53)));
    }

    @Test
    void aPublishedPortReachedFromBeyondTheHostSeesTheClient() {
        UnsafeBuffer p = TestPackets6.tcp(SERVER, 50000, HOST, 8080, SYN);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, p));
        assertEquals(SERVER, source(p), "the client's own address");
        assertEquals(WEB, destination(p));
        assertEquals(80, destinationPort(p));
        assertChecksums(p);
        assertTrue(only().destinationNat());
        p = TestPackets6.tcp(WEB, 80, SERVER, 50000, SYN | ACK);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, HOST_LINK, p));
        assertEquals(HOST, source(p));
        assertEquals(8080, sourcePort(p));
        assertEquals(SERVER, destination(p));
        assertChecksums(p);
        // Not a SYN, no connection: refused.
        assertEquals(DROP, route(HOST_LINK, FRONTEND, TestPackets6.tcp(SERVER, 50001, HOST, 8080, ACK)));
        // UDP published on any host address: the gateway is one.
        p = TestPackets6.udp(SERVER, 7000, GATEWAY, 5353);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, p));
        assertEquals(WEB, destination(p));
        assertEquals(53, destinationPort(p));
        assertChecksums(p);
    }

    @Test
    void hairpinWithinOneNetworkComesBackThroughTheRouter() {
        UnsafeBuffer p = TestPackets6.tcp(CLIENT, 40000, HOST, 8080, SYN);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, FRONTEND, p));
        assertEquals(MASQ, source(p), "masqueraded: an answer to a neighbour would bypass the router");
        assertEquals(WEB, destination(p));
        assertChecksums(p);
        final int port = sourcePort(p);
        p = TestPackets6.tcp(WEB, 80, MASQ, port, SYN | ACK);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, FRONTEND, p));
        assertEquals(HOST, source(p));
        assertEquals(8080, sourcePort(p));
        assertEquals(CLIENT, destination(p));
        assertEquals(40000, destinationPort(p));
        assertChecksums(p);
        now += TimeUnit.DAYS.toNanos(6);
        nat.expire(now, NatContext.DEFAULT_TABLE_CAPACITY);
        assertEquals(0, nat6.table().size());
        assertEquals(0, nat6.ids().size(), "every id given back");
    }

    @Test
    void removingAnEndpointRemovesItsConnections() {
        route(FRONTEND, HOST_LINK, TestPackets6.tcp(CLIENT, 40000, SERVER, 443, SYN));
        route(FRONTEND, HOST_LINK, TestPackets6.udp(CLIENT, 5000, SERVER, 53));
        route(FRONTEND, HOST_LINK, TestPackets6.udp(WEB, 5000, SERVER, 53));
        assertEquals(2, nat.removeEndpoint(FRONTEND, high(CLIENT), low(CLIENT)));
        assertEquals(1, nat6.table().size());
        assertEquals(0, nat.removeEndpoint(FRONTEND, high(CLIENT), low(CLIENT)));
    }
}
