package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.EtcdLab;
import io.jvswitch.control.lab.OverlayLab;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Dual-stack global networks: two hosts (namespaces with jvs daemons) and one etcd member on a
 * bridged underlay that has both families. First over an IPv4 underlay: one {@code network create
 * --ipv6}, a container on each host with no address options, IPv6 addresses from each host's own
 * block, ping and ping6 across, {@code dig AAAA} of the remote name, and a capture of the underlay
 * showing that no neighbor solicitation for a remote address crossed it (the local switch answered
 * it from the cluster's view, and counted it). Then the same hosts in a second cluster (another key
 * prefix) advertising IPv6 underlay addresses: VXLAN over IPv6, and a host advertising IPv4 into
 * it refused. The tests share the hosts and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIpv6IT {
    static final int TTL = 3;
    static final String ETCD_ADDRESS = "10.213.0.11";

    static DaemonFixture a;
    static DaemonFixture b;
    static EtcdLab etcd;
    static String underlaySwitch;
    static String c1;
    static String c2;

    static String[] daemonArgs(int n, String advertise, String prefix) {
        return new String[] {
            "--cluster-store",
            etcd.storeUrl() + prefix,
            "--cluster-advertise",
            advertise,
            "--cluster-host-name",
            "h" + n,
            "--cluster-ttl",
            Integer.toString(TTL)
        };
    }

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/etcd")), "needs etcd (Debian's etcd-server)");
        a = new DaemonFixture("jvsit-c6a", false);
        b = new DaemonFixture("jvsit-c6b", false);
        underlaySwitch = a.lab.add("sw");
        final String etcdNamespace = a.lab.add("e1");
        final Map<String, String> addresses = new LinkedHashMap<>();
        addresses.put(a.host, "10.213.0.1/24");
        addresses.put(b.host, "10.213.0.2/24");
        addresses.put(etcdNamespace, ETCD_ADDRESS + "/24");
        new OverlayLab(a.lab).bridgedUnderlay(underlaySwitch, "u0", addresses);
        // the underlay has IPv6 too, usable at once (nodad), for the second cluster
        a.lab.check(a.host, "ip", "addr", "add", "fd00:213::1/64", "dev", "u0", "nodad");
        b.lab.check(b.host, "ip", "addr", "add", "fd00:213::2/64", "dev", "u0", "nodad");
        etcd = new EtcdLab();
        etcd.member("e1", etcdNamespace, ETCD_ADDRESS);
        etcd.startAll();
        a.startDaemon(daemonArgs(1, "10.213.0.1", "/jvs/v1/"));
        b.startDaemon(daemonArgs(2, "10.213.0.2", "/jvs/v1/"));
        c1 = a.container("c1");
        c2 = b.container("c2");
    }

    @AfterAll
    static void tearDown() throws Exception {
        DaemonFixture.closeKeepingLogs("ClusterIpv6IT", b, a);
        if (etcd != null) {
            etcd.close();
        }
    }

    /** The IPv6 address of an endpoint, from network inspect. */
    static String ip6Of(DaemonFixture f, String network, String endpoint) {
        for (JsonNode c : f.ok("network", "inspect", network).json().path(0).path("Containers")) {
            if (c.path("Name").asText().equals(endpoint)) {
                return c.path("IPv6Address").asText().replaceAll("/.*", "");
            }
        }
        throw new AssertionError("no endpoint " + endpoint + " on " + network);
    }

    static boolean ping6(DaemonFixture f, String from, String address) {
        return f.lab.exec(from, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", address)
                .ok();
    }

    static long remoteNdpAnswered(DaemonFixture f, String network) {
        return f.ok("stats", "--json")
                .json()
                .path("networks")
                .path(network)
                .path("remoteNdpAnswered")
                .asLong();
    }

    /** tcpdump on host B's underlay link into {@code pcap}, listening when this returns. */
    static Process captureUnderlay(Path pcap, String... filter) throws Exception {
        final Path log = Path.of(pcap + ".log");
        final List<String> command = new ArrayList<>(
                List.of("tcpdump", "-i", "u0", "--immediate-mode", "-U", "-Z", "root", "-n", "-w", pcap.toString()));
        command.addAll(List.of(filter));
        final Process tcpdump = b.lab.start(b.host, log, command.toArray(String[]::new));
        Await.until("tcpdump listens", Duration.ofSeconds(5), () -> {
            try {
                return Files.readString(log).contains("listening on");
            } catch (Exception e) {
                return false;
            }
        });
        return tcpdump;
    }

    /** One field of the VXLAN frames in {@code pcap} that match {@code filter}, read by tshark on host B. */
    static String tshark(Path pcap, String filter, String field) {
        return b.lab.check(
                b.host,
                "tshark",
                "-r",
                pcap.toString(),
                "-d",
                "udp.port==4789,vxlan",
                "-Y",
                filter,
                "-T",
                "fields",
                "-e",
                field);
    }

    static BigInteger value(String ip6) throws Exception {
        return new BigInteger(1, InetAddress.getByName(ip6).getAddress());
    }

    /** Both containers attached to {@code network}, one per host, with no address options. */
    static void attachBoth(String network) throws Exception {
        Await.until(
                network + " on h2",
                Duration.ofSeconds(5),
                () -> b.jvs("network", "inspect", network).exit() == 0);
        a.ok("attach", "--netns", c1, "--network", network, "--name", "c1");
        b.ok("attach", "--netns", c2, "--network", network, "--name", "c2");
        Await.until(
                "c1 and c2 known on both hosts",
                Duration.ofSeconds(5),
                () -> a.jvs("cluster", "hosts").out().contains("h2")
                        && a.ok("cluster", "status")
                                        .json()
                                        .path("remoteEndpoints")
                                        .asInt()
                                == 1
                        && b.ok("cluster", "status")
                                        .json()
                                        .path("remoteEndpoints")
                                        .asInt()
                                == 1);
    }

    @Test
    @Order(1)
    void aDualStackGlobalNetworkGivesEachHostItsOwnIpv6BlockAndPingsAcross() throws Exception {
        a.ok(
                "network",
                "create",
                "g6",
                "--driver",
                "overlay",
                "--ipv6",
                "--subnet",
                "10.30.0.0/16",
                "--subnet",
                "fd00:30::/64");
        attachBoth("g6");
        final JsonNode onB = b.ok("network", "inspect", "g6").json().path(0);
        assertEquals("global", onB.path("Scope").asText(), onB.toString());
        assertTrue(onB.path("EnableIPv6").asBoolean(), onB.toString());
        final String ip1 = a.ipOf("g6", "c1");
        final String ip2 = b.ipOf("g6", "c2");
        final String ip61 = ip6Of(a, "g6", "c1");
        final String ip62 = ip6Of(b, "g6", "c2");
        assertNotEquals(ip61, ip62);
        // each from its host's own /112 of fd00:30::/64
        final BigInteger block1 = value(ip61).shiftRight(16);
        final BigInteger block2 = value(ip62).shiftRight(16);
        assertNotEquals(block1, block2, ip61 + " and " + ip62 + " in one block");
        assertEquals(value("fd00:30::").shiftRight(64), value(ip61).shiftRight(64), ip61);
        final String blocks = a.ok("cluster", "hosts", "--json").out();
        assertTrue(blocks.contains("fd00:30::") && blocks.contains("/112"), blocks);

        assertTrue(a.ping(c1, ip2, 3), "c1 -> c2 over IPv4\n" + a.daemon.logText());
        assertTrue(ping6(a, c1, ip62), "c1 -> c2 over IPv6\n" + a.daemon.logText());
        assertTrue(ping6(b, c2, ip61), "c2 -> c1 over IPv6\n" + b.daemon.logText());
        final String aaaa = a.lab.check(c1, "dig", "+short", "+time=1", "+tries=3", "@10.30.0.1", "AAAA", "c2")
                .strip();
        assertEquals(ip62, aaaa, "c2's AAAA from host A's DNS");
        final String aaaaOverIpv6 = b.lab.check(c2, "dig", "+short", "+time=1", "+tries=3", "@fd00:30::1", "AAAA", "c1")
                .strip();
        assertEquals(ip61, aaaaOverIpv6, "c1's AAAA from host B's DNS, asked over IPv6");
        assertEquals(
                ip1,
                a.lab.check(c1, "dig", "+short", "+time=1", "+tries=3", "@10.30.0.1", "c1")
                        .strip());
    }

    @Test
    @Order(2)
    void aSolicitationForARemoteAddressIsAnsweredLocallyAndNeverCrossesTheUnderlay() throws Exception {
        final String ip61 = ip6Of(a, "g6", "c1");
        final String ip62 = ip6Of(b, "g6", "c2");
        final long answeredBefore = remoteNdpAnswered(a, "g6");
        final Path pcap = b.dir.resolve("underlay6.pcap");
        final Process tcpdump = captureUnderlay(pcap, "udp", "port", "4789");
        try {
            a.lab.check(c1, "ip", "-6", "neigh", "flush", "all");
            b.lab.check(c2, "ip", "-6", "neigh", "flush", "all");
            assertTrue(ping6(a, c1, ip62), "c1 -> c2 after flushing its neighbors");
            assertTrue(ping6(b, c2, ip61), "c2 -> c1 after flushing its neighbors");
        } finally {
            tcpdump.destroy();
            tcpdump.waitFor(5, TimeUnit.SECONDS);
        }
        final String solicitations = tshark(pcap, "icmpv6.type == 135", "icmpv6.nd.ns.target_address");
        assertTrue(
                !solicitations.contains(ip62) && !solicitations.contains(ip61),
                "solicitations for the containers' addresses crossed the underlay: " + solicitations);
        Await.until(
                "host A counted a solicitation it answered for c2",
                Duration.ofSeconds(5),
                () -> remoteNdpAnswered(a, "g6") > answeredBefore);
        final String echoes = tshark(pcap, "icmpv6.type == 128", "ipv6.dst");
        assertTrue(echoes.contains(ip62) && echoes.contains(ip61), "the pings crossed the underlay: " + echoes);
    }

    @Test
    @Order(3)
    void ipv6ClaimsAreCheckedClusterWide() {
        final String ip61 = ip6Of(a, "g6", "c1");
        final String c3 = b.container("c3");
        final DaemonFixture.Cli taken =
                b.jvs("attach", "--netns", c3, "--network", "g6", "--name", "c3", "--ip6", ip61);
        assertNotEquals(0, taken.exit());
        assertTrue(
                taken.err().contains("address " + ip61 + " on global network g6 is in use by host h1 (endpoint c1)"),
                taken.err());
        final DaemonFixture.Cli overlap = b.jvs(
                "network",
                "create",
                "g7",
                "--driver",
                "overlay",
                "--ipv6",
                "--subnet",
                "10.31.0.0/16",
                "--subnet",
                "fd00:30::/80");
        assertNotEquals(0, overlap.exit());
        assertTrue(overlap.err().contains("overlaps"), overlap.err());
        final DaemonFixture.Cli range = b.jvs(
                "network",
                "create",
                "g8",
                "--driver",
                "overlay",
                "--ipv6",
                "--subnet",
                "fd00:38::/64",
                "--ip-range",
                "fd00:38::/80");
        assertNotEquals(0, range.exit());
        assertTrue(range.err().contains("do not apply to a global network"), range.err());
        assertEquals(
                1,
                a.ok("network", "ls")
                        .out()
                        .lines()
                        .filter(l -> l.contains("global"))
                        .count());
    }

    @Test
    @Order(4)
    void overAnIpv6UnderlayAGlobalNetworkCarriesBothFamilies() throws Exception {
        a.ok("detach", "--network", "g6", "c1");
        b.ok("detach", "--network", "g6", "c2");
        a.ok("network", "rm", "g6");
        Await.until(
                "g6 gone from h2 too",
                Duration.ofSeconds(5),
                () -> b.jvs("network", "inspect", "g6").exit() != 0);
        // the same hosts join another cluster (another prefix of the same etcd), advertising IPv6
        a.daemon.close();
        b.daemon.close();
        a.startDaemon(daemonArgs(1, "fd00:213::1", "/jvs6/"));
        b.startDaemon(daemonArgs(2, "[fd00:213::2]:4789", "/jvs6/"));
        final JsonNode status = a.ok("cluster", "status").json();
        assertEquals("[fd00:213::1]:4789", status.path("advertise").asText(), status.toString());
        a.ok(
                "network",
                "create",
                "g6u",
                "--driver",
                "overlay",
                "--ipv6",
                "--subnet",
                "10.32.0.0/16",
                "--subnet",
                "fd00:32::/64");
        attachBoth("g6u");
        assertEquals(
                "1430",
                b.ok("network", "inspect", "g6u")
                        .json()
                        .path(0)
                        .path("Options")
                        .path("com.jvswitch.network.mtu")
                        .asText(),
                "1500 less VXLAN over IPv6");
        final String hosts = a.ok("cluster", "hosts").out();
        assertTrue(hosts.contains("fd00:213::2"), hosts);
        final String ip2 = b.ipOf("g6u", "c2");
        final String ip62 = ip6Of(b, "g6u", "c2");
        final Path pcap = b.dir.resolve("underlay-ipv6.pcap");
        final Process tcpdump = captureUnderlay(pcap, "ip6", "and", "udp", "port", "4789");
        try {
            assertTrue(a.ping(c1, ip2, 3), "c1 -> c2 over IPv4, VXLAN over IPv6\n" + a.daemon.logText());
            assertTrue(ping6(a, c1, ip62), "c1 -> c2 over IPv6, VXLAN over IPv6\n" + a.daemon.logText());
        } finally {
            tcpdump.destroy();
            tcpdump.waitFor(5, TimeUnit.SECONDS);
        }
        final String outer = tshark(pcap, "vxlan && (icmp || icmpv6.type == 128)", "ipv6.src");
        assertTrue(outer.contains("fd00:213::1"), "the pings crossed in VXLAN over IPv6 from h1: " + outer);
        assertEquals(
                ip62,
                a.lab.check(c1, "dig", "+short", "+time=1", "+tries=3", "@10.32.0.1", "AAAA", "c2")
                        .strip());
    }

    @Test
    @Order(5)
    void aHostAdvertisingTheOtherFamilyIsRefusedClearly() throws Exception {
        final DaemonFixture d = new DaemonFixture("jvsit-c6d", false);
        try {
            a.lab.check(
                    underlaySwitch, "ip", "link", "add", "p9", "type", "veth", "peer", "name", "u0", "netns", d.host);
            a.lab.check(underlaySwitch, "ip", "link", "set", "p9", "master", "br0");
            a.lab.check(underlaySwitch, "ip", "link", "set", "p9", "up");
            d.lab.check(d.host, "ip", "addr", "add", "10.213.0.9/24", "dev", "u0");
            d.lab.check(d.host, "ip", "link", "set", "u0", "up");
            try {
                d.daemon = DaemonProcess.start(
                        d.host,
                        d.socket,
                        d.stateDir,
                        d.dir.resolve("daemon.log"),
                        daemonArgs(9, "10.213.0.9", "/jvs6/"));
                fail("a host advertising IPv4 joined a cluster over IPv6");
            } catch (IllegalStateException e) {
                assertTrue(e.getMessage().contains("cannot join the cluster"), e.getMessage());
                assertTrue(e.getMessage().contains("one underlay family"), e.getMessage());
            }
            final String hosts = a.ok("cluster", "hosts").out();
            assertTrue(!hosts.contains("h9"), "the refused host never registered: " + hosts);
        } finally {
            d.daemon = null;
            d.close();
            a.lab.exec(underlaySwitch, "ip", "link", "del", "p9");
        }
    }
}
