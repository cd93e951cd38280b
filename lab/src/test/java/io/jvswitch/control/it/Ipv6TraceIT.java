package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * {@code jvs trace} of IPv6 packets against a real daemon: synthetic packets described in words
 * (within a network, to the gateway, beyond the networks, to an isolated network, a neighbor
 * solicitation, from an IPv6-only network) and a real ping6 caught with {@code --match}, each
 * naming the stages it passes and its verdict; bad descriptions refused with a message.
 */
class Ipv6TraceIT {
    static DaemonFixture f;
    static String c1;
    static String c2;
    static String c3;
    static String c4;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-tr6");
        c1 = f.container("c1");
        c2 = f.container("c2");
        c3 = f.container("c3");
        c4 = f.container("c4");
        f.ok("network", "create", "web", "--ipv6", "--subnet", "10.93.0.0/24", "--subnet", "fd00:30::/64");
        f.ok("network", "create", "db", "--ipv6", "--subnet", "10.94.0.0/24", "--subnet", "fd00:31::/64");
        f.ok("network", "create", "only6", "--ipv4=false", "--ipv6", "--subnet", "fd00:32::/64");
        f.ok("attach", "--netns", c1, "--network", "web", "--name", "c1", "--ip6", "fd00:30::10");
        f.ok("attach", "--netns", c2, "--network", "web", "--name", "c2", "--ip6", "fd00:30::20");
        f.ok("attach", "--netns", c3, "--network", "db", "--name", "c3", "--ip6", "fd00:31::30");
        f.ok("attach", "--netns", c4, "--network", "only6", "--name", "c4", "--ip6", "fd00:32::40");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    /** The CLI's words for a trace from {@code from} of {@code packet} (space-separated). */
    static String[] traceArgs(String from, String packet) {
        return Stream.concat(Stream.of("trace", "--from", from), Arrays.stream(packet.split(" ")))
                .toArray(String[]::new);
    }

    /** Traces {@code packet} from {@code from}: the stages named, and each of {@code says} in the trace. */
    static String assertTrace(String from, String packet, List<String> stages, String... says) {
        return assertSays(f.ok(traceArgs(from, packet)).out(), stages, says);
    }

    static String assertSays(String trace, List<String> stages, String... says) {
        System.out.println(trace); // the report shows what each trace said
        for (String stage : stages) {
            assertTrue(trace.contains(" " + stage + " "), "stage " + stage + " in\n" + trace);
        }
        for (String text : says) {
            assertTrue(trace.contains(text), "'" + text + "' in\n" + trace);
        }
        return trace;
    }

    @Test
    void withinANetworkThePacketIsSwitchedToTheEndpoint() {
        assertTrace(
                "c1",
                "tcp6 dst fd00:30::20 port 80",
                List.of("rx", "ingress-checks", "port-security", "l2-lookup"),
                "ethertype 0x86dd",
                "verdict: forwarded to c2");
        // tcp with an IPv6 address is IPv6 too, as in tcpdump
        assertTrace("c1", "tcp dst fd00:30::20 port 80", List.of("port-security"), "verdict: forwarded to c2");
    }

    @Test
    void aNeighborSolicitationIsAnsweredByProxyNdp() {
        assertTrace(
                "c1",
                "icmp6 who-has fd00:30::20",
                List.of("port-security", "ndp-proxy"),
                "who-has fd00:30::20: IPv6 address book of web says",
                "verdict: answered (proxy-NDP) out of c1");
    }

    @Test
    void theGatewayAnswersPing6() {
        assertTrace(
                "c1",
                "icmp6 dst fd00:30::1",
                List.of("port-security", "gateway"),
                "echo request to fd00:30::1: answered by the switch",
                "verdict: answered (ICMPv6 echo reply) out of c1");
    }

    @Test
    void beyondTheNetworksThePacketIsMasqueradedToTheHostLink() {
        assertTrace(
                "c1",
                "udp6 dst fd99::53 port 53",
                List.of("port-security", "nat", "route"),
                "fd99::53 is beyond the networks: to the host link",
                "would open udp [fd00:30::10]:40000 -> [fd99::53]:53, source masqueraded as ",
                "verdict: routed to the host link");
    }

    @Test
    void aTrackedConnectionIsNamedWithItsTranslation() throws Exception {
        // A real datagram from c1 beyond the networks opens a masqueraded connection; the synthetic
        // packet of the same flow is then recognised as part of it.
        final String send = "import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM);"
                + " s.bind(('fd00:30::10', 40053)); s.sendto(b'x', ('fd99::54', 53))";
        f.lab.check(c1, "python3", "-c", send);
        final String packet = "udp6 sport 40053 dst fd99::54 port 53";
        Await.until(
                "the trace sees the connection c1 opened",
                Duration.ofSeconds(10),
                () -> f.ok(traceArgs("c1", packet)).out().contains("matches the tracked connection"));
        assertTrace(
                "c1",
                packet,
                List.of("nat", "route"),
                "matches the tracked connection udp [fd00:30::10]:40053 -> [fd99::54]:53 (original direction):"
                        + " translated to [",
                "]:40053 -> [fd99::54]:53",
                "verdict: routed to the host link");
    }

    @Test
    void aRealMasqueradedDatagramNamesItsTranslation() throws Exception {
        final String send = "import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM);"
                + " s.bind(('fd00:30::10', 40055)); s.sendto(b'x', ('fd99::55', 53))";
        assertRealTrace(
                "udp and dst port 53",
                () -> f.lab.exec(c1, "python3", "-c", send),
                List.of("port-security", "nat (pre-route)", "route", "nat (post-route)"),
                "unchanged: [fd00:30::10]:40055 -> [fd99::55]:53",
                "source [fd00:30::10]:40055 translated to [fd4a:5653::1]:",
                "verdict: routed to the host link");
    }

    @Test
    void anotherNetworkIsIsolated() {
        assertTrace(
                "c1",
                "icmp6 dst fd00:31::30",
                List.of("port-security", "route"),
                "fd00:31::30 is in network db: networks are isolated",
                "verdict: dropped at c1: isolated");
    }

    @Test
    void anIpv6OnlyNetworkTracesIpv6AndRefusesIpv4() {
        assertTrace(
                "c4", "icmp6 dst fd00:32::1", List.of("gateway"), "verdict: answered (ICMPv6 echo reply) out of c4");
        assertRefused("c4", "icmp dst 10.93.0.2", "c4 on only6 has none: describe an IPv6 one");
    }

    @Test
    void badDescriptionsAreRefusedWithAMessage() {
        assertRefused("c1", "icmp6 dst 10.93.0.3", "icmp6 is IPv6, and 10.93.0.3 is an IPv4 address");
        assertRefused("c1", "tcp6 dst 10.93.0.3 port 80", "tcp6 is IPv6, and 10.93.0.3 is an IPv4 address");
        assertRefused("c1", "icmp dst fd00:30::20", "icmp is IPv4's ICMP; for ICMPv6 to fd00:30::20 say icmp6");
        assertRefused("c1", "arp who-has fd00:30::20", "say icmp6 who-has");
        assertRefused("c1", "icmp6 dst fd00:30::zz", "invalid destination 'fd00:30::zz': not an IPv6 address");
        assertRefused("c1", "tcp src 10.93.0.2 dst fd00:30::20 port 80", "must both be IPv4 or both IPv6");
        assertRefused("c1", "udp6 dst fd00:30::20", "say the destination port");
    }

    static void assertRefused(String from, String packet, String message) {
        final DaemonFixture.Cli cli = f.jvs(traceArgs(from, packet));
        assertEquals(1, cli.exit(), packet + ": " + cli.out());
        assertTrue(cli.err().contains(message), cli.err());
    }

    @Test
    void aRealPing6IsTracedWithMatch() throws Exception {
        // Echo requests only (ICMPv6 type 128): neighbor discovery is ICMPv6 as well.
        assertRealTrace(
                "icmp6 and ip6[40] == 128",
                () -> f.lab.exec(c1, "ping", "-6", "-c", "1", "-W", "1", "fd00:30::20"),
                List.of("rx", "ingress-checks", "port-security", "l2-lookup"),
                "real frame matching: icmp6",
                "FDB of web: 02:4a:0a:5d:00:03 -> port c2",
                "verdict: forwarded to c2");
    }

    /**
     * Traces the next real frame from c1 matching {@code match}, sending with {@code send} until
     * the trace (armed some time after the command starts) has seen one; then as {@link #assertTrace}.
     */
    static void assertRealTrace(String match, Runnable send, List<String> stages, String... says) throws Exception {
        final CompletableFuture<String> trace =
                CompletableFuture.supplyAsync(() -> f.ok("trace", "--from", "c1", "--match", match, "--timeout", "20")
                        .out());
        Await.until("the trace sees a frame matching " + match, Duration.ofSeconds(25), () -> {
            if (!trace.isDone()) {
                send.run();
            }
            return trace.isDone();
        });
        assertSays(trace.get(), stages, says);
    }
}
