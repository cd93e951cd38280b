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
    static String web;
    static String rulesBeforeDaemon;
    static String routesBeforeDaemon;
    static String rulesBeforeAttach;
    static String routesBeforeAttach;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-pub6only", false);
        beyond = new BeyondTheHost(f, null, null, HOST6, OUTSIDE6);
        web = f.container("web");
        f.lab.check(f.host, "ip", "-6", "route", "add", ROUTED, "via", OUTSIDE6);
        rulesBeforeDaemon = beyond.rules("-6");
        routesBeforeDaemon = beyond.routes("-6");
        f.startDaemon();
    }

    @AfterAll
    static void tearDown() throws Exception {
        BeyondTheHost.close(beyond, f);
    }

    static void attachWeb() {
        f.ok(
                "attach",
                "--netns",
                web,
                "--network",
                "v6only",
                "--name",
                "web",
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
    }

    static String outsideCurl(int port) {
        return beyond.curl(beyond.outside, "-6", "http://[" + HOST6 + "]:" + port + "/");
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
        beyond.settled();
        rulesBeforeAttach = beyond.rules("-6");
        routesBeforeAttach = beyond.routes("-6");
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
        assertEquals(rulesBeforeAttach, beyond.rules("-6"));
        assertEquals(routesBeforeAttach, beyond.routes("-6"));
    }

    @Test
    @Order(3)
    void aClientBeyondTheHostIsSeenWithItsOwnIpv6AddressOnEveryForm() throws Exception {
        attachWeb();
        beyond.startServer(web, f.dir.resolve("web.log"), "80,81", "53", "6");
        for (int port : List.of(8080, 8081)) {
            final String body = outsideCurl(port);
            assertTrue(body.startsWith("client=" + OUTSIDE6 + " ") && body.contains("peer=" + OUTSIDE6 + ":"), body);
        }
        final JsonNode connections = f.ok("conntrack", "--json").json().path("connections");
        boolean seen = false;
        for (JsonNode c : connections) {
            seen |= c.path("source").asText().startsWith(OUTSIDE6 + ":")
                    && c.path("destination").asText().equals(HOST6 + ":8080")
                    && c.path("nat").asText().equals("dnat");
        }
        assertTrue(seen, "the switch tracked the connection as DNAT only: " + connections);
        final String listening = f.lab.check(f.host, "ss", "-Htln", "sport = :8080");
        assertTrue(listening.contains("[::]:8080") && !listening.contains("0.0.0.0:8080"), listening);
    }

    @Test
    @Order(4)
    void udpFromBeyondTheHostToo() {
        final CommandRunner.Result nc =
                f.lab.exec(beyond.outside, "sh", "-c", "echo hello | nc -6 -u -w 2 " + HOST6 + " 5353");
        assertTrue(nc.stdout().startsWith("client=" + OUTSIDE6 + " peer=" + OUTSIDE6 + ":"), nc.stdout() + nc.stderr());
        assertTrue(nc.stdout().contains("hello"), nc.stdout());
    }

    @Test
    @Order(5)
    void theHostsOwnClientsGoThroughTheListenerToTheContainersIpv6Address() {
        for (String url : List.of("http://[::1]:8080/", "http://[::1]:9000/", "http://[" + HOST6 + "]:8081/")) {
            assertTrue(beyond.curl(f.host, "-6", url).startsWith("client=" + GATEWAY6 + " "), url);
        }
        final CommandRunner.Result udp = f.lab.exec(f.host, "sh", "-c", "echo hi | nc -6 -u -w 2 ::1 5353");
        assertTrue(udp.stdout().startsWith("client=" + GATEWAY6 + " "), udp.stdout() + udp.stderr());
        assertFalse(
                f.lab.exec(beyond.outside, "curl", "-sS", "-g", "--max-time", "2", "http://[" + HOST6 + "]:9000/")
                        .ok(),
                "[::1]:9000:80 is for this host's clients only");
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
        assertTrue(
                f.lab.check(f.host, "ip", "-4", "rule", "show").lines().noneMatch(l -> l.contains("proto 242")),
                "nothing for IPv4");
    }

    @Test
    @Order(7)
    void detachStopAndKillLeaveTheHostsIpv6RoutingAsItWas() throws Exception {
        f.ok("detach", "web", "--network", "v6only");
        assertEquals(rulesBeforeAttach, beyond.rules("-6"), "detach removed every rule");
        assertEquals(routesBeforeAttach, beyond.routes("-6"), "and every route");
        attachWeb();
        assertTrue(outsideCurl(8080).startsWith("client=" + OUTSIDE6 + " "));
        f.daemon.close();
        assertEquals(rulesBeforeDaemon, beyond.rules("-6"), "stop removed every rule");
        assertEquals(routesBeforeDaemon, beyond.routes("-6"), "and every route");
        f.startDaemon();
        assertTrue(outsideCurl(8080).startsWith("client=" + OUTSIDE6 + " "));
        assertTrue(beyond.curl(f.host, "-6", "http://[::1]:8080/").startsWith("client=" + GATEWAY6 + " "));
        f.daemon.kill();
        assertTrue(beyond.rules("-6").contains("proto 242"), "kill -9 leaves the rules behind");
        f.startDaemon();
        final String after = beyond.rules("-6");
        assertEquals(1, after.lines().filter(l -> l.contains("dport 8080 ")).count(), after);
        assertTrue(outsideCurl(8080).startsWith("client=" + OUTSIDE6 + " "));
        f.ok("detach", "web", "--network", "v6only");
        beyond.settled();
        assertEquals(rulesBeforeAttach, beyond.rules("-6"));
        assertEquals(routesBeforeAttach, beyond.routes("-6"));
    }
}
