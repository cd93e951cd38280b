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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Three hosts (namespaces, each running a jvs daemon) on one bridged underlay with a three-member
 * etcd cluster on it; one global overlay network created once, containers attached with no
 * address options. Then contention, a killed daemon, killed etcd members and bad input, in that
 * order (the tests share the cluster and run in order).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    static final int TTL = 3;
    static final String GATEWAY = "10.10.0.1";
    static final List<String> ETCD = List.of("e1", "e2", "e3");
    static final Map<String, String> ETCD_ADDRESS =
            Map.of("e1", "10.210.0.11", "e2", "10.210.0.12", "e3", "10.210.0.13");

    static DaemonFixture a;
    static DaemonFixture b;
    static DaemonFixture c;
    static EtcdLab etcd;
    static final Map<String, String> etcdNamespace = new LinkedHashMap<>();
    static String c1;
    static String c2;
    static String c3;

    static String[] daemonArgs(int n) {
        return new String[] {
            "--cluster-store",
            etcd.storeUrl(),
            "--cluster-advertise",
            "10.210.0." + n,
            "--cluster-host-name",
            "h" + n,
            "--cluster-ttl",
            Integer.toString(TTL)
        };
    }

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/etcd")), "needs etcd (Debian's etcd-server)");
        a = new DaemonFixture("jvsit-cla", false);
        b = new DaemonFixture("jvsit-clb", false);
        c = new DaemonFixture("jvsit-clc", false);
        final String underlaySwitch = a.lab.add("sw");
        final Map<String, String> addresses = new LinkedHashMap<>();
        addresses.put(a.host, "10.210.0.1/24");
        addresses.put(b.host, "10.210.0.2/24");
        addresses.put(c.host, "10.210.0.3/24");
        for (String member : ETCD) {
            final String ns = a.lab.add(member);
            etcdNamespace.put(member, ns);
            addresses.put(ns, ETCD_ADDRESS.get(member) + "/24");
        }
        new OverlayLab(a.lab).bridgedUnderlay(underlaySwitch, "u0", addresses);
        etcd = new EtcdLab();
        for (String member : ETCD) {
            etcd.member(member, etcdNamespace.get(member), ETCD_ADDRESS.get(member));
        }
        etcd.startAll();
        a.startDaemon(daemonArgs(1));
        b.startDaemon(daemonArgs(2));
        c.startDaemon(daemonArgs(3));
        c1 = a.container("c1");
        c2 = b.container("c2");
        c3 = c.container("c3");
    }

    @AfterAll
    static void tearDown() throws Exception {
        DaemonFixture.closeKeepingLogs("ClusterIT", c, b, a);
        if (etcd != null) {
            etcd.close();
        }
    }

    static void await(String what, Duration within, BooleanSupplier condition) {
        Await.until(what, within, condition::getAsBoolean);
    }

    static JsonNode network(DaemonFixture f, String name) {
        final DaemonFixture.Cli cli = f.jvs("network", "inspect", name);
        return cli.exit() == 0 ? cli.json().path(0) : null;
    }

    static JsonNode status(DaemonFixture f) {
        return f.ok("cluster", "status").json();
    }

    /**
     * The address {@code name} resolves to from {@code container} (the embedded DNS at the gateway),
     * or "" (dig prints its own complaints on stdout, such as a timed-out upstream for an unknown name).
     */
    static String dig(DaemonFixture f, String container, String name) {
        for (String line : f.lab.exec(container, "dig", "+short", "+time=1", "+tries=1", "@" + GATEWAY, name)
                .stdout()
                .split("\n")) {
            if (line.strip().matches("\\d+\\.\\d+\\.\\d+\\.\\d+")) {
                return line.strip();
            }
        }
        return "";
    }

    static List<String> peers(DaemonFixture f) {
        final List<String> out = new ArrayList<>();
        network(f, "multi")
                .path("Overlay")
                .path("Peers")
                .forEach(p -> out.add(p.path("Address").asText()));
        return out;
    }

    @Test
    @Order(1)
    void oneCreateMakesOneGlobalNetworkEverywhere() throws Exception {
        a.ok("network", "create", "multi", "--driver", "overlay", "--subnet", "10.10.0.0/16");
        final JsonNode created = network(a, "multi");
        assertEquals("global", created.path("Scope").asText());
        final int vni = created.path("Overlay").path("VNI").asInt();
        for (DaemonFixture f : List.of(b, c)) {
            await("the network on " + f.host, Duration.ofSeconds(5), () -> network(f, "multi") != null);
            final JsonNode there = network(f, "multi");
            assertEquals("global", there.path("Scope").asText());
            assertEquals(vni, there.path("Overlay").path("VNI").asInt());
            assertEquals(created.path("Id").asText(), there.path("Id").asText());
        }
        assertTrue(a.ok("network", "ls").out().contains("global"));
        await(
                "every host has the two others as peers",
                Duration.ofSeconds(5),
                () -> peers(a).size() == 2 && peers(b).size() == 2 && peers(c).size() == 2);
    }

    @Test
    @Order(2)
    void containersOnThreeHostsGetDistinctAddressesAndReachEachOtherByName() throws Exception {
        a.ok("attach", "--netns", c1, "--network", "multi", "--name", "c1");
        b.ok("attach", "--netns", c2, "--network", "multi", "--name", "c2");
        c.ok("attach", "--netns", c3, "--network", "multi", "--name", "c3");
        final String ip1 = a.ipOf("multi", "c1");
        final String ip2 = b.ipOf("multi", "c2");
        final String ip3 = c.ipOf("multi", "c3");
        assertEquals(3, Set.of(ip1, ip2, ip3).size(), ip1 + " " + ip2 + " " + ip3);
        final Map<String, String> ips = Map.of("c1", ip1, "c2", ip2, "c3", ip3);
        final Map<String, DaemonFixture> hosts = Map.of("c1", a, "c2", b, "c3", c);
        final Map<String, String> ns = Map.of("c1", c1, "c2", c2, "c3", c3);
        for (String from : ips.keySet()) {
            for (String to : ips.keySet()) {
                if (from.equals(to)) {
                    continue;
                }
                final DaemonFixture f = hosts.get(from);
                await(
                        to + " resolves from " + from,
                        Duration.ofSeconds(5),
                        () -> dig(f, ns.get(from), to).equals(ips.get(to)));
                assertTrue(f.ping(ns.get(from), ips.get(to), 2), from + " -> " + to);
            }
        }
        // getent and ping by name: the container's resolv.conf points at its gateway
        assertEquals(ip2, a.lab.check(c1, "getent", "hosts", "c2").split("\\s+")[0]);
        assertTrue(a.lab.exec(c1, "ping", "-c", "1", "-W", "2", "c3").ok());
        // TCP across hosts
        final Process server = b.lab.start(c2, b.dir.resolve("nc.out"), "nc", "-l", "-p", "7070");
        try {
            await(
                    "nc listens",
                    Duration.ofSeconds(5),
                    () -> b.lab.exec(c2, "ss", "-ltn", "sport = :7070").stdout().contains("7070"));
            assertTrue(a.lab.exec(c1, "sh", "-c", "echo hello-over-the-cluster | nc -q 1 -w 3 " + ip2 + " 7070")
                    .ok());
            assertTrue(server.waitFor(5, TimeUnit.SECONDS));
            assertTrue(Files.readString(b.dir.resolve("nc.out")).contains("hello-over-the-cluster"));
        } finally {
            server.destroyForcibly();
        }
    }

    @Test
    @Order(3)
    void arpForARemoteContainerIsAnsweredLocallyAndOneVniIsOnTheWire() throws Exception {
        final String ip1 = a.ipOf("multi", "c1");
        final String ip2 = b.ipOf("multi", "c2");
        final int vni = network(a, "multi").path("Overlay").path("VNI").asInt();
        final Path pcap = b.dir.resolve("underlay.pcap");
        final Path log = b.dir.resolve("tcpdump.log");
        final Process tcpdump = b.lab.start(
                b.host,
                log,
                "tcpdump",
                "-i",
                "u0",
                "--immediate-mode",
                "-U",
                "-Z",
                "root",
                "-n",
                "-w",
                pcap.toString(),
                "udp",
                "port",
                "4789");
        try {
            await("tcpdump listens", Duration.ofSeconds(5), () -> {
                try {
                    return Files.readString(log).contains("listening on");
                } catch (Exception e) {
                    return false;
                }
            });
            a.lab.check(c1, "ip", "neigh", "flush", "all");
            assertTrue(a.ping(c1, ip2, 3));
            b.lab.check(c2, "ip", "neigh", "flush", "all");
            assertTrue(b.ping(c2, ip1, 3));
        } finally {
            tcpdump.destroy();
            tcpdump.waitFor(5, TimeUnit.SECONDS);
        }
        final String arpRequests = b.lab.check(
                b.host,
                "tshark",
                "-r",
                pcap.toString(),
                "-d",
                "udp.port==4789,vxlan",
                "-Y",
                "arp.opcode == 1 && arp.src.proto_ipv4 != arp.dst.proto_ipv4",
                "-T",
                "fields",
                "-e",
                "arp.dst.proto_ipv4");
        assertEquals("", arpRequests.strip(), "ARP requests crossed the underlay: " + arpRequests);
        final String vnis = b.lab.check(
                b.host,
                "tshark",
                "-r",
                pcap.toString(),
                "-d",
                "udp.port==4789,vxlan",
                "-T",
                "fields",
                "-e",
                "vxlan.vni");
        final Set<String> seen = new HashSet<>(List.of(vnis.strip().split("\\s+")));
        assertEquals(Set.of(Integer.toString(vni)), seen, "VNIs on the wire");
        final String icmp = b.lab.check(
                b.host,
                "tshark",
                "-r",
                pcap.toString(),
                "-d",
                "udp.port==4789,vxlan",
                "-Y",
                "icmp",
                "-T",
                "fields",
                "-e",
                "ip.dst");
        assertTrue(icmp.contains(ip2) && icmp.contains(ip1), "the pings crossed the underlay: " + icmp);
    }

    @Test
    @Order(4)
    void twentyAttachesOnTwoHostsAtOnceGiveNoDuplicateAddressOrName() throws Exception {
        final int n = 20;
        final List<String> created = new ArrayList<>();
        final Map<String, DaemonFixture> owner = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            for (DaemonFixture f : List.of(a, b)) {
                final String name = (f == a ? "wa" : "wb") + i;
                created.add(f.container(name));
                owner.put(created.getLast(), f);
            }
        }
        final String dupA = a.container("dupa");
        final String dupB = b.container("dupb");
        final ExecutorService pool = Executors.newFixedThreadPool(8);
        final CountDownLatch go = new CountDownLatch(1);
        try {
            final List<Future<DaemonFixture.Cli>> results = new ArrayList<>();
            for (String ns : created) {
                final DaemonFixture f = owner.get(ns);
                final String name = ns.substring(ns.lastIndexOf('-') + 1);
                results.add(pool.submit(() -> {
                    go.await();
                    return f.jvs("attach", "--netns", ns, "--network", "multi", "--name", name);
                }));
            }
            final Future<DaemonFixture.Cli> dup1 = pool.submit(() -> {
                go.await();
                return a.jvs("attach", "--netns", dupA, "--network", "multi", "--name", "twin");
            });
            final Future<DaemonFixture.Cli> dup2 = pool.submit(() -> {
                go.await();
                return b.jvs("attach", "--netns", dupB, "--network", "multi", "--name", "twin");
            });
            go.countDown();
            for (Future<DaemonFixture.Cli> r : results) {
                final DaemonFixture.Cli cli = r.get(120, TimeUnit.SECONDS);
                assertEquals(0, cli.exit(), cli.err());
            }
            final DaemonFixture.Cli t1 = dup1.get(60, TimeUnit.SECONDS);
            final DaemonFixture.Cli t2 = dup2.get(60, TimeUnit.SECONDS);
            assertEquals(1, (t1.exit() == 0 ? 1 : 0) + (t2.exit() == 0 ? 1 : 0), t1.err() + " / " + t2.err());
            final String refusal = t1.exit() == 0 ? t2.err() : t1.err();
            assertTrue(refusal.contains("already on global network multi"), refusal);
        } finally {
            pool.shutdownNow();
        }
        final List<String> all = new ArrayList<>();
        for (DaemonFixture f : List.of(a, b, c)) {
            network(f, "multi")
                    .path("Containers")
                    .forEach(e -> all.add(e.path("IPv4Address").asText()));
        }
        assertEquals(all.size(), new HashSet<>(all).size(), "duplicate addresses: " + all);
        assertEquals(3 + 2 * n + 1, all.size());
        // a container on A reaches one on B that was attached in the rush, by name
        await(
                "wb7 resolves on a",
                Duration.ofSeconds(5),
                () -> !dig(a, c1, "wb7").isEmpty());
        assertTrue(a.ping(c1, dig(a, c1, "wb7"), 1));
        final JsonNode st = status(a);
        assertTrue(st.path("requestsPerAttach").asDouble() > 0, st.toString());
        for (String ns : created) {
            owner.get(ns).lab.delete(ns);
        }
        a.lab.delete(dupA);
        b.lab.delete(dupB);
        await(
                "the rush's endpoints are withdrawn",
                Duration.ofSeconds(15),
                () -> dig(c, c3, "wb7").isEmpty()
                        && network(a, "multi").path("Containers").size() == 1);
    }

    @Test
    @Order(5)
    void aKilledDaemonVanishesWithinItsTtlAndComesBackWithItsAddresses() throws Exception {
        final String ip3 = c.ipOf("multi", "c3");
        final String mac3 =
                network(c, "multi").findValues("MacAddress").getFirst().asText();
        assertEquals(ip3, dig(a, c1, "c3"));
        final String c4 = c.container("c4");
        c.ok("attach", "--netns", c4, "--network", "multi", "--name", "c4");
        final long killed = System.nanoTime();
        c.daemon.kill();
        await(
                "h3 is no peer of a or b",
                Duration.ofMillis((TTL + 1) * 1000L),
                () -> !peers(a).contains("10.210.0.3") && !peers(b).contains("10.210.0.3"));
        final long gone = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        // the names went in the same reconcile as the peer; an unknown name takes dig a timeout
        await(
                "c3 stops resolving on a",
                Duration.ofSeconds(3),
                () -> dig(a, c1, "c3").isEmpty());
        System.out.println("ClusterIT: a killed host vanished from the others in " + gone + " ms (TTL " + TTL + " s)");
        final JsonNode dead = a.ok("cluster", "hosts", "--json").json();
        boolean sawDead = false;
        for (JsonNode h : dead) {
            if (h.path("name").asText().equals("h3")) {
                sawDead = !h.path("alive").asBoolean() && h.path("addresses").asInt() == 2;
            }
        }
        assertTrue(sawDead, "h3 is listed dead with its address kept: " + dead);
        final DaemonFixture.Cli refused = a.jvs("cluster", "host", "rm", "h2");
        assertNotEquals(0, refused.exit());
        assertTrue(refused.err().contains("alive"), refused.err());

        c.lab.delete(c4); // the container goes while its host's daemon is down
        c.startDaemon(daemonArgs(3));
        assertEquals(ip3, c.ipOf("multi", "c3"));
        await(
                "c3 resolves again on a, to the same address",
                Duration.ofSeconds(10),
                () -> dig(a, c1, "c3").equals(ip3));
        assertEquals(
                mac3, network(c, "multi").findValues("MacAddress").getFirst().asText());
        await("c4's address is freed by its host on its return", Duration.ofSeconds(5), () -> {
            for (JsonNode h : a.ok("cluster", "hosts", "--json").json()) {
                if (h.path("name").asText().equals("h3")) {
                    return h.path("alive").asBoolean() && h.path("addresses").asInt() == 1;
                }
            }
            return false;
        });
        assertTrue(a.ping(c1, ip3, 2));
        assertTrue(c.ping(c3, a.ipOf("multi", "c1"), 2));
    }

    @Test
    @Order(6)
    void oneEtcdMemberKilledChangesNothing() throws Exception {
        etcd.kill("e1");
        try {
            final String k1 = b.container("k1");
            // The client may still be failing over from the killed member: retried while it says so.
            final DaemonFixture.Cli attach = Await.until(
                    "an attach while one member is down",
                    Duration.ofSeconds(10),
                    () -> b.jvs("attach", "--netns", k1, "--network", "multi", "--name", "k1"),
                    cli -> cli.exit() == 0 || !cli.err().contains("does not answer"));
            assertEquals(0, attach.exit(), attach.err());
            final String ipk = b.ipOf("multi", "k1");
            await(
                    "k1 resolves on a",
                    Duration.ofSeconds(5),
                    () -> dig(a, c1, "k1").equals(ipk));
            assertTrue(a.ping(c1, ipk, 2));
            assertTrue(a.ping(c1, c.ipOf("multi", "c3"), 1));
            for (DaemonFixture f : List.of(a, b, c)) {
                assertEquals("connected", status(f).path("state").asText());
            }
        } finally {
            etcd.restart("e1");
            etcd.awaitHealthy("e1", Duration.ofSeconds(30));
        }
    }

    @Test
    @Order(7)
    void withEveryMemberDownTrafficFlowsReadsWorkWritesFailClearlyAndItConvergesAfter() throws Exception {
        final String ip2 = b.ipOf("multi", "c2");
        final String late = c.container("late");
        for (String member : ETCD) {
            etcd.kill(member);
        }
        try {
            await(
                    "a sees the store gone",
                    Duration.ofSeconds(10),
                    () -> status(a).path("state").asText().equals("unreachable"));
            assertTrue(a.ping(c1, ip2, 3), "traffic between existing containers continues");
            assertEquals(ip2, dig(a, c1, "c2"), "names still resolve");
            assertTrue(a.ok("network", "ls").out().contains("multi"));
            final DaemonFixture.Cli attach = c.jvs("attach", "--netns", late, "--network", "multi", "--name", "late");
            assertNotEquals(0, attach.exit());
            assertTrue(attach.err().contains("cluster store does not answer"), attach.err());
            final DaemonFixture.Cli create =
                    a.jvs("network", "create", "later", "--driver", "overlay", "--subnet", "10.30.0.0/24");
            assertNotEquals(0, create.exit());
            assertTrue(create.err().contains("cluster store does not answer"), create.err());
            Thread.sleep((TTL + 1) * 1000L); // longer than a lease: nothing is flushed meanwhile
            assertTrue(a.ping(c1, ip2, 2), "still forwarding after a TTL without the store");
        } finally {
            for (String member : ETCD) {
                etcd.restart(member);
            }
            for (String member : ETCD) {
                etcd.awaitHealthy(member, Duration.ofSeconds(30));
            }
        }
        for (DaemonFixture f : List.of(a, b, c)) {
            await(
                    "connected again",
                    Duration.ofSeconds(15),
                    () -> status(f).path("state").asText().equals("connected"));
        }
        c.ok("attach", "--netns", late, "--network", "multi", "--name", "late");
        final String ipLate = c.ipOf("multi", "late");
        await(
                "late resolves on a",
                Duration.ofSeconds(10),
                () -> dig(a, c1, "late").equals(ipLate));
        await(
                "c2 still resolves on a",
                Duration.ofSeconds(10),
                () -> dig(a, c1, "c2").equals(ip2));
        assertTrue(a.ping(c1, ipLate, 2));
    }

    @Test
    @Order(8)
    void aHostCutOffFromTheStoreLongerThanItsTtlComesBackWithItsNamesAndAddresses() throws Exception {
        final String ip2 = b.ipOf("multi", "c2");
        // b's packets to etcd vanish (a half-open connection, as a partition makes it); the underlay stays
        b.lab.check(b.host, "iptables", "-I", "OUTPUT", "-p", "tcp", "--dport", "2379", "-j", "DROP");
        try {
            await(
                    "the others drop h2 when its lease runs out",
                    Duration.ofSeconds(TTL + 4L),
                    () -> !peers(a).contains("10.210.0.2") && !peers(c).contains("10.210.0.2"));
            await(
                    "b notices the store is gone",
                    Duration.ofSeconds(15),
                    () -> status(b).path("state").asText().equals("unreachable"));
            assertEquals(ip2, dig(b, c2, "c2"), "b's own names still answer");
        } finally {
            b.lab.check(b.host, "iptables", "-D", "OUTPUT", "-p", "tcp", "--dport", "2379", "-j", "DROP");
        }
        await(
                "b re-registers and re-publishes c2 with its address",
                Duration.ofSeconds(20),
                () -> dig(a, c1, "c2").equals(ip2));
        await("h2 is a peer again", Duration.ofSeconds(5), () -> peers(a).contains("10.210.0.2"));
        assertTrue(a.ping(c1, ip2, 2));
        final JsonNode st = status(b);
        assertEquals("connected", st.path("state").asText());
        assertEquals(0, st.path("conflicts").size(), st.toString());
    }

    @Test
    @Order(9)
    void badInputIsRefusedClearly() throws Exception {
        // two hosts create the same network at the same moment: one wins
        final ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            final CountDownLatch go = new CountDownLatch(1);
            final Future<DaemonFixture.Cli> fromA = pool.submit(() -> {
                go.await();
                return a.jvs("network", "create", "race", "--driver", "overlay", "--subnet", "10.20.0.0/24");
            });
            final Future<DaemonFixture.Cli> fromB = pool.submit(() -> {
                go.await();
                return b.jvs("network", "create", "race", "--driver", "overlay", "--subnet", "10.20.0.0/24");
            });
            go.countDown();
            final DaemonFixture.Cli ra = fromA.get(30, TimeUnit.SECONDS);
            final DaemonFixture.Cli rb = fromB.get(30, TimeUnit.SECONDS);
            assertEquals(1, (ra.exit() == 0 ? 1 : 0) + (rb.exit() == 0 ? 1 : 0), ra.err() + " / " + rb.err());
            final String refusal = ra.exit() == 0 ? rb.err() : ra.err();
            assertTrue(refusal.contains("already exists"), refusal);
            final DaemonFixture winner = ra.exit() == 0 ? a : b;
            await("race everywhere", Duration.ofSeconds(5), () -> network(c, "race") != null);
            winner.ok("network", "rm", "race");
            await(
                    "race gone everywhere",
                    Duration.ofSeconds(5),
                    () -> network(a, "race") == null && network(b, "race") == null && network(c, "race") == null);
        } finally {
            pool.shutdownNow();
        }
        // an address another host owns
        final String ip1 = a.ipOf("multi", "c1");
        final String x = b.container("x");
        final DaemonFixture.Cli taken = b.jvs("attach", "--netns", x, "--network", "multi", "--ip", ip1);
        assertNotEquals(0, taken.exit());
        assertTrue(taken.err().contains("in use by host h1"), taken.err());
        // network rm while other hosts have endpoints on it
        final DaemonFixture.Cli rm = c.jvs("network", "rm", "multi");
        assertNotEquals(0, rm.exit());
        assertTrue(rm.err().contains("host h1 (c1)") && rm.err().contains("host h2"), rm.err());
        // garbage under the prefix: ignored and counted
        final String ns = etcdNamespace.get("e2");
        final String endpoint = etcd.clientUrl("e2");
        a.lab.check(ns, "etcdctl", "--endpoints", endpoint, "put", "/jvs/v1/hosts/zz", "garbage");
        a.lab.check(ns, "etcdctl", "--endpoints", endpoint, "put", "/jvs/v1/networks/bad", "{\"name\":");
        await(
                "garbage counted",
                Duration.ofSeconds(5),
                () -> status(a).path("ignoredRecords").asLong() >= 2);
        assertTrue(a.ok("network", "ls").out().contains("multi"));
        assertTrue(a.ping(c1, b.ipOf("multi", "c2"), 1));
        a.lab.check(ns, "etcdctl", "--endpoints", endpoint, "del", "--prefix", "/jvs/v1/hosts/zz");
        a.lab.check(ns, "etcdctl", "--endpoints", endpoint, "del", "/jvs/v1/networks/bad");
    }

    @Test
    @Order(10)
    void anUnreachableStoreStopsTheDaemonWithAClearMessage() throws Exception {
        final DaemonFixture d = new DaemonFixture("jvsit-cld", false);
        try {
            try {
                d.daemon = DaemonProcess.start(
                        d.host,
                        d.socket,
                        d.stateDir,
                        d.dir.resolve("daemon.log"),
                        "--cluster-store",
                        "etcd://10.99.0.1:2379",
                        "--cluster-advertise",
                        "10.99.0.2",
                        "--cluster-host-name",
                        "h9");
                fail("the daemon started without its store");
            } catch (IllegalStateException e) {
                assertTrue(e.getMessage().contains("cannot join the cluster"), e.getMessage());
                assertTrue(e.getMessage().contains("does not answer"), e.getMessage());
            }
        } finally {
            d.daemon = null;
            d.close();
        }
    }
}
