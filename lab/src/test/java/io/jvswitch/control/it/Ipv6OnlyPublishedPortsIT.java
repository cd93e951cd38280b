package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.netns.CommandRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.List;

/**
 * Published ports on an IPv6-only network ({@code --ipv4=false --ipv6}), as on a dual-stack one
 * ({@link Ipv6PublishedPortsIT}) but with no IPv4 anywhere: a client beyond the host reaches the
 * container over IPv6 through the switch and is seen with its own address; the host's own clients
 * go through the listener, relayed to the container's IPv6 address. {@code -p 8080:80} publishes on
 * IPv6 only; an IPv4 host IP is refused and changes nothing. Detach, stop and kill -9 leave the
 * host's IPv6 rules and routes as they were.
 *
 * <p>First, the network's default IPv6 subnet: the daemon's namespace already routes the first
 * default /64 (beyond the host), so the network gets the second, and an explicit {@code --subnet}
 * over that route is refused with the route named.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Ipv6OnlyPublishedPortsIT {
    static final String HOST6 = "fd74::1";
    static final String OUTSIDE6 = "fd74::2";
    /** The first default IPv6 pool, which the host routes beyond it before jvs starts. */
    static final String ROUTED = "fd4a:7673:7769:1::/64";

    static final String SUBNET = "fd4a:7673:7769:2::/64";
    static final String GATEWAY6 = "fd4a:7673:7769:2::1";
    static final String WEB6 = "fd4a:7673:7769:2::50";
    static DaemonFixture f;
    static BeyondTheHost beyond;
    static OutsideClient outside6;
    static PublishedWeb web;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-pub6only", false);
        beyond = new BeyondTheHost(f, null, null, HOST6, OUTSIDE6);
        outside6 = beyond.ipv6;
        f.lab.check(f.host, "ip", "-6", "route", "add", ROUTED, "via", OUTSIDE6);
        web = new PublishedWeb(
                f,
                new HostRouting(f, "-6"),
                "v6only",
                "--ip6",
                WEB6,
                "-p",
                "8080:80",
                "-p",
                "[::]:8081:81",
                "-p",
                "[::]:5353:53/udp",
                "-p",
                "[::1]:9000:80");
        f.startDaemon();
    }

    @AfterAll
    static void tearDown() throws Exception {
        BeyondTheHost.close(beyond, f);
    }

    /** The host's own client reached the container's IPv6 address through the listener, relayed from the gateway. */
    static void assertRelayedFromTheGateway(String url) {
        final String body = beyond.curl(f.host, "-6", url);
        assertTrue(body.startsWith("client=" + GATEWAY6 + " "), url + ": " + body);
    }

    @Test
    @Order(1)
    void theDefaultIpv6SubnetAvoidsTheHostsRoutesAndAnExplicitOneOverARouteIsRefused() {
        final DaemonFixture.Cli refused =
                f.jvs("network", "create", "over", "--ipv4=false", "--ipv6", "--subnet", "fd4a:7673:7769:1:8000::/80");
        assertEquals(1, refused.exit(), refused.out() + refused.err());
        assertTrue(
                refused.err().contains("overlaps the host's route " + ROUTED), "the route is named: " + refused.err());
        assertFalse(f.ok("network", "ls").out().contains("over"), "nothing was created");
        f.ok("network", "create", "v6only", "--ipv4=false", "--ipv6");
        final JsonNode config =
                f.ok("network", "inspect", "v6only").json().path(0).path("IPAM").path("Config");
        assertEquals(SUBNET, config.path(0).path("Subnet").asText(), config.toString());
        web.noteTheRoutingBeforeAttach();
    }

    @Test
    @Order(2)
    void anIpv4HostIpIsRefusedAndChangesNothing() {
        final String late = f.container("late");
        for (String ipv4 : List.of("0.0.0.0:8080:80", "127.0.0.1:8080:80")) {
            final DaemonFixture.Cli refused =
                    f.jvs("attach", "--netns", late, "--network", "v6only", "--name", "late", "-p", ipv4);
            assertEquals(1, refused.exit(), refused.out() + refused.err());
            assertTrue(refused.err().contains("publishes on the IPv4 host address"), refused.err());
            assertTrue(refused.err().contains("IPv6-only"), refused.err());
        }
        assertFalse(f.ok("network", "inspect", "v6only").out().contains("late"), "no endpoint");
        assertFalse(f.lab.exec(late, "ip", "link", "show", "eth0").ok(), "no interface in the container");
        assertTrue(f.lab.check(f.host, "ss", "-Htlnu", "sport = :8080").isBlank(), "no listener");
        web.assertTheRoutingAsBeforeAttach("the refused attach");
    }

    @Test
    @Order(3)
    void aClientBeyondTheHostIsSeenWithItsOwnIpv6AddressOnEveryForm() throws Exception {
        web.attach();
        beyond.startServer(web.netns, f.dir.resolve("web.log"), "80,81", "53", "6");
        for (int port : List.of(8080, 8081)) {
            outside6.assertSeenAsItself(port);
        }
        outside6.assertTrackedAsDnat(null, 8080);
        final String listening = f.lab.check(f.host, "ss", "-Htln", "sport = :8080");
        assertTrue(listening.contains("[::]:8080") && !listening.contains("0.0.0.0:8080"), listening);
    }

    @Test
    @Order(4)
    void udpFromBeyondTheHostToo() {
        outside6.assertUdpSeenAsItself(5353);
    }

    @Test
    @Order(5)
    void theHostsOwnClientsGoThroughTheListenerToTheContainersIpv6Address() {
        for (String url : List.of("http://[::1]:8080/", "http://[::1]:9000/", outside6.url(8081))) {
            assertRelayedFromTheGateway(url);
        }
        final CommandRunner.Result udp = f.lab.exec(f.host, "sh", "-c", "echo hi | nc -6 -u -w 2 ::1 5353");
        assertTrue(udp.stdout().startsWith("client=" + GATEWAY6 + " "), udp.stdout() + udp.stderr());
        outside6.assertCannotReach(9000, "[::1]:9000:80 is for this host's clients only");
    }

    @Test
    @Order(6)
    void portsShowEachMappingAndItsPath() {
        final List<String> rows = f.ok("ports").out().lines().skip(1).toList();
        assertEquals(4, rows.size(), rows.toString());
        for (String line : rows) {
            assertTrue(line.contains(WEB6), line);
            assertTrue(line.contains("[::"), "every mapping is on an IPv6 host address: " + line);
            assertTrue(
                    line.strip().endsWith(line.contains("[::1]:9000") ? " host:relay" : "outside:dataplane host:relay"),
                    line);
        }
        final String hostRules = f.ok("ports", "--host-rules").out();
        for (String rule : List.of("tcp dport 8080 lookup", "tcp dport 8081 lookup", "udp dport 5353 lookup")) {
            assertEquals(1, hostRules.lines().filter(l -> l.contains(rule)).count(), hostRules);
        }
        assertFalse(hostRules.contains("9000"), hostRules);
        assertEquals(0, new HostRouting(f, "-4").rulesWith("proto 242"), "nothing for IPv4");
    }

    @Test
    @Order(7)
    void detachStopAndKillLeaveTheHostsIpv6RoutingAsItWas() throws Exception {
        web.assertDetachLeavesTheRoutingAsItWas();
        outside6.assertSeenAsItself(8080);
        web.assertStopLeavesTheRoutingAsItWas();
        outside6.assertSeenAsItself(8080);
        assertRelayedFromTheGateway("http://[::1]:8080/");
        web.routing.assertKillLeavesRulesTheNextStartReplaces(8080);
        outside6.assertSeenAsItself(8080);
        web.assertDetachLeavesTheRoutingAsItWas();
    }
}
