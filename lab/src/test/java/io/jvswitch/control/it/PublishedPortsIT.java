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

/**
 * Published ports reached from beyond the host go through the switch: the host's port rules send
 * them down the host link, the switch translates them, and the container sees the client's own
 * address and port. The host's own clients still go through the relay. Everything jvs adds to the
 * host's routing goes again on detach, on stop and after a kill -9, and a second daemon with other
 * ports does not disturb the first.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PublishedPortsIT {
    static final String HOST_IP = "10.61.0.1";
    static final String OUTSIDE_IP = "10.61.0.2";
    static DaemonFixture f;
    static BeyondTheHost beyond;
    static String outside;
    static String web;
    static String rulesBefore;
    static String routesBefore;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-pub");
        beyond = new BeyondTheHost(f, HOST_IP, OUTSIDE_IP, null, null);
        outside = beyond.outside;
        web = f.container("web");
        rulesBefore = rules();
        routesBefore = routesWithoutTheLink();
        f.ok("network", "create", "front", "--subnet", "10.62.0.0/24");
        attachWeb();
        beyond.startServer(web, f.dir.resolve("web.log"), "80", "53", "4");
    }

    static void attachWeb() {
        f.ok(
                "attach",
                "--netns",
                web,
                "--network",
                "front",
                "--name",
                "web",
                "-p",
                "8080:80",
                "-p",
                "5353:53/udp",
                "-p",
                "127.0.0.1:9000:80");
    }

    @AfterAll
    static void tearDown() throws Exception {
        BeyondTheHost.close(beyond, f);
    }

    static String rules() {
        return beyond.rules("-4");
    }

    /**
     * Every IPv4 route of every table but the host link's own, which come and go with the link (IPv6
     * link-local routes come and go with duplicate address detection, and jvs adds no IPv6 routes).
     */
    static String routesWithoutTheLink() {
        return String.join(
                "\n",
                f.lab.check(f.host, "ip", "-4", "route", "show", "table", "all")
                        .lines()
                        .filter(l -> !l.contains(" jvs0"))
                        .toList());
    }

    static String curl(String namespace, String url) {
        return beyond.curl(namespace, url);
    }

    @Test
    @Order(1)
    void aClientBeyondTheHostIsSeenWithItsOwnAddressAndPort() {
        final String body = curl(outside, "http://" + HOST_IP + ":8080/");
        assertTrue(body.startsWith("client=" + OUTSIDE_IP + " ") && body.contains("peer=" + OUTSIDE_IP + ":"), body);
        final JsonNode connections = f.ok("conntrack", "--json").json().path("connections");
        boolean seen = false;
        for (JsonNode c : connections) {
            seen |= c.path("source").asText().startsWith(OUTSIDE_IP + ":")
                    && c.path("destination").asText().equals(HOST_IP + ":8080")
                    && c.path("nat").asText().equals("dnat");
        }
        assertTrue(seen, "the switch tracked the connection as DNAT only: " + connections);
        // The client's own port reaches the server: the one curl chose is among the conntrack sources.
        final String peerPort =
                body.substring(body.indexOf("peer=")).split(":")[1].strip();
        boolean samePort = false;
        for (JsonNode c : connections) {
            samePort |= c.path("source").asText().equals(OUTSIDE_IP + ":" + peerPort);
        }
        assertTrue(samePort, "the server saw port " + peerPort + ": " + connections);
    }

    @Test
    @Order(2)
    void udpFromBeyondTheHostToo() {
        final CommandRunner.Result nc = f.lab.exec(outside, "sh", "-c", "echo hello | nc -u -w 2 " + HOST_IP + " 5353");
        assertTrue(
                nc.stdout().startsWith("client=" + OUTSIDE_IP + " peer=" + OUTSIDE_IP + ":"),
                nc.stdout() + nc.stderr());
        assertTrue(nc.stdout().contains("hello"), nc.stdout());
    }

    @Test
    @Order(3)
    void theHostsOwnClientsStillGoThroughTheRelay() {
        final String gateway = "10.62.0.1";
        assertTrue(curl(f.host, "http://127.0.0.1:8080/").startsWith("client=" + gateway + " "));
        assertTrue(curl(f.host, "http://" + HOST_IP + ":8080/").startsWith("client=" + gateway + " "));
        assertTrue(curl(f.host, "http://127.0.0.1:9000/").startsWith("client=" + gateway + " "));
        assertFalse(
                f.lab.exec(outside, "curl", "-sS", "--max-time", "2", "http://" + HOST_IP + ":9000/")
                        .ok(),
                "127.0.0.1:9000:80 is for this host's clients only");
    }

    @Test
    @Order(4)
    void portsSayWhichPathAndListTheHostRules() {
        final String ports = f.ok("ports").out();
        assertTrue(ports.contains("PATH"), ports);
        for (String line : ports.lines().skip(1).toList()) {
            if (line.contains("127.0.0.1:9000")) {
                assertTrue(line.strip().endsWith("host:relay"), line);
            } else {
                assertTrue(line.strip().endsWith("outside:dataplane host:relay"), line);
            }
        }
        final String hostRules = f.ok("ports", "--host-rules").out();
        assertTrue(hostRules.contains("ipproto tcp dport 8080 lookup"), hostRules);
        assertTrue(hostRules.contains("ipproto udp dport 5353 lookup"), hostRules);
        assertFalse(hostRules.contains("9000"), hostRules);
        assertTrue(hostRules.contains("iif lo goto 100") && hostRules.contains("100:"), hostRules);
        assertTrue(hostRules.contains("route " + HOST_IP + " via "), hostRules);
    }

    @Test
    @Order(5)
    void detachStopAndKillLeaveTheHostsRoutingAsItWas() throws Exception {
        f.ok("detach", "web", "--network", "front");
        assertEquals(rulesBefore, rules(), "detach removed every rule");
        assertEquals(routesBefore, routesWithoutTheLink(), "and every route");
        attachWeb();
        assertTrue(curl(outside, "http://" + HOST_IP + ":8080/").startsWith("client=" + OUTSIDE_IP + " "));
        // A clean stop: the rules go, and come back with the restored endpoint.
        f.daemon.close();
        assertEquals(rulesBefore, rules(), "stop removed every rule");
        assertEquals(routesBefore, routesWithoutTheLink());
        f.startDaemon();
        assertTrue(curl(outside, "http://" + HOST_IP + ":8080/").startsWith("client=" + OUTSIDE_IP + " "));
        // kill -9 leaves the rules; the next start replaces them, never adds a second copy.
        f.daemon.kill();
        assertTrue(rules().contains("proto 242"), "kill -9 leaves the rules behind:\n" + rules());
        f.startDaemon();
        final String after = rules();
        assertEquals(1, after.lines().filter(l -> l.contains("dport 8080 ")).count(), after);
        assertEquals(1, after.lines().filter(l -> l.contains("lookup local")).count(), after);
        assertTrue(curl(outside, "http://" + HOST_IP + ":8080/").startsWith("client=" + OUTSIDE_IP + " "));
        f.ok("detach", "web", "--network", "front");
        assertEquals(rulesBefore, rules());
        assertEquals(routesBefore, routesWithoutTheLink());
        attachWeb();
    }

    @Test
    @Order(6)
    void aSecondDaemonWithOtherPortsDoesNotDisturbTheFirst() throws Exception {
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
            final DaemonFixture.Cli created = f.jvsAt(socket, "network", "create", "side", "--subnet", "10.63.0.0/24");
            assertEquals(0, created.exit(), created.err());
            final DaemonFixture.Cli attached = f.jvsAt(
                    socket, "attach", "--netns", other, "--network", "side", "--name", "other", "-p", "8081:80");
            assertEquals(0, attached.exit(), attached.err() + second.logText());
            beyond.startServer(other, f.dir.resolve("other.log"), "80", "", "4");
            assertTrue(curl(outside, "http://" + HOST_IP + ":8081/").startsWith("client=" + OUTSIDE_IP + " "));
            assertTrue(curl(outside, "http://" + HOST_IP + ":8080/").startsWith("client=" + OUTSIDE_IP + " "));
            second.close();
            assertTrue(
                    curl(outside, "http://" + HOST_IP + ":8080/").startsWith("client=" + OUTSIDE_IP + " "),
                    "the first daemon's port still works once the second stopped");
            assertFalse(rules().contains("dport 8081"), rules());
        }
        f.ok("detach", "web", "--network", "front");
        assertEquals(rulesBefore, rules(), "the last daemon to leave put the local rule back");
    }
}
