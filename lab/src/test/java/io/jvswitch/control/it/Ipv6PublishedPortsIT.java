package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.netns.CommandRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Path;
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
    static DaemonFixture f;
    static BeyondTheHost beyond;
    static String outside;
    static String web;
    static String rulesBeforeDaemon;
    static String routesBeforeDaemon;
    static String rulesBeforeAttach;
    static String routesBeforeAttach;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-pub6", false);
        beyond = new BeyondTheHost(f, HOST_IP, OUTSIDE_IP, HOST6, OUTSIDE6);
        outside = beyond.outside;
        web = f.container("web");
        rulesBeforeDaemon = rules6();
        routesBeforeDaemon = routes6();
        f.startDaemon();
        f.ok("network", "create", "front6", "--ipv6", "--subnet", "10.72.0.0/24", "--subnet", "fd00:72::/64");
        settled();
        rulesBeforeAttach = rules6();
        routesBeforeAttach = routes6();
        attachWeb();
        beyond.startServer(web, f.dir.resolve("web.log"), "80,81", "53", "6");
    }

    static void settled() {
        beyond.settled();
    }

    static void attachWeb() {
        f.ok(
                "attach",
                "--netns",
                web,
                "--network",
                "front6",
                "--name",
                "web",
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
    }

    @AfterAll
    static void tearDown() throws Exception {
        BeyondTheHost.close(beyond, f);
    }

    static String rules6() {
        return beyond.rules("-6");
    }

    static String routes6() {
        return beyond.routes("-6");
    }

    static String curl(String namespace, String... args) {
        return beyond.curl(namespace, args);
    }

    @Test
    @Order(1)
    void aClientBeyondTheHostIsSeenWithItsOwnIpv6AddressAndPort() {
        final String body = curl(outside, "http://[" + HOST6 + "]:8080/");
        assertTrue(body.startsWith("client=" + OUTSIDE6 + " ") && body.contains("peer=" + OUTSIDE6 + ":"), body);
        final String peerPort = body.substring(body.lastIndexOf(':') + 1).strip();
        final JsonNode connections = f.ok("conntrack", "--json").json().path("connections");
        boolean seen = false;
        for (JsonNode c : connections) {
            seen |= c.path("source").asText().equals(OUTSIDE6 + ":" + peerPort)
                    && c.path("destination").asText().equals(HOST6 + ":8080")
                    && c.path("nat").asText().equals("dnat");
        }
        assertTrue(seen, "the switch tracked the connection as DNAT only, with the client's port: " + connections);
    }

    @Test
    @Order(2)
    void udpFromBeyondTheHostToo() {
        final CommandRunner.Result nc =
                f.lab.exec(outside, "sh", "-c", "echo hello | nc -6 -u -w 2 " + HOST6 + " 5353");
        assertTrue(nc.stdout().startsWith("client=" + OUTSIDE6 + " peer=" + OUTSIDE6 + ":"), nc.stdout() + nc.stderr());
        assertTrue(nc.stdout().contains("hello"), nc.stdout());
    }

    /** {@code -p 8081:81} on a dual-stack network: both families from beyond the host, both from the host. */
    @Test
    @Order(3)
    void aPortWithoutHostIpIsPublishedOnBothFamilies() {
        assertTrue(curl(outside, "http://[" + HOST6 + "]:8081/").startsWith("client=" + OUTSIDE6 + " "));
        // The server listens on IPv6 and sees an IPv4 client as a mapped address.
        assertTrue(curl(outside, "http://" + HOST_IP + ":8081/").startsWith("client=::ffff:" + OUTSIDE_IP + " "));
        // The host's own clients through the listeners, relayed from the gateway.
        assertTrue(curl(f.host, "http://127.0.0.1:8081/").startsWith("client=::ffff:10.72.0.1 "));
        assertTrue(curl(f.host, "-6", "http://[::1]:8081/").startsWith("client=::ffff:10.72.0.1 "));
        final String listening = f.lab.check(f.host, "ss", "-Htln", "sport = :8081");
        assertTrue(listening.contains("0.0.0.0:8081") && listening.contains("[::]:8081"), listening);
    }

    @Test
    @Order(4)
    void theHostsOwnIpv6ClientsStillGoThroughTheRelay() {
        assertTrue(curl(f.host, "http://[" + HOST6 + "]:8080/").startsWith("client=::ffff:10.72.0.1 "));
        assertTrue(curl(f.host, "http://[::1]:9000/").startsWith("client=::ffff:10.72.0.1 "));
        assertFalse(
                f.lab.exec(outside, "curl", "-sS", "-g", "--max-time", "2", "http://[" + HOST6 + "]:9000/")
                        .ok(),
                "[::1]:9000:80 is for this host's clients only");
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
        final String rules = rules6();
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
        f.lab.check(
                f.host,
                "ip",
                "-6",
                "rule",
                "add",
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
        try {
            final String rules4 = f.lab.check(f.host, "ip", "-4", "rule", "show");
            final String rules6 = rules6();
            final String late = f.container("late");
            final DaemonFixture.Cli refused =
                    f.jvs("attach", "--netns", late, "--network", "front6", "--name", "late", "-p", "8090:80");
            assertEquals(1, refused.exit(), refused.out() + refused.err());
            assertTrue(refused.err().contains("cannot route the published ports to the switch"), refused.err());
            assertEquals(rules4, f.lab.check(f.host, "ip", "-4", "rule", "show"), "the IPv4 half's rule went again");
            assertEquals(rules6, rules6());
            assertTrue(f.lab.check(f.host, "ss", "-Htln", "sport = :8090").isBlank(), "no listener is left");
            assertFalse(f.ok("ports").out().contains("8090"));
            assertFalse(f.ok("network", "inspect", "front6").out().contains("late"));
        } finally {
            f.lab.check(
                    f.host,
                    "ip",
                    "-6",
                    "rule",
                    "del",
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
    }

    @Test
    @Order(7)
    void detachStopAndKillLeaveTheHostsIpv6RoutingAsItWas() throws Exception {
        f.ok("detach", "web", "--network", "front6");
        assertEquals(rulesBeforeAttach, rules6(), "detach removed every rule");
        assertEquals(routesBeforeAttach, routes6(), "and every route");
        attachWeb();
        assertTrue(curl(outside, "http://[" + HOST6 + "]:8080/").startsWith("client=" + OUTSIDE6 + " "));
        f.daemon.close();
        assertEquals(rulesBeforeDaemon, rules6(), "stop removed every rule");
        assertEquals(routesBeforeDaemon, routes6());
        f.startDaemon();
        assertTrue(curl(outside, "http://[" + HOST6 + "]:8080/").startsWith("client=" + OUTSIDE6 + " "));
        f.daemon.kill();
        assertTrue(rules6().contains("proto 242"), "kill -9 leaves the rules behind:\n" + rules6());
        f.startDaemon();
        final String after = rules6();
        assertEquals(1, after.lines().filter(l -> l.contains("dport 8080 ")).count(), after);
        assertEquals(1, after.lines().filter(l -> l.contains("lookup local")).count(), after);
        assertTrue(curl(outside, "http://[" + HOST6 + "]:8080/").startsWith("client=" + OUTSIDE6 + " "));
        f.ok("detach", "web", "--network", "front6");
        settled();
        assertEquals(rulesBeforeAttach, rules6());
        assertEquals(routesBeforeAttach, routes6());
        attachWeb();
    }

    @Test
    @Order(8)
    void aSecondDaemonWithOtherIpv6PortsDoesNotDisturbTheFirst() throws Exception {
        final Path socket = f.dir.resolve("second.sock");
        final String other = f.container("other");
        try (DaemonProcess second = DaemonProcess.start(
                f.host,
                socket,
                f.dir.resolve("second-state"),
                f.dir.resolve("second.log"),
                "--host-link",
                "jvs1",
                "--host-link-cidr",
                "169.254.44.0/30",
                "--masquerade-address",
                "169.254.45.1")) {
            // No masquerade: the IPv6 masquerade address is one per host, and this test is about ports.
            final DaemonFixture.Cli created = f.jvsAt(
                    socket,
                    "network",
                    "create",
                    "side6",
                    "--ipv6",
                    "--subnet",
                    "10.73.0.0/24",
                    "--subnet",
                    "fd00:73::/64",
                    "--masquerade=false");
            assertEquals(0, created.exit(), created.err());
            final DaemonFixture.Cli attached = f.jvsAt(
                    socket, "attach", "--netns", other, "--network", "side6", "--name", "other", "-p", "[::]:8082:80");
            assertEquals(0, attached.exit(), attached.err() + second.logText());
            beyond.startServer(other, f.dir.resolve("other.log"), "80", "", "6");
            assertTrue(curl(outside, "http://[" + HOST6 + "]:8082/").startsWith("client=" + OUTSIDE6 + " "));
            assertTrue(curl(outside, "http://[" + HOST6 + "]:8080/").startsWith("client=" + OUTSIDE6 + " "));
            second.close();
            assertTrue(
                    curl(outside, "http://[" + HOST6 + "]:8080/").startsWith("client=" + OUTSIDE6 + " "),
                    "the first daemon's port still works once the second stopped");
            assertFalse(rules6().contains("dport 8082"), rules6());
        }
        f.ok("detach", "web", "--network", "front6");
        assertEquals(rulesBeforeAttach, rules6(), "the last daemon to leave put the local rule back");
    }
}
