package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Dual-stack networks with real namespaces and clients: addresses and routes as attach gives them,
 * ping6 between containers (global and link-local), to the gateway and from the host, curl -6,
 * proxy-NDP (a solicitation never reaches a third container), port security for IPv6 sources,
 * isolation and path-MTU discovery with ICMPv6 errors, AAAA and ip6.arpa PTR answers.
 */
class Ipv6IT {
    static DaemonFixture f;
    static String web;
    static String client;
    static String third;
    static String other;
    static String small;
    static final String HOST_EXTRA = "fd99::1";

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-v6");
        web = f.container("web");
        client = f.container("client");
        third = f.container("third");
        other = f.container("other");
        small = f.container("small");
        f.ok("network", "create", "front", "--ipv6", "--subnet", "10.97.0.0/24", "--subnet", "fd00:20::/64");
        f.ok("network", "create", "back", "--ipv6", "--subnet", "10.98.0.0/24", "--subnet", "fd00:21::/64");
        f.ok("network", "create", "narrow", "--ipv6", "--subnet", "10.99.0.0/24", "--mtu", "1280");
        f.ok("attach", "--netns", web, "--network", "front", "--name", "web", "--ip6", "fd00:20::50");
        f.ok("attach", "--netns", client, "--network", "front", "--name", "client");
        f.ok("attach", "--netns", third, "--network", "front", "--name", "third");
        f.ok("attach", "--netns", other, "--network", "back", "--name", "other");
        f.ok("attach", "--netns", small, "--network", "narrow", "--name", "small");
        // An address of the host beyond the gateway, for routing from a container to the host.
        f.lab.check(f.host, "ip", "-6", "addr", "add", HOST_EXTRA + "/128", "dev", "lo");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    static String ip6Of(String network, String endpoint) {
        for (JsonNode c : f.ok("network", "inspect", network).json().path(0).path("Containers")) {
            if (c.path("Name").asText().equals(endpoint)) {
                return c.path("IPv6Address").asText().replaceAll("/.*", "");
            }
        }
        throw new AssertionError("no endpoint " + endpoint + " on " + network);
    }

    static boolean ping6(String from, String address, int count) {
        return f.lab.exec(from, "ping", "-6", "-c", Integer.toString(count), "-i", "0.2", "-W", "2", address)
                .ok();
    }

    @Test
    void inspectShowsBothFamiliesAndTheAddressesGiven() {
        final JsonNode front = f.ok("network", "inspect", "front").json().path(0);
        assertTrue(front.path("EnableIPv6").asBoolean(), front.toString());
        assertEquals(
                "10.97.0.0/24",
                front.path("IPAM").path("Config").path(0).path("Subnet").asText());
        assertEquals(
                "fd00:20::/64",
                front.path("IPAM").path("Config").path(1).path("Subnet").asText());
        assertEquals(
                "fd00:20::1",
                front.path("IPAM").path("Config").path(1).path("Gateway").asText());
        assertEquals("fd00:20::50", ip6Of("front", "web"), "--ip6");
        assertEquals("fd00:20::2", ip6Of("front", "client"), "the lowest free address");
        // --ipv6 without an IPv6 subnet: the first default /64
        final JsonNode narrow = f.ok("network", "inspect", "narrow").json().path(0);
        assertEquals(
                "fd4a:7673:7769:1::/64",
                narrow.path("IPAM").path("Config").path(1).path("Subnet").asText());
        assertTrue(f.ok("network", "inspect", "narrow").out().contains("\"EnableIPv6\" : true"));
    }

    @Test
    void attachGivesTheAddressUsableAtOnceTheDefaultRouteAndNoRouterAdvertisements() {
        final String addresses = f.lab.check(client, "ip", "-6", "addr", "show", "dev", "eth0");
        assertTrue(addresses.contains("inet6 fd00:20::2/64"), addresses);
        assertFalse(addresses.contains("tentative"), "nodad: usable at once\n" + addresses);
        final String routes = f.lab.check(client, "ip", "-6", "route", "show", "default");
        assertTrue(routes.contains("default via fd00:20::1 dev eth0"), routes);
        assertEquals(
                "0",
                f.lab.check(client, "sysctl", "-n", "net.ipv6.conf.eth0.accept_ra")
                        .strip());
    }

    @Test
    void containersPingEachOtherOnGlobalAndLinkLocalAddresses() {
        assertTrue(ping6(client, "fd00:20::50", 3), "global");
        final String linkLocal = f.lab.check(web, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link");
        final var m = Pattern.compile("inet6 (fe80::[0-9a-f:]+)/64").matcher(linkLocal);
        assertTrue(m.find(), linkLocal);
        assertTrue(ping6(client, m.group(1) + "%eth0", 3), "link-local");
    }

    @Test
    void theGatewayAnswersPing6AndTheHostReachesContainers() {
        assertTrue(ping6(client, "fd00:20::1", 3), "container -> gateway");
        assertTrue(f.port("client").path("gatewayAnswered").asLong() >= 3);
        assertTrue(ping6(f.host, "fd00:20::50", 3), "host -> container");
        assertTrue(ping6(web, HOST_EXTRA, 3), "container -> host, routed");
    }

    @Test
    void curlOverIpv6BetweenContainers() throws Exception {
        final Process server = f.lab.start(
                web, f.dir.resolve("web6-http.log"), "python3", "-m", "http.server", "8080", "--bind", "fd00:20::50");
        try {
            Readiness.tcpListener(f.lab, web, 8080);
            final CommandRunner.Result curl = retry(
                    () -> f.lab.exec(client, "curl", "-6", "-sS", "--max-time", "3", "http://[fd00:20::50]:8080/"));
            assertTrue(curl.ok(), curl.stderr());
            assertTrue(curl.stdout().contains("Directory listing"), curl.stdout());
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    @Test
    void aContainerReachesTheHostsServicesAtTheIpv6GatewayAndTheHostReachesTheContainers() throws Exception {
        final Process hostServer = f.lab.start(
                f.host, f.dir.resolve("host6-http.log"), "python3", "-m", "http.server", "8082", "--bind", "::");
        final Process webServer = f.lab.start(
                web, f.dir.resolve("web6b-http.log"), "python3", "-m", "http.server", "8083", "--bind", "fd00:20::50");
        try {
            Readiness.tcpListener(f.lab, f.host, 8082);
            Readiness.tcpListener(f.lab, web, 8083);
            final CommandRunner.Result toHost = retry(
                    () -> f.lab.exec(client, "curl", "-6", "-sS", "--max-time", "3", "http://[fd00:20::1]:8082/"));
            assertTrue(toHost.stdout().contains("Directory listing"), toHost.stdout() + toHost.stderr());
            final CommandRunner.Result fromHost = retry(
                    () -> f.lab.exec(f.host, "curl", "-6", "-sS", "--max-time", "3", "http://[fd00:20::50]:8083/"));
            assertTrue(fromHost.stdout().contains("Directory listing"), fromHost.stdout() + fromHost.stderr());
        } finally {
            hostServer.destroy();
            webServer.destroy();
            hostServer.waitFor();
            webServer.waitFor();
        }
    }

    @Test
    void neighborSolicitationsAreAnsweredByTheSwitchAndNeverReachAThirdContainer() throws Exception {
        final long answeredBefore = f.port("third").path("arpAnswered").asLong();
        final Path capture = f.dir.resolve("third-ns.txt");
        final Process tcpdump =
                f.lab.start(web, capture, "tcpdump", "-l", "-n", "-i", "eth0", "icmp6 and ip6[40] == 135");
        try {
            Readiness.printed(capture, "listening on");
            f.lab.check(third, "ip", "-6", "neigh", "flush", "dev", "eth0");
            assertTrue(ping6(third, "fd00:20::50", 2));
            final String neighbor = f.lab.check(third, "ip", "-6", "neigh", "show", "fd00:20::50");
            assertTrue(neighbor.contains("lladdr"), "third resolved web:\n" + neighbor);
            Await.until(
                    "the switch answered a solicitation from third",
                    Duration.ofSeconds(10),
                    () -> f.port("third").path("arpAnswered").asLong() > answeredBefore);
        } finally {
            tcpdump.destroy();
            tcpdump.waitFor();
        }
        final String seen = Files.readString(capture);
        assertFalse(
                seen.lines().anyMatch(l -> l.contains("who has fd00:20::50") && l.contains("fd00:20::3")),
                "web saw no solicitation from third:\n" + seen);
    }

    @Test
    void portSecurityLetsAnEndpointSendFromItsOwnAddressOnly() {
        final long before =
                f.port("client").path("drops").path("spoofed-source-ip").asLong();
        f.lab.check(client, "ip", "-6", "addr", "add", "fd00:20::99/64", "dev", "eth0", "nodad");
        try {
            assertFalse(f.lab.exec(client, "ping", "-6", "-c", "2", "-W", "1", "-I", "fd00:20::99", "fd00:20::50")
                    .ok());
            assertTrue(f.port("client").path("drops").path("spoofed-source-ip").asLong() > before);
        } finally {
            f.lab.exec(client, "ip", "-6", "addr", "del", "fd00:20::99/64", "dev", "eth0");
        }
        // The kernel solicits from the address of the packet waiting for resolution: forget the
        // entry the spoofed attempt left, so resolution starts again from the endpoint's own.
        f.lab.exec(client, "ip", "-6", "neigh", "flush", "dev", "eth0");
        assertTrue(ping6(client, "fd00:20::50", 2), "its own address passes");
    }

    @Test
    void networksAreIsolatedAndSaySo() {
        final CommandRunner.Result ping =
                f.lab.exec(client, "ping", "-6", "-c", "1", "-W", "2", ip6Of("back", "other"));
        assertFalse(ping.ok());
        assertTrue(
                (ping.stdout() + ping.stderr()).toLowerCase().contains("administratively prohibited"),
                ping.stdout() + ping.stderr());
        assertTrue(f.port("client").path("drops").path("isolated").asLong() >= 1);
    }

    @Test
    void hopLimitExpiresAtTheGatewayWithTimeExceeded() {
        final CommandRunner.Result ping = f.lab.exec(client, "ping", "-6", "-c", "1", "-W", "2", "-t", "1", HOST_EXTRA);
        assertFalse(ping.ok());
        assertTrue(ping.stdout().toLowerCase().contains("time exceeded"), ping.stdout() + ping.stderr());
        assertTrue(f.port("client").path("drops").path("ttl-exceeded").asLong() >= 1);
    }

    @Test
    void pathMtuDiscoveryLearnsTheSmallerNetworksMtuFromPacketTooBig() {
        final String smallIp = ip6Of("narrow", "small");
        assertNotEquals("", smallIp);
        f.lab.exec(f.host, "ping", "-6", "-c", "1", "-W", "1", "-M", "do", "-s", "1400", smallIp);
        final CommandRunner.Result second =
                f.lab.exec(f.host, "ping", "-6", "-c", "1", "-W", "1", "-M", "do", "-s", "1400", smallIp);
        assertFalse(second.ok());
        final String route = f.lab.check(f.host, "ip", "-6", "route", "get", smallIp);
        assertTrue(route.contains("mtu 1280"), "the host cached the path MTU:\n" + route);
        assertTrue(ping6(f.host, smallIp, 1), "small packets still pass");
        // Without DF the host fragments to the learned MTU itself, and the packet arrives whole.
        assertTrue(f.lab.exec(f.host, "ping", "-6", "-c", "1", "-W", "2", "-s", "3000", smallIp)
                .ok());
    }

    @Test
    void dnsAnswersAaaaAndIp6ArpaPtr() {
        final CommandRunner.Result aaaa =
                retry(() -> f.lab.exec(client, "dig", "+short", "+time=2", "+tries=2", "@10.97.0.1", "web", "AAAA"));
        assertEquals("fd00:20::50", aaaa.stdout().strip(), aaaa.stdout() + aaaa.stderr());
        final CommandRunner.Result ptr = retry(
                () -> f.lab.exec(client, "dig", "+short", "+time=2", "+tries=2", "@10.97.0.1", "-x", "fd00:20::50"));
        assertEquals("web.front.", ptr.stdout().strip(), ptr.stdout() + ptr.stderr());
    }

    @Test
    void badIpv6OptionsAreRefusedWithOneLine() {
        final DaemonFixture.Cli noFlag = f.jvs("network", "create", "v6", "--subnet", "fd00:1::/64");
        assertEquals(1, noFlag.exit());
        assertTrue(noFlag.err().contains("needs --ipv6"), noFlag.err());
        final DaemonFixture.Cli twice =
                f.jvs("network", "create", "v6", "--ipv6", "--subnet", "fd00:1::/64", "--subnet", "fd00:2::/64");
        assertNotEquals(0, twice.exit());
        assertTrue(twice.err().contains("one subnet per address family"), twice.err());
        final DaemonFixture.Cli hostBits = f.jvs("network", "create", "v6", "--ipv6", "--subnet", "fd00:1::5/64");
        assertEquals(1, hostBits.exit());
        assertTrue(hostBits.err().contains("did you mean fd00:1::/64"), hostBits.err());
        final DaemonFixture.Cli overlap = f.jvs("network", "create", "v6", "--ipv6", "--subnet", "fd00:20::/48");
        assertEquals(1, overlap.exit());
        assertTrue(overlap.err().contains("overlaps network front"), overlap.err());
        final String spare = f.container("spare");
        final DaemonFixture.Cli outside = f.jvs("attach", "--netns", spare, "--network", "back", "--ip6", "fd00:20::5");
        assertEquals(1, outside.exit());
        assertTrue(outside.err().contains("outside subnet fd00:21::/64"), outside.err());
        final DaemonFixture.Cli v6Only =
                f.jvs("network", "create", "v6", "--ipv4=false", "--ipv6", "--subnet", "10.6.0.0/24");
        assertEquals(1, v6Only.exit());
        assertTrue(v6Only.err().contains("takes no IPv4 options"), v6Only.err());
        assertFalse(f.ok("network", "ls").out().contains(" v6 "), "no network was created");
        assertFalse(f.ok("network", "inspect", "back").out().contains("spare"), "no endpoint was created");
    }

    static CommandRunner.Result retry(Supplier<CommandRunner.Result> attempt) {
        final CommandRunner.Result[] last = {null};
        Await.holdsWithin(Duration.ofSeconds(15), () -> (last[0] = attempt.get()).ok());
        return last[0];
    }
}
