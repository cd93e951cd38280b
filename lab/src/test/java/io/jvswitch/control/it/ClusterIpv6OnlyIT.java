package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.lab.EtcdLab;
import io.jvswitch.control.lab.OverlayLab;
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
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * IPv6-only global networks ({@code --driver overlay --ipv4=false --ipv6} on daemons with {@code
 * --cluster-store}): two hosts (namespaces with jvs daemons) and one real etcd member on a bridged
 * IPv4 underlay. The network is created on host A with no subnet (a default /64 of the IPv6 pool,
 * claimed in the store), host B joins afterwards and builds it, each host's container gets an IPv6
 * address from its host's own block and nothing else; ping6 across, AAAA by name across hosts with
 * A answered NODATA, proxy-NDP for the remote endpoint; the subnet and the names claimed cluster-wide;
 * one daemon restarted, both hosts converging again; then the same over an IPv6 underlay. The tests
 * share the hosts and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIpv6OnlyIT {
    static final String ETCD_ADDRESS = "10.215.0.11";

    static DaemonFixture a;
    static DaemonFixture b;
    static EtcdLab etcd;
    static String etcdNamespace;
    static String c1;
    static String c2;

    static String[] daemonArgs(int n) {
        return daemonArgs(n, "/jvs/v1/", "10.215.0." + n);
    }

    static String[] daemonArgs(int n, String prefix, String advertise) {
        return new String[] {
            "--cluster-store",
            etcd.storeUrl() + prefix,
            "--cluster-advertise",
            advertise,
            "--cluster-host-name",
            "h" + n,
            "--cluster-ttl",
            "3"
        };
    }

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/etcd")), "needs etcd (Debian's etcd-server)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/etcdctl")), "needs etcdctl (Debian's etcd-client)");
        a = new DaemonFixture("jvsit-g6a", false);
        b = new DaemonFixture("jvsit-g6b", false);
        final String underlaySwitch = a.lab.add("sw");
        etcdNamespace = a.lab.add("e1");
        final Map<String, String> addresses = new LinkedHashMap<>();
        addresses.put(a.host, "10.215.0.1/24");
        addresses.put(b.host, "10.215.0.2/24");
        addresses.put(etcdNamespace, ETCD_ADDRESS + "/24");
        new OverlayLab(a.lab).bridgedUnderlay(underlaySwitch, "u0", addresses);
        // IPv6 on the underlay too, usable at once, for the cluster over an IPv6 underlay
        a.lab.check(a.host, "ip", "addr", "add", "fd00:215::1/64", "dev", "u0", "nodad");
        b.lab.check(b.host, "ip", "addr", "add", "fd00:215::2/64", "dev", "u0", "nodad");
        etcd = new EtcdLab();
        etcd.member("e1", etcdNamespace, ETCD_ADDRESS);
        etcd.startAll();
        a.startDaemon(daemonArgs(1)); // host B joins once the network exists
        c1 = a.container("c1");
        c2 = b.container("c2");
    }

    @AfterAll
    static void tearDown() throws Exception {
        DaemonFixture.closeKeepingLogs("ClusterIpv6OnlyIT", b, a);
        if (etcd != null) {
            etcd.close();
        }
    }

    /** Keys under a prefix of the store, as etcdctl lists them. */
    static String keys(String prefix) {
        return a.lab.check(
                etcdNamespace,
                "etcdctl",
                "--endpoints",
                etcd.clientUrl("e1"),
                "get",
                "--prefix",
                "--keys-only",
                prefix);
    }

    static JsonNode ipam(DaemonFixture f, String network) {
        return f.ok("network", "inspect", network).json().path(0).path("IPAM").path("Config");
    }

    static String dig(String from, String server, String type, String name) {
        return a.lab.check(from, "dig", "+time=1", "+tries=3", "@" + server, type, name);
    }

    static void bothKnowTheOther() throws Exception {
        Await.until(
                "c1 and c2 known on both hosts",
                Duration.ofSeconds(10),
                () -> a.ok("cluster", "status").json().path("remoteEndpoints").asInt() == 1
                        && b.ok("cluster", "status")
                                        .json()
                                        .path("remoteEndpoints")
                                        .asInt()
                                == 1);
    }

    @Test
    @Order(1)
    void anIpv6OnlyGlobalNetworkSpansTwoHostsWithAaaaAcrossAndNoIpv4() throws Exception {
        a.ok("network", "create", "g6", "--driver", "overlay", "--ipv4=false", "--ipv6");
        final JsonNode config = ipam(a, "g6");
        assertEquals(1, config.size(), "only an IPv6 side: " + config);
        final String subnet = config.path(0).path("Subnet").asText();
        final String gateway6 = config.path(0).path("Gateway").asText();
        assertTrue(subnet.startsWith("fd4a:7673:7769:") && subnet.endsWith("::/64"), "a default /64: " + subnet);
        assertTrue(keys("/jvs/v1/subnets6/").contains(subnet.replace('/', '-')), "the subnet is claimed in the store");
        a.ok("attach", "--netns", c1, "--network", "g6", "--name", "c1");

        b.startDaemon(daemonArgs(2)); // joins: builds the network from the store
        Await.until(
                "g6 on h2",
                Duration.ofSeconds(10),
                () -> b.jvs("network", "inspect", "g6").exit() == 0);
        final JsonNode onB = b.ok("network", "inspect", "g6").json().path(0);
        assertEquals("global", onB.path("Scope").asText(), onB.toString());
        assertFalse(onB.path("EnableIPv4").asBoolean(true), onB.toString());
        assertEquals(
                subnet, onB.path("IPAM").path("Config").path(0).path("Subnet").asText());
        b.ok("attach", "--netns", c2, "--network", "g6", "--name", "c2");
        bothKnowTheOther();

        final String ip61 = ClusterIpv6IT.ip6Of(a, "g6", "c1");
        final String ip62 = ClusterIpv6IT.ip6Of(b, "g6", "c2");
        final JsonNode attachedOnB = b.ok("network", "inspect", "g6").json().path(0);
        assertEquals(
                "",
                Ipv6OnlyNetworkIT.container(attachedOnB, "c2")
                        .path("IPv4Address")
                        .asText(""));
        assertNotEquals(
                ClusterIpv6IT.value(ip61).shiftRight(16),
                ClusterIpv6IT.value(ip62).shiftRight(16),
                ip61 + " and " + ip62 + " from one block");
        final String blocks = a.ok("cluster", "hosts", "--json").out();
        assertTrue(blocks.contains("/112"), "IPv6 blocks per host: " + blocks);
        for (JsonNode h : a.ok("cluster", "hosts", "--json").json()) {
            assertEquals(0, h.path("addresses").asInt(), "no IPv4 claim: " + h);
            assertEquals(1, h.path("addresses6").asInt(), "one IPv6 claim each: " + h);
        }
        assertEquals(
                "",
                a.lab.check(c1, "ip", "-4", "-o", "addr", "show", "dev", "eth0").strip(),
                "no IPv4");

        assertTrue(ClusterIpv6IT.ping6(a, c1, ip62), "c1 (h1) -> c2 (h2)\n" + a.daemon.logText());
        assertTrue(ClusterIpv6IT.ping6(b, c2, ip61), "c2 (h2) -> c1 (h1)\n" + b.daemon.logText());
        final String aaaa = dig(c1, gateway6, "AAAA", "c2");
        assertTrue(aaaa.contains("status: NOERROR") && aaaa.contains(ip62), "c2's AAAA from host A's DNS\n" + aaaa);
        assertTrue(dig(c2, gateway6, "AAAA", "c1").contains(ip61), "c1's AAAA from host B's DNS");
        final String a4 = dig(c1, gateway6, "A", "c2");
        assertTrue(a4.contains("status: NOERROR") && a4.contains("ANSWER: 0"), "A of c2: NODATA\n" + a4);
    }

    @Test
    @Order(2)
    void aSolicitationForTheRemoteEndpointIsAnsweredLocally() throws Exception {
        final String ip62 = ClusterIpv6IT.ip6Of(b, "g6", "c2");
        final long before = ClusterIpv6IT.remoteNdpAnswered(a, "g6");
        a.lab.check(c1, "ip", "-6", "neigh", "flush", "all");
        assertTrue(ClusterIpv6IT.ping6(a, c1, ip62), "c1 -> c2 after flushing its neighbors");
        Await.until(
                "host A answered c1's solicitation for c2 itself",
                Duration.ofSeconds(5),
                () -> ClusterIpv6IT.remoteNdpAnswered(a, "g6") > before);
    }

    @Test
    @Order(3)
    void theSubnetAndTheNamesAreClaimedClusterWide() throws Exception {
        final String subnet = ipam(a, "g6").path(0).path("Subnet").asText();
        // host B's default is another /64: the one host A took is in use cluster-wide
        b.ok("network", "create", "g6b", "--driver", "overlay", "--ipv4=false", "--ipv6");
        final String other = ipam(b, "g6b").path(0).path("Subnet").asText();
        assertNotEquals(subnet, other);
        Await.until(
                "g6b on h1",
                Duration.ofSeconds(10),
                () -> a.jvs("network", "inspect", "g6b").exit() == 0);
        final DaemonFixture.Cli overlap =
                b.jvs("network", "create", "g6c", "--driver", "overlay", "--ipv4=false", "--ipv6", "--subnet", subnet);
        assertNotEquals(0, overlap.exit());
        assertTrue(overlap.err().contains("overlaps"), overlap.err());
        final String c3 = b.container("c3");
        final DaemonFixture.Cli name = b.jvs("attach", "--netns", c3, "--network", "g6", "--name", "c1");
        assertNotEquals(0, name.exit());
        assertTrue(name.err().contains("an endpoint named c1 is already on global network g6 (host h1, "), name.err());
        final DaemonFixture.Cli ip4 = b.jvs("attach", "--netns", c3, "--network", "g6", "--ip", "10.0.0.9");
        assertNotEquals(0, ip4.exit());
        assertTrue(ip4.err().contains("IPv6-only"), ip4.err());
        assertEquals(
                1,
                b.ok("network", "inspect", "g6")
                        .json()
                        .path(0)
                        .path("Containers")
                        .size(),
                "nothing attached");
        b.ok("network", "rm", "g6b");
        Await.until(
                "g6b gone from h1",
                Duration.ofSeconds(10),
                () -> a.jvs("network", "inspect", "g6b").exit() != 0);
        assertFalse(keys("/jvs/v1/subnets6/").contains(other.replace('/', '-')), "g6b's subnet claim is freed");
    }

    @Test
    @Order(4)
    void aRestartedDaemonKeepsItsClaimsAndBothHostsConverge() throws Exception {
        final String ip61 = ClusterIpv6IT.ip6Of(a, "g6", "c1");
        final String ip62 = ClusterIpv6IT.ip6Of(b, "g6", "c2");
        b.daemon.close();
        b.startDaemon(daemonArgs(2));
        assertEquals(ip62, ClusterIpv6IT.ip6Of(b, "g6", "c2"), "c2 keeps its address");
        bothKnowTheOther();
        assertTrue(ClusterIpv6IT.ping6(a, c1, ip62), "c1 -> c2 after h2's restart\n" + b.daemon.logText());
        assertTrue(ClusterIpv6IT.ping6(b, c2, ip61), "c2 -> c1 after h2's restart");
        final String gateway6 = ipam(a, "g6").path(0).path("Gateway").asText();
        assertTrue(dig(c2, gateway6, "AAAA", "c1").contains(ip61), "c1's AAAA from the restarted host");
        assertTrue(dig(c1, gateway6, "AAAA", "c2").contains(ip62), "c2's AAAA from host A");
        for (DaemonFixture f : new DaemonFixture[] {a, b}) {
            final JsonNode status = f.ok("cluster", "status").json();
            assertEquals(0, status.path("conflicts").size(), status.toString());
            assertEquals(0, status.path("ignoredRecords").asLong(), status.toString());
        }
        // the store holds each endpoint's IPv6 claim and no IPv4 one
        final String claims = keys("/jvs/v1/addresses");
        assertTrue(claims.contains("/jvs/v1/addresses6/g6/" + ip61), claims);
        assertTrue(claims.contains("/jvs/v1/addresses6/g6/" + ip62), claims);
        assertFalse(claims.contains("/jvs/v1/addresses/g6/"), claims);
    }

    @Test
    @Order(5)
    void detachAndRemoveFreeEveryClaim() throws Exception {
        final String subnet = ipam(a, "g6").path(0).path("Subnet").asText();
        a.ok("detach", "--network", "g6", "c1");
        b.ok("detach", "--network", "g6", "c2");
        a.ok("network", "rm", "g6");
        Await.until(
                "g6 gone from h2",
                Duration.ofSeconds(10),
                () -> b.jvs("network", "inspect", "g6").exit() != 0);
        assertEquals("", keys("/jvs/v1/subnets6/").strip(), "no subnet claim left");
        assertEquals("", keys("/jvs/v1/addresses6/g6/").strip(), "no address claim left");
        assertEquals("", keys("/jvs/v1/endpoints/g6/").strip(), "no name claim left");
        // the subnet can be had again
        b.ok("network", "create", "g6", "--driver", "overlay", "--ipv4=false", "--ipv6", "--subnet", subnet);
        b.ok("network", "rm", "g6");
        // a claim left with no network behind it (written by hand here) is taken over
        a.lab.check(
                etcdNamespace,
                "etcdctl",
                "--endpoints",
                etcd.clientUrl("e1"),
                "put",
                "/jvs/v1/subnets6/fd00:39::-64",
                "\"ghost\"");
        // (until h2's view has the claim, its create is refused by the store's compare, changing nothing)
        Await.until(
                "h2 creates g9 on the stale claim's subnet",
                Duration.ofSeconds(5),
                () -> b.jvs(
                                        "network",
                                        "create",
                                        "g9",
                                        "--driver",
                                        "overlay",
                                        "--ipv4=false",
                                        "--ipv6",
                                        "--subnet",
                                        "fd00:39::/64")
                                .exit()
                        == 0);
        assertTrue(
                a.lab.check(
                                etcdNamespace,
                                "etcdctl",
                                "--endpoints",
                                etcd.clientUrl("e1"),
                                "get",
                                "--print-value-only",
                                "/jvs/v1/subnets6/fd00:39::-64")
                        .contains("g9"),
                "the claim is g9's now");
        b.ok("network", "rm", "g9");
    }

    @Test
    @Order(6)
    void overAnIpv6UnderlayToo() throws Exception {
        // the same hosts in another cluster (another prefix of the same etcd), advertising IPv6
        a.daemon.close();
        b.daemon.close();
        a.startDaemon(daemonArgs(1, "/jvs6only/", "fd00:215::1"));
        b.startDaemon(daemonArgs(2, "/jvs6only/", "fd00:215::2"));
        a.ok("network", "create", "u6", "--driver", "overlay", "--ipv4=false", "--ipv6", "--subnet", "fd00:216::/64");
        Await.until(
                "u6 on h2",
                Duration.ofSeconds(10),
                () -> b.jvs("network", "inspect", "u6").exit() == 0);
        a.ok("attach", "--netns", c1, "--network", "u6", "--name", "c1");
        b.ok("attach", "--netns", c2, "--network", "u6", "--name", "c2");
        bothKnowTheOther();
        assertEquals(
                "1430",
                b.ok("network", "inspect", "u6")
                        .json()
                        .path(0)
                        .path("Options")
                        .path("com.jvswitch.network.mtu")
                        .asText(),
                "1500 less VXLAN over IPv6");
        final String ip61 = ClusterIpv6IT.ip6Of(a, "u6", "c1");
        final String ip62 = ClusterIpv6IT.ip6Of(b, "u6", "c2");
        assertTrue(ClusterIpv6IT.ping6(a, c1, ip62), "c1 -> c2, IPv6 in VXLAN over IPv6\n" + a.daemon.logText());
        assertTrue(ClusterIpv6IT.ping6(b, c2, ip61), "c2 -> c1");
        assertTrue(dig(c1, "fd00:216::1", "AAAA", "c2").contains(ip62), "c2's AAAA from host A's DNS");
        a.ok("detach", "--network", "u6", "c1");
        b.ok("detach", "--network", "u6", "c2");
        a.ok("network", "rm", "u6");
    }
}
