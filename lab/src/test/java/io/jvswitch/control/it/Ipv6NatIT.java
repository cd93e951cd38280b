package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * IPv6 masquerade with real clients and a real daemon: the daemon's namespace is the host,
 * "outside" a namespace behind it on a veth (IPv6 only), standing for the world. The outside
 * servers answer with the client address they saw: the masquerade address for a network that
 * masquerades, the container's own for one with {@code --masquerade=false}. Path MTU discovery
 * through the masquerade needs the host's ICMPv6 "packet too big" translated back to the container.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Ipv6NatIT {
    static DaemonFixture f;
    static final List<Process> servers = new ArrayList<>();
    static String web;
    static String flat;
    static String outside;
    static String hostEnd;
    static String rulesBefore;
    static String routesBefore;
    static final String HOST6 = "fd77::1";
    static final String OUTSIDE6 = "fd77::2";
    static final String MASQ6 = "fd4a:5653::1";
    static final int OUTSIDE_MTU = 1400;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-nat6", false);
        web = f.container("web");
        flat = f.container("flat");
        outside = f.container("outside");
        hostEnd = "vn6" + Long.toString(System.nanoTime() % 10000, 36);
        f.lab.check(f.host, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", outside);
        f.lab.check(f.host, "ip", "link", "set", hostEnd, "mtu", Integer.toString(OUTSIDE_MTU), "up");
        f.lab.check(f.host, "ip", "-6", "addr", "add", HOST6 + "/64", "dev", hostEnd, "nodad");
        f.lab.check(f.host, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
        f.lab.check(outside, "ip", "link", "set", "eth0", "mtu", Integer.toString(OUTSIDE_MTU), "up");
        f.lab.check(outside, "ip", "-6", "addr", "add", OUTSIDE6 + "/64", "dev", "eth0", "nodad");
        f.lab.check(outside, "ip", "-6", "route", "add", "default", "via", HOST6);
        // What the host's routing is before jvs: it must be so again once the daemon has stopped. The
        // link-local addresses' duplicate address detection first, so their routes are all there.
        Await.until(
                "the host's IPv6 addresses settled",
                Duration.ofSeconds(10),
                () -> f.lab.check(f.host, "ip", "-6", "address", "show", "tentative")
                        .isBlank());
        rulesBefore = f.lab.check(f.host, "ip", "-6", "rule", "show");
        routesBefore = routes();
        f.startDaemon();

        f.ok("network", "create", "web6", "--ipv6", "--subnet", "10.86.0.0/24", "--subnet", "fd00:86::/64");
        f.ok(
                "network",
                "create",
                "flat6",
                "--ipv6",
                "--subnet",
                "10.87.0.0/24",
                "--subnet",
                "fd00:87::/64",
                "--masquerade=false");
        f.ok(
                "attach",
                "--netns",
                web,
                "--network",
                "web6",
                "--name",
                "web",
                "--ip6",
                "fd00:86::50",
                "-p",
                "[::1]:8080:80",
                "-p",
                "[::]:8081:81");
        f.ok("attach", "--netns", flat, "--network", "flat6", "--name", "flat", "--ip6", "fd00:87::50");
        // Only routed, never masqueraded: the world must know the way back to this network.
        f.lab.check(outside, "ip", "-6", "route", "add", "fd00:87::/64", "via", HOST6);
        final Path script = f.dir.resolve("report_server.py");
        try (InputStream in = Ipv6NatIT.class.getResourceAsStream("/nat/report_server.py")) {
            Files.copy(in, script);
        }
        final Path log = f.dir.resolve("outside-server.log");
        servers.add(f.lab.start(outside, log, "python3", "-u", script.toString(), "8000", "8001", "6"));
        Readiness.printed(log, "ready");
        final Path webLog = f.dir.resolve("web-server.log");
        servers.add(f.lab.start(web, webLog, "python3", "-u", script.toString(), "80", ""));
        Readiness.printed(webLog, "ready");
        final Path web6Log = f.dir.resolve("web6-server.log");
        servers.add(f.lab.start(web, web6Log, "python3", "-u", script.toString(), "81", "", "6"));
        Readiness.printed(web6Log, "ready");
    }

    /** The host's IPv6 routes in every table. */
    static String routes() {
        return f.lab.check(f.host, "ip", "-6", "route", "show", "table", "all");
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (Process p : servers) {
            p.destroy();
            p.waitFor();
        }
        if (f != null) {
            f.close();
        }
    }

    static String curl6(String namespace, String url) throws InterruptedException {
        final CommandRunner.Result result =
                GatewayIT.retry(() -> f.lab.exec(namespace, "curl", "-6", "-sS", "--max-time", "3", url));
        assertTrue(
                result.ok(),
                "curl " + url + " from " + namespace + ": " + result.stderr() + "\ndaemon log:\n" + f.daemon.logText());
        return result.stdout().trim();
    }

    @Test
    @Order(1)
    void aMasqueradingNetworkReachesTheWorldAsTheMasqueradeAddress() throws Exception {
        assertEquals(MASQ6, NatIT.clientSeenBy(curl6(web, "http://[" + OUTSIDE6 + "]:8000/")));
        final JsonNode conntrack = f.ok("conntrack", "--json").json();
        boolean seen = false;
        for (JsonNode c : conntrack.path("connections")) {
            seen |= c.path("source").asText().startsWith("fd00:86::50:")
                    && c.path("replyDestination").asText().startsWith(MASQ6 + ":")
                    && c.path("nat").asText().equals("snat");
        }
        assertTrue(seen, conntrack.toString());
    }

    @Test
    @Order(2)
    void withMasqueradeOffTheWorldSeesTheContainer() throws Exception {
        assertEquals("fd00:87::50", NatIT.clientSeenBy(curl6(flat, "http://[" + OUTSIDE6 + "]:8000/")));
    }

    @Test
    @Order(3)
    void udpAndPingAreMasqueradedToo() {
        final CommandRunner.Result nc = f.lab.exec(web, "sh", "-c", "echo hello | nc -6 -u -w 2 " + OUTSIDE6 + " 8001");
        assertTrue(nc.stdout().startsWith("client=" + MASQ6 + " "), nc.stdout() + nc.stderr());
        assertTrue(nc.stdout().contains("hello"), nc.stdout());
        assertTrue(
                f.lab.exec(web, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", OUTSIDE6)
                        .ok(),
                "ping6 through the masquerade");
    }

    /**
     * The host refuses a packet larger than the outside link's MTU with "packet too big" to the
     * masquerade address; translated back, it reaches the container, whose kernel then knows the MTU.
     */
    @Test
    @Order(3)
    void packetTooBigReachesTheContainerThroughTheMasquerade() {
        final CommandRunner.Result big =
                f.lab.exec(web, "ping", "-6", "-c", "3", "-i", "0.3", "-W", "2", "-M", "do", "-s", "1450", OUTSIDE6);
        final CommandRunner.Result route = f.lab.exec(web, "ip", "-6", "route", "get", OUTSIDE6);
        assertTrue(
                route.stdout().contains("mtu " + OUTSIDE_MTU) || big.stdout().contains("mtu=" + OUTSIDE_MTU),
                "ping: " + big.stdout() + big.stderr() + "\nroute: " + route.stdout());
    }

    /** {@code -p [::1]:8080:80}: the host's own IPv6 clients reach the container through the listener. */
    @Test
    @Order(4)
    void aPortPublishedOnTheIpv6LoopbackAnswersTheHost() throws Exception {
        assertEquals("10.86.0.1", NatIT.clientSeenBy(curl6(f.host, "http://[::1]:8080/")));
        final String ports = f.ok("ports").out();
        assertTrue(ports.lines().anyMatch(l -> l.contains("[::1]:8080") && l.contains("host:relay")), ports);
        final String hostRules = f.ok("ports", "--host-rules").out();
        assertTrue(
                !hostRules.contains("8080") && hostRules.contains("dport 8081"),
                "no host rule for [::1]: " + hostRules);
    }

    /**
     * {@code -p [::]:8081:81} reached from a container of another network at a host address: the
     * router translates it (DNAT to the container's IPv6 address), and the server sees the client.
     */
    @Test
    @Order(4)
    void aPortPublishedOnAnIpv6HostAddressIsTranslatedForContainers() throws Exception {
        assertEquals("fd00:87::50", NatIT.clientSeenBy(curl6(flat, "http://[" + HOST6 + "]:8081/")));
    }

    @Test
    @Order(5)
    void detachRemovesTheConnectionsAndStopLeavesTheHostAsItWas() throws Exception {
        assertTrue(f.lab.exec(f.host, "ss", "-Htln", "sport = :8080").stdout().contains("[::1]:8080"));
        f.ok("detach", "web", "--network", "web6");
        assertTrue(f.lab.exec(f.host, "ss", "-Htln", "sport = :8080").stdout().isBlank(), "the listener is gone");
        final JsonNode conntrack = f.ok("conntrack", "--json").json();
        for (JsonNode c : conntrack.path("connections")) {
            assertTrue(!c.path("source").asText().startsWith("fd00:86::50:"), conntrack.toString());
        }
        f.daemon.close();
        assertEquals(rulesBefore, f.lab.check(f.host, "ip", "-6", "rule", "show"));
        assertEquals(routesBefore, routes());
    }
}
