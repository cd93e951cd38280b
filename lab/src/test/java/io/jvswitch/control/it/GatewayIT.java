package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.api.Json;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway in the dataplane and the host link, with real clients: ping, curl both ways,
 * traceroute, path-MTU discovery, isolation and internal networks. The daemon's namespace is the
 * "host"; an "outside" namespace behind it stands for the world beyond the host.
 */
class GatewayIT {
    static DaemonFixture f;
    static String web;
    static String client;
    static String other;
    static String small;
    static String vault;
    static String outside;
    static String webIp;
    static final String OUTSIDE_IP = "10.250.0.2";

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-gw");
        web = f.container("web");
        client = f.container("client");
        other = f.container("other");
        small = f.container("small");
        vault = f.container("vault");
        outside = f.container("outside");
        f.ok("network", "create", "front", "--subnet", "10.93.0.0/24");
        f.ok("network", "create", "back", "--subnet", "10.94.0.0/24");
        f.ok("network", "create", "narrow", "--subnet", "10.95.0.0/24", "--mtu", "1280");
        f.ok("network", "create", "closed", "--subnet", "10.96.0.0/24", "--internal");
        f.ok("attach", "--netns", web, "--network", "front", "--name", "web");
        f.ok("attach", "--netns", client, "--network", "front", "--name", "client");
        f.ok("attach", "--netns", other, "--network", "back", "--name", "other");
        f.ok("attach", "--netns", small, "--network", "narrow", "--name", "small");
        f.ok("attach", "--netns", vault, "--network", "closed", "--name", "vault");
        webIp = f.ipOf("front", "web");
        // The world beyond the host: a veth from the host namespace to "outside", routed (no NAT).
        final String hostEnd = "vo" + Long.toString(System.nanoTime() % 100000, 36);
        f.lab.check(f.host, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", outside);
        f.lab.check(f.host, "ip", "addr", "add", "10.250.0.1/24", "dev", hostEnd);
        f.lab.check(f.host, "ip", "link", "set", hostEnd, "up");
        f.lab.check(f.host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        f.lab.check(outside, "ip", "addr", "add", OUTSIDE_IP + "/24", "dev", "eth0");
        f.lab.check(outside, "ip", "link", "set", "eth0", "up");
        f.lab.check(outside, "ip", "route", "add", "default", "via", "10.250.0.1");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void theGatewayAnswersPingFromItsContainers() {
        assertTrue(f.ping(client, "10.93.0.1", 3));
        assertTrue(f.port("client").path("gatewayAnswered").asLong() >= 3);
    }

    @Test
    void theHostReachesAContainerAndItsWebServer() throws Exception {
        assertTrue(f.ping(f.host, webIp, 3), "host -> container");
        final Process server = f.lab.start(
                web, f.dir.resolve("web-http.log"), "python3", "-m", "http.server", "8080", "--bind", webIp);
        try {
            final CommandRunner.Result curl =
                    retry(() -> f.lab.exec(f.host, "curl", "-sS", "--max-time", "3", "http://" + webIp + ":8080/"));
            assertTrue(curl.ok(), curl.stderr());
            assertTrue(curl.stdout().contains("Directory listing"), curl.stdout());
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    @Test
    void aContainerReachesTheHostThroughItsGateway() throws Exception {
        final Process server = f.lab.start(
                f.host, f.dir.resolve("host-http.log"), "python3", "-m", "http.server", "8081", "--bind", "0.0.0.0");
        try {
            final CommandRunner.Result curl =
                    retry(() -> f.lab.exec(client, "curl", "-sS", "--max-time", "3", "http://10.93.0.1:8081/"));
            assertTrue(curl.ok(), curl.stderr());
            assertTrue(curl.stdout().contains("Directory listing"), curl.stdout());
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    @Test
    void tracerouteShowsTheGatewayThenTheHostThenTheDestination() {
        final CommandRunner.Result trace =
                f.lab.exec(client, "traceroute", "-n", "-q", "1", "-w", "1", "-m", "5", OUTSIDE_IP);
        assertTrue(trace.ok(), trace.stderr());
        final List<String> hops =
                trace.stdout().lines().skip(1).map(String::trim).toList();
        assertTrue(hops.get(0).startsWith("1  10.93.0.1 "), "first hop is the gateway:\n" + trace.stdout());
        assertTrue(hops.getLast().contains(OUTSIDE_IP), "the destination is reached:\n" + trace.stdout());
        assertTrue(f.port("client").path("drops").path("ttl-exceeded").asLong() >= 1);
    }

    @Test
    void pathMtuDiscoveryLearnsTheSmallerNetworksMtu() {
        final String smallIp = f.ipOf("narrow", "small");
        f.lab.exec(f.host, "ping", "-c", "1", "-W", "1", "-M", "do", "-s", "1400", smallIp); // ICMP back: PMTU learned
        final CommandRunner.Result second =
                f.lab.exec(f.host, "ping", "-c", "1", "-W", "1", "-M", "do", "-s", "1400", smallIp);
        final String said = second.stdout() + second.stderr();
        assertFalse(second.ok());
        assertTrue(Pattern.compile("mtu ?= ?1280").matcher(said).find(), "ping reports the path MTU:\n" + said);
        final String route = f.lab.check(f.host, "ip", "route", "get", smallIp);
        assertTrue(route.contains("mtu 1280"), "the host cached the path MTU:\n" + route);
        assertTrue(f.ping(f.host, smallIp, 1), "small packets still pass");
        // Without DF, large packets are fragmented to the smaller MTU and arrive whole.
        assertTrue(f.lab.exec(f.host, "ping", "-c", "1", "-W", "2", "-M", "dont", "-s", "3000", smallIp)
                .ok());
    }

    @Test
    void aContainerReachesTheWorldBeyondTheHost() {
        f.lab.exec(outside, "ip", "route", "replace", "10.93.0.0/24", "via", "10.250.0.1"); // routed, no NAT
        assertTrue(f.ping(client, OUTSIDE_IP, 2));
    }

    @Test
    void networksStayIsolatedAndTheSenderIsTold() {
        final CommandRunner.Result ping = f.lab.exec(client, "ping", "-c", "1", "-W", "1", f.ipOf("back", "other"));
        assertFalse(ping.ok());
        final Matcher prohibited = Pattern.compile("(?i)prohibited|filtered").matcher(ping.stdout());
        assertTrue(prohibited.find(), "the gateway said why:\n" + ping.stdout());
        assertTrue(f.port("client").path("drops").path("isolated").asLong() >= 1);
    }

    @Test
    void anInternalNetworkReachesItsGatewayOnly() {
        assertTrue(f.ping(vault, "10.96.0.1", 1), "its gateway answers");
        f.lab.check(vault, "ip", "route", "replace", "default", "via", "10.96.0.1"); // even when the container insists
        assertFalse(f.ping(vault, "169.254.42.1", 1), "not the host");
        assertFalse(f.ping(vault, OUTSIDE_IP, 1), "nor anything beyond");
        assertFalse(f.ping(f.host, f.ipOf("closed", "vault"), 1), "and the host cannot reach in");
        assertTrue(f.port("vault").path("drops").path("internal-network").asLong() >= 1);
    }

    @Test
    void theHostLinkIsAPlainInterfaceInTheHost() {
        final String link = f.lab.check(f.host, "ip", "-o", "-4", "addr", "show", "dev", "jvs0");
        assertTrue(link.contains("169.254.42.1/30"), link);
        assertTrue(link.contains("10.93.0.1/32"), link);
        final String route = f.lab.check(f.host, "ip", "route", "show", "10.93.0.0/24");
        assertTrue(route.contains("via 169.254.42.2 dev jvs0") && route.contains("src 10.93.0.1"), route);
        f.ok("network", "create", "brief", "--subnet", "10.97.0.0/24");
        assertTrue(f.lab.check(f.host, "ip", "route").contains("10.97.0.0/24"));
        f.ok("network", "rm", "brief");
        assertFalse(
                f.lab.check(f.host, "ip", "route").contains("10.97.0.0/24"), "removing the network removes its route");
        assertEquals("", f.lab.check(f.host, "ip", "-o", "-4", "addr", "show", "to", "10.97.0.1"));
    }

    @Test
    void tcpFromTheHostIsRoutedAsWholeSuperFrames() throws Exception {
        final Process server = f.lab.start(web, f.dir.resolve("iperf3-gw.txt"), "iperf3", "-s", "-1", "-B", webIp);
        try {
            Readiness.tcpListener(f.lab, web, 5201);
            final long txFramesBefore = f.port("web").path("txFrames").asLong();
            final long txBytesBefore = f.port("web").path("txBytes").asLong();
            final String report = f.lab.check(f.host, "iperf3", "-c", webIp, "-t", "3", "-J");
            final double gbps = Json.mapper()
                            .readTree(report)
                            .path("end")
                            .path("sum_received")
                            .path("bits_per_second")
                            .asDouble()
                    / 1e9;
            System.out.printf("TCP from the host through the gateway, one stream, 3 s: %.2f Gb/s%n", gbps);
            final long frames = f.port("web").path("txFrames").asLong() - txFramesBefore;
            final long bytes = f.port("web").path("txBytes").asLong() - txBytesBefore;
            assertTrue(
                    frames > 0 && bytes / frames > 1514,
                    "the host's TSO super-frames are routed whole (average " + (frames == 0 ? 0 : bytes / frames)
                            + " bytes)");
            assertTrue(f.port("host:jvs0").path("routed").asLong() > 0);
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    /** The host learns routes and servers start asynchronously: a few tries before failing. */
    static CommandRunner.Result retry(Supplier<CommandRunner.Result> attempt) {
        final CommandRunner.Result[] last = {null};
        Await.holdsWithin(Duration.ofSeconds(15), () -> (last[0] = attempt.get()).ok());
        return last[0];
    }
}
