package io.jvswitch.nat;

import static io.jvswitch.nat.TestPackets.IP;
import static io.jvswitch.nat.TestPackets.assertChecksums;
import static io.jvswitch.nat.TestPackets.destination;
import static io.jvswitch.nat.TestPackets.destinationPort;
import static io.jvswitch.nat.TestPackets.ip;
import static io.jvswitch.nat.TestPackets.source;
import static io.jvswitch.nat.TestPackets.sourcePort;
import static io.jvswitch.packet.TcpPacket.ACK;
import static io.jvswitch.packet.TcpPacket.FIN;
import static io.jvswitch.packet.TcpPacket.PSH;
import static io.jvswitch.packet.TcpPacket.RST;
import static io.jvswitch.packet.TcpPacket.SYN;
import static io.jvswitch.switching.service.RoutingHook.ACCEPT;
import static io.jvswitch.switching.service.RoutingHook.ACCEPT_TRACKED;
import static io.jvswitch.switching.service.RoutingHook.DROP;
import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.service.ConnectionSlot;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;

class NatEngineTest {
    static final int FRONTEND = 1;
    static final int BACKEND = 2;
    static final int ROUTED = 3;
    static final String MASQ = "169.254.42.2";
    static final String HOST = "10.99.0.1";
    static final String WEB = "172.19.0.3";
    static final String CLIENT = "172.19.0.4";
    static final String OTHER = "172.20.0.5";
    static final String SERVER = "10.99.0.2";

    long now = TimeUnit.SECONDS.toNanos(1000);
    NatEngine nat;
    /** The switch's slot: what beforeRouting notes for afterRouting. */
    final ConnectionSlot slot = new ConnectionSlot();

    @BeforeEach
    void setUp() {
        nat = engine(new NatContext().conclude());
    }

    static NatEngine engine(NatContext ctx) {
        final NatEngine engine = new NatEngine(ctx);
        engine.policy(new NatPolicy(
                ip(MASQ),
                List.of(
                        new NatPolicy.NetworkNat(FRONTEND, true, ip("172.19.0.1")),
                        new NatPolicy.NetworkNat(BACKEND, true, ip("172.20.0.1")),
                        new NatPolicy.NetworkNat(ROUTED, false, ip("172.21.0.1"))),
                new int[] {ip(HOST), ip("169.254.42.1")},
                new PublishedPorts(List.of(
                        new PublishedPorts.Rule(Ipv4Packet.PROTOCOL_TCP, 0, 8080, FRONTEND, ip(WEB), 80),
                        new PublishedPorts.Rule(Ipv4Packet.PROTOCOL_UDP, 0, 5353, FRONTEND, ip(WEB), 53)))));
        return engine;
    }

    int route(int from, int to, UnsafeBuffer packet) {
        final int before = nat.beforeRouting(from, packet, IP, TestPackets.ipLength(packet), now, slot);
        if (before == DROP) {
            return DROP;
        }
        final int after = nat.afterRouting(from, to, packet, IP, TestPackets.ipLength(packet), now, slot);
        return after == DROP ? DROP : before;
    }

    Connection only() {
        final List<Connection> all = nat.connections(NatEngine.ALL_NETWORKS, now, 100);
        assertEquals(1, all.size(), all.toString());
        return all.get(0);
    }

    void advanceSeconds(long seconds) {
        now += TimeUnit.SECONDS.toNanos(seconds);
    }

    @Test
    void masqueradesTcpAndWalksTheStatesOfAConnection() {
        UnsafeBuffer p = TestPackets.tcp(CLIENT, 40000, SERVER, 443, SYN);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, p));
        assertEquals(MASQ, source(p));
        assertEquals(40000, sourcePort(p), "the original port is kept when free");
        assertEquals(SERVER, destination(p));
        assertChecksums(p);
        assertEquals("syn-sent", only().state());
        assertEquals(120, only().secondsLeft());

        p = TestPackets.tcp(SERVER, 443, MASQ, 40000, SYN | ACK);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, p));
        assertEquals(SERVER, source(p));
        assertEquals(CLIENT, destination(p));
        assertEquals(40000, destinationPort(p));
        assertChecksums(p);
        assertEquals("syn-recv", only().state());
        assertEquals(60, only().secondsLeft());

        assertEquals(ACCEPT_TRACKED, route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40000, SERVER, 443, ACK)));
        assertEquals("established", only().state());
        assertEquals(TimeUnit.DAYS.toSeconds(5), only().secondsLeft());

        route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40000, SERVER, 443, ACK | PSH));
        assertEquals("established", only().state());
        route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40000, SERVER, 443, FIN | ACK));
        assertEquals("fin-wait", only().state());
        assertEquals(120, only().secondsLeft());
        route(HOST_LINK, FRONTEND, TestPackets.tcp(SERVER, 443, MASQ, 40000, ACK));
        assertEquals("close-wait", only().state());
        assertEquals(60, only().secondsLeft());
        route(HOST_LINK, FRONTEND, TestPackets.tcp(SERVER, 443, MASQ, 40000, FIN | ACK));
        assertEquals("last-ack", only().state());
        assertEquals(30, only().secondsLeft());
        route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40000, SERVER, 443, ACK));
        assertEquals("time-wait", only().state());
        assertEquals(120, only().secondsLeft());

        advanceSeconds(119);
        assertEquals(1, nat.connections(NatEngine.ALL_NETWORKS, now, 10).size());
        advanceSeconds(1);
        assertEquals(0, nat.connections(NatEngine.ALL_NETWORKS, now, 10).size(), "time-wait expired");
        // A segment of the expired connection is no longer translated: it stays addressed to the router.
        final UnsafeBuffer late = TestPackets.tcp(SERVER, 443, MASQ, 40000, ACK);
        assertEquals(ACCEPT, route(HOST_LINK, FRONTEND, late));
        assertEquals(MASQ, destination(late));
    }

    @Test
    void idleConnectionsExpireThroughHousekeepingWithoutTraffic() {
        route(FRONTEND, HOST_LINK, TestPackets.udp(CLIENT, 5000, SERVER, 53, false));
        assertEquals(1, nat.counters().connections());
        advanceSeconds(31); // past the unreplied UDP timeout, and no packet since
        final int cycles = new NatContext().conclude().tableCapacity() / NatEngine.HOUSEKEEPING_SLICE;
        for (int cycle = 0; cycle < cycles; cycle++) {
            nat.housekeeping(now); // what the dataplane calls once per duty cycle: one sweep of the table
        }
        assertEquals(0, nat.counters().connections(), "expired with no traffic at all");
        assertEquals(1, nat.counters().expired());
    }

    @Test
    void resetClosesAndCloseTimesOut() {
        route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40001, SERVER, 80, SYN));
        route(HOST_LINK, FRONTEND, TestPackets.tcp(SERVER, 80, MASQ, 40001, RST | ACK));
        assertEquals("close", only().state());
        assertEquals(10, only().secondsLeft());
        advanceSeconds(10);
        assertEquals(0, nat.connections(NatEngine.ALL_NETWORKS, now, 10).size());
    }

    @Test
    void everyTcpStateTimesOutAfterItsConfiguredTimeout() {
        final NatContext ctx = new NatContext();
        for (int state = TcpStates.SYN_SENT; state < TcpStates.COUNT; state++) {
            ctx.tcpTimeout(state, 100 + state);
        }
        nat = engine(ctx.conclude());
        route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40002, SERVER, 80, SYN));
        assertEquals(101, only().secondsLeft());
        advanceSeconds(100);
        assertEquals(1, nat.connections(NatEngine.ALL_NETWORKS, now, 10).size());
        advanceSeconds(1);
        assertTrue(nat.connections(NatEngine.ALL_NETWORKS, now, 10).isEmpty(), "syn-sent expired at 101 s");
        // Expiry by the incremental sweep removes it from the table too.
        nat.expire(now, 1 << 20);
        assertEquals(0, nat.counters().connections());
    }

    @Test
    void invalidFlagsAndStraySegmentsAreDroppedAndCounted() {
        assertEquals(DROP, route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40003, SERVER, 80, ACK)));
        assertEquals(1, nat.counters().drops(NatDrop.TCP_NO_CONNECTION));
        assertEquals(DROP, route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40003, SERVER, 80, SYN | FIN)));
        assertEquals(1, nat.counters().drops(NatDrop.TCP_BAD_FLAGS));
        route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40003, SERVER, 80, SYN));
        // An ACK from the client before the SYN-ACK is not a transition a real TCP makes.
        assertEquals(DROP, route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40003, SERVER, 80, ACK)));
        assertEquals(1, nat.counters().drops(NatDrop.TCP_INVALID_TRANSITION));
        assertEquals(DROP, route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 40003, SERVER, 80, 0)));
        assertEquals(2, nat.counters().drops(NatDrop.TCP_BAD_FLAGS));
        assertEquals("syn-sent", only().state());
    }

    @Test
    void truncatedHeadersAreDropped() {
        final UnsafeBuffer p = TestPackets.tcp(CLIENT, 40004, SERVER, 80, SYN, 0);
        assertEquals(DROP, nat.beforeRouting(FRONTEND, p, IP, 20 + 12, now, slot));
        assertEquals(1, nat.counters().drops(NatDrop.TRUNCATED));
    }

    @Test
    void udpUnrepliedThenAssuredTimeouts() {
        UnsafeBuffer p = TestPackets.udp(CLIENT, 5000, SERVER, 53, false);
        route(FRONTEND, HOST_LINK, p);
        assertEquals(MASQ, source(p));
        assertChecksums(p);
        assertEquals("unreplied", only().state());
        assertEquals(30, only().secondsLeft());
        advanceSeconds(29);
        p = TestPackets.udp(SERVER, 53, MASQ, 5000, false);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, p));
        assertEquals(CLIENT, destination(p));
        assertChecksums(p);
        assertEquals("assured", only().state());
        assertEquals(120, only().secondsLeft());
        advanceSeconds(120);
        assertTrue(nat.connections(NatEngine.ALL_NETWORKS, now, 10).isEmpty());
    }

    @Test
    void unrepliedUdpExpiresAfterThirtySeconds() {
        route(FRONTEND, HOST_LINK, TestPackets.udp(CLIENT, 5001, SERVER, 53, false));
        advanceSeconds(30);
        final UnsafeBuffer reply = TestPackets.udp(SERVER, 53, MASQ, 5001, false);
        assertEquals(ACCEPT, route(HOST_LINK, FRONTEND, reply), "no connection: routed as it is");
        assertEquals(MASQ, destination(reply));
        assertEquals(1, nat.counters().expired());
    }

    @Test
    void zeroUdpChecksumStaysZero() {
        final UnsafeBuffer p = TestPackets.udp(CLIENT, 5002, SERVER, 53, true);
        route(FRONTEND, HOST_LINK, p);
        assertEquals(MASQ, source(p));
        assertEquals(0, p.getShort(IP + 20 + 6));
        assertChecksums(p);
    }

    @Test
    void icmpEchoByIdentifierWithCollisions() {
        final UnsafeBuffer first = TestPackets.icmpEcho(CLIENT, SERVER, 8, 77);
        route(FRONTEND, HOST_LINK, first);
        assertEquals(77, TestPackets.icmpId(first));
        assertChecksums(first);
        // Another container pinging the same server with the same identifier gets another one.
        final UnsafeBuffer second = TestPackets.icmpEcho(OTHER, SERVER, 8, 77);
        route(BACKEND, HOST_LINK, second);
        final int id = TestPackets.icmpId(second);
        assertNotEquals(77, id);
        assertChecksums(second);
        final UnsafeBuffer reply = TestPackets.icmpEcho(SERVER, MASQ, 0, id);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, BACKEND, reply));
        assertEquals(OTHER, destination(reply));
        assertEquals(77, TestPackets.icmpId(reply));
        assertChecksums(reply);
        // An echo reply with no request is not a way in.
        assertEquals(DROP, route(FRONTEND, HOST_LINK, TestPackets.icmpEcho(CLIENT, SERVER, 0, 5)));
        assertEquals(1, nat.counters().drops(NatDrop.NO_CONNECTION));
    }

    @Test
    void sourcePortCollisionPicksAnotherPortFromTheRange() {
        final UnsafeBuffer a = TestPackets.tcp(CLIENT, 40010, SERVER, 80, SYN);
        final UnsafeBuffer b = TestPackets.tcp(OTHER, 40010, SERVER, 80, SYN);
        route(FRONTEND, HOST_LINK, a);
        route(BACKEND, HOST_LINK, b);
        assertEquals(40010, sourcePort(a));
        final int port = sourcePort(b);
        assertNotEquals(40010, port);
        assertTrue(port >= 32768 && port <= 60999, "from the range: " + port);
        assertChecksums(b);
        final UnsafeBuffer replyB = TestPackets.tcp(SERVER, 80, MASQ, port, SYN | ACK);
        route(HOST_LINK, BACKEND, replyB);
        assertEquals(OTHER, destination(replyB));
        assertEquals(40010, destinationPort(replyB));
    }

    @Test
    void exhaustedPortRangeIsCounted() {
        nat = engine(new NatContext().portRange(50000, 50001).conclude());
        // Three clients all using 50000 towards one server: 50000 (kept), 50001, then nothing left.
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 50000, SERVER, 80, SYN)));
        assertEquals(ACCEPT, route(BACKEND, HOST_LINK, TestPackets.tcp(OTHER, 50000, SERVER, 80, SYN)));
        assertEquals(DROP, route(FRONTEND, HOST_LINK, TestPackets.tcp(WEB, 50000, SERVER, 80, SYN)));
        assertEquals(1, nat.counters().drops(NatDrop.PORTS_EXHAUSTED));
    }

    @Test
    void masqueradeOffRoutesUntouchedAndUntracked() {
        final UnsafeBuffer p = TestPackets.tcp("172.21.0.9", 40020, SERVER, 80, SYN);
        assertEquals(ACCEPT, route(ROUTED, HOST_LINK, p));
        assertEquals("172.21.0.9", source(p));
        assertEquals(0, nat.counters().connections());
    }

    @Test
    void partialChecksumOfAnOffloadedFrameIsAdjustedForThePseudoHeaderOnly() {
        final UnsafeBuffer p = TestPackets.tcpPartial(CLIENT, 40030, SERVER, 80, SYN);
        // Take another port to force a port change too: occupy 40030 first.
        route(BACKEND, HOST_LINK, TestPackets.tcp(OTHER, 40030, SERVER, 80, SYN));
        route(FRONTEND, HOST_LINK, p);
        assertEquals(MASQ, source(p));
        assertNotEquals(40030, sourcePort(p));
        final Ipv4Packet ipv4 = new Ipv4Packet();
        ipv4.wrap(p, IP, TestPackets.ipLength(p));
        assertTrue(ipv4.isHeaderChecksumValid());
        assertEquals(
                InternetChecksum.fold(ipv4.pseudoHeaderSum()),
                p.getShort(IP + 20 + 16, ByteOrder.BIG_ENDIAN) & 0xFFFF,
                "the field holds the new pseudo-header sum");
        assertTrue(VirtioNetHeader.completeChecksum(p, 0, p.capacity()));
        assertChecksums(p);
    }

    @Test
    void hairpinWithinTheNetworkIsSourceNattedOffTheSubnet() {
        final UnsafeBuffer syn = TestPackets.tcp(CLIENT, 41000, HOST, 8080, SYN);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, FRONTEND, syn));
        assertEquals(WEB, destination(syn));
        assertEquals(80, destinationPort(syn));
        assertEquals(MASQ, source(syn), "not the gateway: what goes to the gateway bypasses the router's hook");
        assertChecksums(syn);
        final UnsafeBuffer synAck = TestPackets.tcp(WEB, 80, MASQ, sourcePort(syn), SYN | ACK);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, FRONTEND, synAck));
        assertEquals(HOST, source(synAck));
        assertEquals(8080, sourcePort(synAck));
        assertEquals(CLIENT, destination(synAck));
        assertEquals(41000, destinationPort(synAck));
        assertChecksums(synAck);
        final Connection c = only();
        assertTrue(c.destinationNat() && c.sourceNat());
    }

    @Test
    void publishedPortFromAnotherNetworkKeepsTheClientAddress() {
        final UnsafeBuffer syn = TestPackets.tcp(OTHER, 41001, HOST, 8080, SYN);
        assertEquals(ACCEPT_TRACKED, route(BACKEND, FRONTEND, syn));
        assertEquals(OTHER, source(syn), "the container sees the real client");
        assertEquals(WEB, destination(syn));
        assertChecksums(syn);
        final UnsafeBuffer synAck = TestPackets.tcp(WEB, 80, OTHER, 41001, SYN | ACK);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, BACKEND, synAck));
        assertEquals(HOST, source(synAck));
        assertEquals(8080, sourcePort(synAck));
        assertChecksums(synAck);
        // A published UDP port too.
        final UnsafeBuffer query = TestPackets.udp(OTHER, 7000, "169.254.42.1", 5353, false);
        assertEquals(ACCEPT_TRACKED, route(BACKEND, FRONTEND, query));
        assertEquals(WEB, destination(query));
        assertEquals(53, destinationPort(query));
        assertChecksums(query);
    }

    /** The host's port rules send a client from beyond the host down the host link: DNAT, no SNAT. */
    @Test
    void publishedPortFromBeyondTheHostKeepsTheClientAddress() {
        final String outsider = "10.98.0.7";
        final UnsafeBuffer syn = TestPackets.tcp(outsider, 41010, HOST, 8080, SYN);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, syn));
        assertEquals(outsider, source(syn), "the container sees the real client");
        assertEquals(41010, sourcePort(syn));
        assertEquals(WEB, destination(syn));
        assertEquals(80, destinationPort(syn));
        assertChecksums(syn);
        final UnsafeBuffer synAck = TestPackets.tcp(WEB, 80, outsider, 41010, SYN | ACK);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, HOST_LINK, synAck));
        assertEquals(HOST, source(synAck), "the reply leaves from the published address");
        assertEquals(8080, sourcePort(synAck));
        assertEquals(outsider, destination(synAck));
        assertChecksums(synAck);
        final Connection c = only();
        assertTrue(c.destinationNat() && !c.sourceNat(), c.toString());
        // UDP the same way.
        final UnsafeBuffer query = TestPackets.udp(outsider, 7002, HOST, 5353, false);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, query));
        assertEquals(WEB, destination(query));
        assertEquals(outsider, source(query));
        final UnsafeBuffer answer = TestPackets.udp(WEB, 53, outsider, 7002, false);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, HOST_LINK, answer));
        assertEquals(HOST, source(answer));
        assertEquals(5353, sourcePort(answer));
        // A port nobody published, from beyond the host: routed as it is.
        final UnsafeBuffer other = TestPackets.tcp(outsider, 41011, HOST, 9999, SYN);
        assertEquals(ACCEPT, route(HOST_LINK, FRONTEND, other));
        assertEquals(HOST, destination(other));
    }

    @Test
    void whatGoesToTheHostItselfIsNotMasqueraded() {
        final UnsafeBuffer syn = TestPackets.tcp(CLIENT, 41002, HOST, 9999, SYN);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, syn));
        assertEquals(HOST, destination(syn));
        assertEquals(CLIENT, source(syn), "the host answers the container directly");
        final UnsafeBuffer toGateway = TestPackets.tcp(CLIENT, 41003, "172.19.0.1", 53, SYN);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, toGateway));
        assertEquals(CLIENT, source(toGateway));
        assertEquals(0, nat.counters().connections());
    }

    @Test
    void fragNeededAboutAMasqueradedConnectionIsTranslatedInsideAndOut() {
        final UnsafeBuffer syn = TestPackets.tcp(CLIENT, 40040, SERVER, 443, SYN, 1200);
        route(FRONTEND, HOST_LINK, syn);
        // A router on the way sends frag-needed to the masquerade address, quoting the translated segment.
        final UnsafeBuffer error = TestPackets.icmpError("10.99.0.254", MASQ, 3, 4, syn, 20 + 28);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, error));
        assertEquals(CLIENT, destination(error));
        assertEquals("10.99.0.254", source(error), "the router's address is kept");
        assertChecksums(error);
        final int inner = IP + 20 + 8;
        final UnsafeBuffer quoted = new UnsafeBuffer(new byte[IP + 48]);
        quoted.putBytes(IP, error, inner, 48);
        assertEquals(CLIENT, source(quoted));
        assertEquals(40040, sourcePort(quoted));
        assertEquals(SERVER, destination(quoted));
        final Ipv4Packet innerIp = new Ipv4Packet();
        innerIp.wrap(quoted, IP, 48 + 1200); // the quoted header keeps its original total length
        assertTrue(InternetChecksum.compute(quoted, IP, 20) == 0, "quoted IPv4 header checksum");
        assertEquals(1400, error.getShort(IP + 20 + 6, ByteOrder.BIG_ENDIAN), "next-hop MTU untouched");
    }

    @Test
    void portUnreachableFromAPublishedContainerShowsThePublishedAddress() {
        final UnsafeBuffer query = TestPackets.udp(OTHER, 7001, HOST, 5353, false);
        route(BACKEND, FRONTEND, query);
        // The container has nothing on port 53: its kernel answers port unreachable, quoting the query.
        final UnsafeBuffer error = TestPackets.icmpError(WEB, OTHER, 3, 3, query, 20 + 8 + 11);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, BACKEND, error));
        assertEquals(HOST, source(error));
        assertEquals(OTHER, destination(error));
        assertChecksums(error);
        final UnsafeBuffer quoted = new UnsafeBuffer(new byte[IP + 39]);
        quoted.putBytes(IP, error, IP + 28, 39);
        assertEquals(HOST, destination(quoted));
        assertEquals(5353, destinationPort(quoted));
        assertEquals(0, InternetChecksum.compute(quoted, IP, 20));
        final UdpPacket udp = new UdpPacket();
        udp.wrap(quoted, IP + 20, 19);
        final Ipv4Packet q = new Ipv4Packet();
        q.wrap(quoted, IP, 39);
        assertTrue(udp.isChecksumValid(q.pseudoHeaderSum()), "quoted UDP checksum follows the quoted addresses");
    }

    @Test
    void icmpErrorsQuotingNoConnectionAreDroppedWhenAddressedToTheMasqueradeAddress() {
        final UnsafeBuffer stray = TestPackets.tcp(MASQ, 1234, SERVER, 80, SYN);
        final UnsafeBuffer error = TestPackets.icmpError(SERVER, MASQ, 3, 3, stray, 28);
        assertEquals(DROP, route(HOST_LINK, FRONTEND, error));
        assertEquals(1, nat.counters().drops(NatDrop.ICMP_ERROR_UNKNOWN));
        final UnsafeBuffer cut = TestPackets.icmpError(SERVER, MASQ, 3, 3, stray, 12);
        assertEquals(DROP, route(HOST_LINK, FRONTEND, cut));
        assertEquals(1, nat.counters().drops(NatDrop.ICMP_ERROR_MALFORMED));
    }

    @Test
    void fullTableRefusesNewConnectionsKeepsExistingOnesAndRecoversAfterExpiry() {
        nat = engine(new NatContext().tableCapacity(4).conclude());
        for (int i = 0; i < 4; i++) {
            assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, TestPackets.udp(CLIENT, 6000 + i, SERVER, 53, false)));
        }
        final UnsafeBuffer refused = TestPackets.udp(CLIENT, 6004, SERVER, 53, false);
        assertEquals(DROP, route(FRONTEND, HOST_LINK, refused));
        assertEquals(1, nat.counters().drops(NatDrop.TABLE_FULL));
        final UnsafeBuffer existing = TestPackets.udp(SERVER, 53, MASQ, 6002, false);
        assertEquals(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, existing));
        assertEquals(CLIENT, destination(existing));
        // A published port reached while the table is full is refused the same way.
        assertEquals(DROP, route(FRONTEND, FRONTEND, TestPackets.tcp(CLIENT, 6005, HOST, 8080, SYN)));
        assertEquals(2, nat.counters().drops(NatDrop.TABLE_FULL));
        advanceSeconds(121);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, TestPackets.udp(CLIENT, 6004, SERVER, 53, false)));
        assertEquals(2, nat.counters().drops(NatDrop.TABLE_FULL), "recovered: not refused again");
        assertFalse(nat.counters().connections() > 4);
    }

    @Test
    void connectionsFromTheHostIntoAMasqueradingNetworkAreTrackedNotTranslated() {
        final UnsafeBuffer syn = TestPackets.tcp(SERVER, 50500, WEB, 80, SYN);
        assertEquals(ACCEPT, route(HOST_LINK, FRONTEND, syn));
        assertEquals(SERVER, source(syn));
        assertEquals(WEB, destination(syn));
        final UnsafeBuffer synAck = TestPackets.tcp(WEB, 80, SERVER, 50500, SYN | ACK);
        assertEquals(ACCEPT_TRACKED, route(FRONTEND, HOST_LINK, synAck), "the answer is no new connection");
        assertEquals(WEB, source(synAck), "and it is not masqueraded");
        assertChecksums(synAck);
        assertEquals("syn-recv", only().state());
        assertFalse(only().sourceNat());
        // From the gateway (the host's own connections) nothing is tracked: the answers bypass the hook.
        route(HOST_LINK, FRONTEND, TestPackets.tcp("172.19.0.1", 50502, WEB, 80, SYN));
        assertEquals(1, nat.counters().connections());
        // Into a network that does not masquerade nothing is tracked.
        route(HOST_LINK, ROUTED, TestPackets.tcp(SERVER, 50501, "172.21.0.9", 80, SYN));
        assertEquals(1, nat.counters().connections());
    }

    @Test
    void anotherPacketsAfterRoutingNeverAppliesWhatAnEarlierPacketLeftPending() {
        // A probe the router drops after beforeRouting (TTL exceeded, say): afterRouting never comes.
        final UnsafeBuffer probe = new UnsafeBuffer(new byte[256]);
        final UnsafeBuffer udp = TestPackets.udp(CLIENT, 33434, SERVER, 33434, false);
        probe.putBytes(0, udp, 0, udp.capacity());
        assertEquals(ACCEPT, nat.beforeRouting(FRONTEND, probe, IP, TestPackets.ipLength(udp), now, slot));
        // Then another packet in the same receive buffer reaching afterRouting: the switch hands
        // each packet an empty slot, so the probe's note is gone.
        final UnsafeBuffer toGateway = TestPackets.tcp(CLIENT, 40060, "172.19.0.1", 8080, SYN);
        probe.putBytes(0, toGateway, 0, toGateway.capacity());
        assertEquals(
                ACCEPT,
                nat.afterRouting(
                        FRONTEND, HOST_LINK, probe, IP, TestPackets.ipLength(toGateway), now, new ConnectionSlot()));
        assertEquals(CLIENT, source(probe), "not masqueraded");
        assertEquals(0, nat.counters().connections());
    }

    @Test
    void fragmentsAreDroppedOnlyWhereTheyWouldNeedMasquerading() {
        final UnsafeBuffer toOutside = TestPackets.udp(CLIENT, 7000, SERVER, 53, false);
        toOutside.putShort(IP + 6, (short) 0x2000, ByteOrder.BIG_ENDIAN); // more fragments
        toOutside.putShort(IP + 10, (short) 0);
        final Ipv4Packet ip = new Ipv4Packet();
        ip.wrap(toOutside, IP, TestPackets.ipLength(toOutside));
        ip.updateHeaderChecksum();
        assertEquals(DROP, route(FRONTEND, HOST_LINK, toOutside));
        assertEquals(1, nat.counters().drops(NatDrop.FRAGMENT));
        final UnsafeBuffer toHost = TestPackets.udp(CLIENT, 7000, "172.19.0.1", 53, false);
        toHost.putShort(IP + 6, (short) 0x2000, ByteOrder.BIG_ENDIAN);
        ip.wrap(toHost, IP, TestPackets.ipLength(toHost));
        ip.updateHeaderChecksum();
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, toHost), "for the host: nothing to translate");
    }

    @Test
    void policyWithoutMasqueradeAddressTranslatesNothing() {
        nat.policy(NatPolicy.empty());
        final UnsafeBuffer p = TestPackets.tcp(CLIENT, 40050, SERVER, 80, SYN);
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, p));
        assertEquals(CLIENT, source(p));
    }

    @Test
    void oneContainerCannotTakeTheTableFromAnother() {
        nat = engine(new NatContext().tableCapacity(4096).conclude());
        assertEquals(256, new NatContext().tableCapacity(4096).conclude().endpointLimit());
        // A SYN flood from one container: stopped at its share
        int accepted = 0;
        for (int i = 0; i < 4096; i++) {
            if (route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 10000 + i, SERVER, 80, SYN)) == ACCEPT) {
                accepted++;
            }
        }
        assertEquals(256, accepted);
        assertEquals(4096 - 256, nat.counters().drops(NatDrop.ENDPOINT_LIMIT));
        assertEquals(0, nat.counters().drops(NatDrop.TABLE_FULL));
        assertEquals(256, nat.connectionsOf(FRONTEND, ip(CLIENT)));
        // ... while another container, on the same network and on another, still connects
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, TestPackets.tcp(WEB, 40000, SERVER, 80, SYN)));
        assertEquals(ACCEPT, route(BACKEND, HOST_LINK, TestPackets.tcp(OTHER, 40000, SERVER, 80, SYN)));
        // Expiry gives the flooder its share back, one connection at a time
        advanceSeconds(121);
        nat.expire(now, 4096);
        assertEquals(0, nat.connectionsOf(FRONTEND, ip(CLIENT)));
        assertEquals(ACCEPT, route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 9999, SERVER, 80, SYN)));
    }

    @Test
    void connectionsFromTheHostCountAgainstTheContainerTheyLeadTo() {
        nat = engine(new NatContext().tableCapacity(1024).endpointLimit(3).conclude());
        for (int i = 0; i < 3; i++) {
            assertEquals(ACCEPT, route(HOST_LINK, FRONTEND, TestPackets.tcp(SERVER, 50000 + i, WEB, 80, SYN)));
        }
        assertEquals(3, nat.connectionsOf(FRONTEND, ip(WEB)));
        assertEquals(DROP, route(HOST_LINK, FRONTEND, TestPackets.tcp(SERVER, 50003, WEB, 80, SYN)));
        assertEquals(1, nat.counters().drops(NatDrop.ENDPOINT_LIMIT));
        // A container reaching a published port counts against itself, the client
        assertNotEquals(DROP, route(BACKEND, FRONTEND, TestPackets.tcp(OTHER, 40000, HOST, 8080, SYN)));
        assertEquals(1, nat.connectionsOf(BACKEND, ip(OTHER)));
    }

    @Test
    void aDetachedEndpointsConnectionsAreRemovedAndItsAddressStartsClean() {
        for (int i = 0; i < 5; i++) {
            route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 20000 + i, SERVER, 443, SYN));
            route(HOST_LINK, FRONTEND, TestPackets.tcp(SERVER, 443, MASQ, 20000 + i, SYN | ACK));
            route(FRONTEND, HOST_LINK, TestPackets.tcp(CLIENT, 20000 + i, SERVER, 443, ACK));
        }
        route(FRONTEND, HOST_LINK, TestPackets.tcp(WEB, 30000, SERVER, 443, SYN));
        assertEquals(6, nat.counters().connections());
        assertEquals(5, nat.removeEndpoint(FRONTEND, ip(CLIENT)));
        assertEquals(1, nat.counters().connections(), "the other container's connection stays");
        assertEquals(0, nat.connectionsOf(FRONTEND, ip(CLIENT)));
        // A late segment of a removed connection is not translated to whoever has the address now
        final UnsafeBuffer late = TestPackets.tcp(SERVER, 443, MASQ, 20001, ACK);
        assertEquals(ACCEPT, route(HOST_LINK, FRONTEND, late));
        assertEquals(MASQ, destination(late));
        assertEquals(0, nat.removeEndpoint(FRONTEND, ip(CLIENT)));
    }

    @Test
    void removingAnEndpointFromAFullDefaultTableTakesMilliseconds() {
        for (int i = 0; i < 16_384; i++) {
            route(FRONTEND, HOST_LINK, TestPackets.udp(CLIENT, 1024 + i, SERVER, 53, false));
        }
        assertEquals(16_384, nat.connectionsOf(FRONTEND, ip(CLIENT)));
        final long start = System.nanoTime();
        assertEquals(16_384, nat.removeEndpoint(FRONTEND, ip(CLIENT)));
        final double millis = (System.nanoTime() - start) / 1e6;
        System.out.printf("removeEndpoint over a %d-connection table: %.1f ms%n", 262_144, millis);
        assertEquals(0, nat.counters().connections());
    }
}
