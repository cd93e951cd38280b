package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * IPv6-only networks ({@code --ipv4=false --ipv6}) with real namespaces and clients: inspect shaped as
 * Docker 28 shows one, containers with only their IPv6 (and link-local) address, ping6 between them,
 * to the gateway and from the host, curl -6, AAAA answered and A not, resolv.conf naming the IPv6
 * gateway alone, IPv4 options refused, and everything back after a daemon restart (last).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Ipv6OnlyNetworkIT {
    static final String GATEWAY6 = "fd00:21::1";
    static DaemonFixture f;
    static String a;
    static String b;

    @BeforeAll
    static void setUp() throws Exception {
        f = new DaemonFixture("jvsit-v6only");
        a = f.container("a");
        b = f.container("b");
        f.ok("network", "create", "v6only", "--ipv4=false", "--ipv6", "--subnet", "fd00:21::/64");
        f.ok("network", "create", "auto6", "--ipv4=false", "--ipv6");
        f.ok("attach", "--netns", a, "--network", "v6only", "--name", "a");
        f.ok("attach", "--netns", b, "--network", "v6only", "--name", "b", "--ip6", "fd00:21::50");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    static boolean ping6(String from, String address) {
        return f.lab.exec(from, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", address)
                .ok();
    }

    static JsonNode inspect(String network) {
        return f.ok("network", "inspect", network).json().path(0);
    }

    static JsonNode container(JsonNode network, String name) {
        for (JsonNode c : network.path("Containers")) {
            if (c.path("Name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no endpoint " + name + " in " + network);
    }

    @Test
    @Order(1)
    void inspectShowsOnlyTheIpv6SideAsDocker28Does() {
        final JsonNode net = inspect("v6only");
        assertFalse(net.path("EnableIPv4").asBoolean(true), net.toString());
        assertTrue(net.path("EnableIPv6").asBoolean(), net.toString());
        final JsonNode config = net.path("IPAM").path("Config");
        assertEquals(1, config.size(), config.toString());
        assertEquals("fd00:21::/64", config.path(0).path("Subnet").asText());
        assertEquals(GATEWAY6, config.path(0).path("Gateway").asText());
        assertEquals("", container(net, "a").path("IPv4Address").asText(), net.toString());
        assertEquals("fd00:21::2/64", container(net, "a").path("IPv6Address").asText());
        assertEquals("fd00:21::50/64", container(net, "b").path("IPv6Address").asText());
        // --ipv6 without a subnet: a /64 of the default IPv6 pool
        final JsonNode auto = inspect("auto6").path("IPAM").path("Config");
        assertEquals(1, auto.size(), auto.toString());
        assertEquals("fd4a:7673:7769:1::/64", auto.path(0).path("Subnet").asText());
        final String ls = f.ok("network", "ls").out();
        assertTrue(ls.lines().anyMatch(l -> l.contains("v6only") && l.contains("fd00:21::/64")), ls);
    }

    @Test
    @Order(1)
    void attachGivesOnlyTheIpv6AddressItsDefaultRouteAndNoRouterAdvertisements() {
        assertEquals(
                "",
                f.lab.check(a, "ip", "-4", "-o", "addr", "show", "dev", "eth0").strip(),
                "no IPv4 address");
        assertEquals("", f.lab.check(a, "ip", "-4", "route", "show").strip(), "no IPv4 route");
        final String addresses = f.lab.check(a, "ip", "-6", "addr", "show", "dev", "eth0");
        assertTrue(addresses.contains("inet6 fd00:21::2/64"), addresses);
        assertTrue(addresses.contains("inet6 fe80::"), "keeps its link-local address\n" + addresses);
        assertFalse(addresses.contains("tentative"), "nodad: usable at once\n" + addresses);
        final String routes = f.lab.check(a, "ip", "-6", "route", "show", "default");
        assertTrue(routes.contains("default via " + GATEWAY6 + " dev eth0"), routes);
        assertEquals(
                "0",
                f.lab.check(a, "sysctl", "-n", "net.ipv6.conf.eth0.accept_ra").strip());
        assertTrue(f.ok("attach", "--netns", f.container("printed"), "--network", "auto6", "--name", "printed")
                .out()
                .matches("(?s)printed attached to auto6: eth0 fd4a:7673:7769:1::2 02:4a:[0-9a-f:]+\n"));
    }

    @Test
    @Order(1)
    void containersTheGatewayAndTheHostReachEachOtherOverIpv6() {
        assertTrue(ping6(a, "fd00:21::50"), "container -> container");
        assertTrue(ping6(b, "fd00:21::2"), "and back");
        assertTrue(ping6(a, GATEWAY6), "container -> gateway");
        assertTrue(ping6(f.host, "fd00:21::2"), "host -> container over jvs0");
        final String hostRoutes = f.lab.check(f.host, "ip", "-6", "route", "show", "fd00:21::/64");
        assertTrue(hostRoutes.contains("dev jvs0"), hostRoutes);
    }

    @Test
    @Order(1)
    void ipv4FromAnEndpointOfAnIpv6OnlyNetworkGoesNowhere() {
        final long before = drops("a");
        f.lab.check(a, "ip", "addr", "add", "10.21.0.9/24", "dev", "eth0");
        try {
            assertFalse(f.lab.exec(a, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.21.0.1")
                    .ok());
            Await.until("a's IPv4 was dropped and counted", Duration.ofSeconds(10), () -> drops("a") > before);
        } finally {
            f.lab.exec(a, "ip", "addr", "del", "10.21.0.9/24", "dev", "eth0");
        }
        assertTrue(ping6(a, "fd00:21::50"), "its IPv6 still passes");
    }

    @Test
    @Order(1)
    void curlOverIpv6BetweenContainers() throws Exception {
        final Process server = f.lab.start(
                b, f.dir.resolve("b-http.log"), "python3", "-m", "http.server", "8080", "--bind", "fd00:21::50");
        try {
            Readiness.tcpListener(f.lab, b, 8080);
            final CommandRunner.Result[] curl = {null};
            Await.holdsWithin(
                    Duration.ofSeconds(15),
                    () -> (curl[0] =
                                    f.lab.exec(a, "curl", "-6", "-sS", "--max-time", "3", "http://[fd00:21::50]:8080/"))
                            .ok());
            assertTrue(curl[0].stdout().contains("Directory listing"), curl[0].stdout());
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    @Test
    @Order(1)
    void dnsAnswersAaaaNotAAtTheIpv6GatewayNamedAloneInResolvConf() throws Exception {
        final String[] aaaa = {""};
        Await.holdsWithin(
                Duration.ofSeconds(15),
                () -> (aaaa[0] = dig(a, "+short", "b", "AAAA").strip()).equals("fd00:21::50"));
        final String noA = dig(a, "b", "A");
        assertTrue(noA.contains("status: NOERROR") && noA.contains("ANSWER: 0"), "A is NODATA:\n" + noA);
        assertEquals("b.v6only.", dig(a, "+short", "-x", "fd00:21::50").strip());
        assertEquals("fd00:21::2", dig(b, "+short", "+tcp", "a.v6only", "AAAA").strip(), "over TCP too");
        final String conf = Files.readString(Path.of("/etc/netns", a, "resolv.conf"));
        assertTrue(
                conf.lines().filter(l -> l.startsWith("nameserver")).toList().equals(List.of("nameserver " + GATEWAY6)),
                conf);
        final String hosts = f.lab.check(a, "getent", "ahostsv6", "b");
        assertTrue(hosts.contains("fd00:21::50"), hosts);
    }

    @Test
    @Order(1)
    void ipv4OptionsAreRefusedAndChangeNothing() {
        final String before = f.ok("network", "ls").out();
        for (String ipv4Option : List.of(
                "--subnet=10.5.0.0/24", "--gateway=10.5.0.1", "--ip-range=10.5.0.0/25", "--aux-address=r=10.5.0.2")) {
            refused(
                    "takes no IPv4 options",
                    "network",
                    "create",
                    "x",
                    "--ipv4=false",
                    "--ipv6",
                    "--subnet",
                    "fd00:5::/64",
                    ipv4Option);
        }
        refused("needs --ipv6", "network", "create", "x", "--ipv4=false");
        assertEquals(before, f.ok("network", "ls").out(), "no network was created");
        final String spare = f.container("spare");
        refused("IPv6-only", "attach", "--netns", spare, "--network", "v6only", "--ip", "10.21.0.5");
        assertFalse(f.ok("network", "inspect", "v6only").out().contains("spare"), "no endpoint was created");
        assertFalse(f.lab.exec(spare, "ip", "link", "show", "eth0").ok(), "no interface in the container");
    }

    @Test
    @Order(2)
    void anIpv6OnlyNetworkAndItsEndpointsSurviveADaemonRestart() throws Exception {
        final String inspectBefore = f.ok("network", "inspect", "v6only").out();
        assertTrue(f.stateFile().contains("fd00:21::50"), f.stateFile());
        f.daemon.close(); // SIGTERM
        assertTrue(
                f.lab.check(a, "ip", "-o", "-6", "addr").contains("fd00:21::2/64"),
                "the container keeps its address while jvs is down");
        f.startDaemon();
        assertEquals(inspectBefore, f.ok("network", "inspect", "v6only").out(), "same network and endpoints");
        assertTrue(ping6(a, "fd00:21::50"), "proxy-NDP and port security know the addresses again");
        assertTrue(ping6(b, GATEWAY6), "the gateway answers again");
        assertTrue(ping6(f.host, "fd00:21::50"), "the host link routes the subnet again");
        final String[] aaaa = {""};
        Await.holdsWithin(
                Duration.ofSeconds(15),
                () -> (aaaa[0] = dig(a, "+short", "b", "AAAA").strip()).equals("fd00:21::50"));
        final String c = f.container("c");
        f.ok("attach", "--netns", c, "--network", "v6only", "--name", "c");
        assertEquals(
                "fd00:21::3/64",
                container(inspect("v6only"), "c").path("IPv6Address").asText(),
                "IPAM remembers what is taken");
    }

    static String dig(String from, String... args) {
        final String[] command = new String[args.length + 4];
        command[0] = "dig";
        command[1] = "@" + GATEWAY6;
        command[2] = "+time=2";
        command[3] = "+tries=2";
        System.arraycopy(args, 0, command, 4, args.length);
        return f.lab.exec(from, command).stdout();
    }

    static void refused(String message, String... args) {
        final DaemonFixture.Cli cli = f.jvs(args);
        assertEquals(1, cli.exit(), String.join(" ", args) + ": " + cli.out() + cli.err());
        assertTrue(cli.err().contains(message), cli.err());
    }

    static long drops(String port) {
        long total = 0;
        for (JsonNode count : f.port(port).path("drops")) {
            total += count.asLong();
        }
        return total;
    }
}
