package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.List;

/**
 * IPv6 published ports reached from beyond the host go through the switch, as IPv4's do ({@link
 * PublishedPortsIT}): the host's IPv6 port rules send them down the host link, the switch translates
 * them, and the container sees the client's own IPv6 address and port. {@code -p 8080:80} on a
 * dual-stack network is published on both families. Everything jvs adds to the host's IPv6 routing
 * goes again on detach, on stop and after a kill -9, and a second daemon does not disturb the first.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Ipv6PublishedPortsIT {
    static final String HOST_IP = "10.71.0.1";
    static final String OUTSIDE_IP = "10.71.0.2";
    static final String HOST6 = "fd71::1";
    static final String OUTSIDE6 = "fd71::2";
    /** The gateway of front6 as the IPv6 report server sees a relayed client: an IPv4-mapped address. */
    static final String RELAYED = "client=::ffff:10.72.0.1 ";

    static DaemonFixture f;
    static BeyondTheHost beyond;
    static OutsideClient outside6;
    static HostRouting routing6;
    static PublishedWeb web;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-pub6", false);
        beyond = new BeyondTheHost(f, HOST_IP, OUTSIDE_IP, HOST6, OUTSIDE6);
        outside6 = beyond.ipv6;
        routing6 = new HostRouting(f, "-6");
        web = new PublishedWeb(
                f,
                routing6,
                "front6",
                "--ip6",
                "fd00:72::50",
                "-p",
                "[::]:8080:80",
                "-p",
                "[::]:5353:53/udp",
                "-p",
                "8081:81",
                "-p",
                "[::1]:9000:80");
        f.startDaemon();
        f.ok("network", "create", "front6", "--ipv6", "--subnet", "10.72.0.0/24", "--subnet", "fd00:72::/64");
        web.noteTheRoutingBeforeAttach();
        web.attach();
        beyond.startServer(web.netns, f.dir.resolve("web.log"), "80,81", "53", "6");
    }

    @AfterAll
    static void tearDown() throws Exception {
        BeyondTheHost.close(beyond, f);
    }

    /** What the host's own client ({@code curl args}) got: the container's answer through the relay. */
    static String fromTheHost(String... args) {
        return beyond.curl(f.host, args);
    }

    /** {@code ip -6 rule <verb>} of a rule for TCP port 8090 to {@code table}, as jvs would install it. */
    static void ipRule8090(String verb, String table) {
        f.lab.check(
                f.host,
                "ip",
                "-6",
                "rule",
                verb,
                "pref",
                "95",
                "ipproto",
                "tcp",
                "dport",
                "8090",
                "lookup",
                table,
                "protocol",
                "242");
    }

    @Test
    @Order(1)
    void aClientBeyondTheHostIsSeenWithItsOwnIpv6AddressAndPort() {
        final String body = outside6.assertSeenAsItself(8080);
        outside6.assertTrackedAsDnat(OutsideClient.peerPort(body), 8080);
    }

    @Test
    @Order(2)
    void udpFromBeyondTheHostToo() {
        outside6.assertUdpSeenAsItself(5353);
    }

    /** {@code -p 8081:81} on a dual-stack network: both families from beyond the host, both from the host. */
    @Test
    @Order(3)
    void aPortWithoutHostIpIsPublishedOnBothFamilies() {
        outside6.assertSeenAsItself(8081);
        // The server listens on IPv6 and sees an IPv4 client as a mapped address.
        final String ipv4 = beyond.ipv4.get(8081);
        assertTrue(ipv4.startsWith("client=::ffff:" + OUTSIDE_IP + " "), ipv4);
        // The host's own clients through the listeners, relayed from the gateway.
        assertTrue(fromTheHost("http://127.0.0.1:8081/").startsWith(RELAYED));
        assertTrue(fromTheHost("-6", "http://[::1]:8081/").startsWith(RELAYED));
        final String listening = f.lab.check(f.host, "ss", "-Htln", "sport = :8081");
        assertTrue(listening.contains("0.0.0.0:8081") && listening.contains("[::]:8081"), listening);
    }

    @Test
    @Order(4)
    void theHostsOwnIpv6ClientsStillGoThroughTheRelay() {
        assertTrue(fromTheHost(outside6.url(8080)).startsWith(RELAYED));
        assertTrue(fromTheHost("http://[::1]:9000/").startsWith(RELAYED));
        outside6.assertCannotReach(9000, "[::1]:9000:80 is for this host's clients only");
    }

    @Test
    @Order(5)
    void portsSayWhichPathAndListTheIpv6HostRules() {
        final String ports = f.ok("ports").out();
        final List<String> rows = ports.lines().skip(1).toList();
        assertEquals(5, rows.size(), ports);
        for (String line : rows) {
            assertTrue(
                    line.strip().endsWith(line.contains("[::1]:9000") ? " host:relay" : "outside:dataplane host:relay"),
                    line);
        }
        final String hostRules = f.ok("ports", "--host-rules").out();
        for (String rule : List.of("ipproto tcp dport 8080 lookup", "ipproto udp dport 5353 lookup")) {
            assertEquals(1, hostRules.lines().filter(l -> l.contains(rule)).count(), hostRules);
        }
        assertEquals(
                2,
                hostRules
                        .lines()
                        .filter(l -> l.contains("ipproto tcp dport 8081 lookup"))
                        .count(),
                hostRules);
        assertFalse(hostRules.contains("9000"), hostRules);
        assertTrue(hostRules.contains("route " + HOST6 + " via fe80::"), hostRules);
        final String rules = routing6.rules();
        assertTrue(rules.contains("iif lo goto 100") && rules.contains("100:"), rules);
        assertTrue(rules.lines().noneMatch(l -> l.startsWith("0:")), "the local table's rule moved from 0: " + rules);
    }

    /**
     * An IPv6 rule the kernel refuses (here: the same rule is there already, EEXIST) fails the attach
     * with a message, and nothing is left of it: no endpoint, no listener, no rule of either family.
     */
    @Test
    @Order(6)
    void aPortWhoseIpv6RuleCannotBeInstalledFailsTheAttachAndChangesNothing() {
        final String hostRules = f.ok("ports", "--host-rules").out();
        final String table = hostRules.substring(hostRules.indexOf("lookup ") + "lookup ".length())
                .split("\\s+")[0];
        final HostRouting routing4 = new HostRouting(f, "-4");
        ipRule8090("add", table);
        try {
            final String rules4 = routing4.rules();
            final String rules6 = routing6.rules();
            final String late = f.container("late");
            final DaemonFixture.Cli refused =
                    f.jvs("attach", "--netns", late, "--network", "front6", "--name", "late", "-p", "8090:80");
            assertEquals(1, refused.exit(), refused.out() + refused.err());
            assertTrue(refused.err().contains("cannot route the published ports to the switch"), refused.err());
            assertEquals(rules4, routing4.rules(), "the IPv4 half's rule went again");
            assertEquals(rules6, routing6.rules());
            assertTrue(f.lab.check(f.host, "ss", "-Htln", "sport = :8090").isBlank(), "no listener is left");
            assertFalse(f.ok("ports").out().contains("8090"));
            assertFalse(f.ok("network", "inspect", "front6").out().contains("late"));
        } finally {
            ipRule8090("del", table);
        }
    }

    @Test
    @Order(7)
    void detachStopAndKillLeaveTheHostsIpv6RoutingAsItWas() throws Exception {
        web.assertDetachLeavesTheRoutingAsItWas();
        outside6.assertSeenAsItself(8080);
        web.assertStopLeavesTheRoutingAsItWas();
        outside6.assertSeenAsItself(8080);
        routing6.assertKillLeavesRulesTheNextStartReplaces(8080);
        outside6.assertSeenAsItself(8080);
        web.assertDetachLeavesTheRoutingAsItWas();
    }

    @Test
    @Order(8)
    void aSecondDaemonWithOtherIpv6PortsDoesNotDisturbTheFirst() throws Exception {
        final String other = f.container("other");
        try (SecondDaemon second = new SecondDaemon(f)) {
            // No masquerade: the IPv6 masquerade address is one per host, and this test is about ports.
            second.ok(
                    "network",
                    "create",
                    "side6",
                    "--ipv6",
                    "--subnet",
                    "10.73.0.0/24",
                    "--subnet",
                    "fd00:73::/64",
                    "--masquerade=false");
            second.ok("attach", "--netns", other, "--network", "side6", "--name", "other", "-p", "[::]:8082:80");
            beyond.startServer(other, f.dir.resolve("other.log"), "80", "", "6");
            outside6.assertSeenAsItself(8082);
            outside6.assertSeenAsItself(8080);
            second.close();
            // the first daemon's port still works once the second stopped, and the second's rule went
            outside6.assertSeenAsItself(8080);
            assertFalse(routing6.rules().contains("dport 8082"), routing6.rules());
        }
        web.assertLastDetachPutsTheRulesBack();
    }
}
