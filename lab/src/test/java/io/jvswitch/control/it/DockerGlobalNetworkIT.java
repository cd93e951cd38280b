package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.cli.JvsCommand;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.DockerEngineLab;
import io.jvswitch.control.lab.EtcdLab;
import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.control.lab.OverlayLab;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Docker networks put onto one global (cluster) jvs network with {@code -o jvs.network}: two hosts
 * (namespaces joined by a veth underlay), each with a real dockerd and a jvs daemon in cluster mode,
 * one real etcd member. The containers Docker starts on the two hosts get addresses from the
 * cluster's per-host blocks (never the same one), reach each other across the overlay, and a
 * restarted jvs daemon still knows which jvs network its Docker network is. The tests run in order
 * on the same engines: each leaves what the next one starts from.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerGlobalNetworkIT {
    private static final String IMAGE = "jvs-test/busybox";
    private static final String SUBNET = "10.30.0.0/24";
    private static final String GATEWAY = "10.30.0.1";
    private static final long WAIT_SECONDS = 60;
    /** The dual-stack global network's subnets. */
    private static final String DUAL_SUBNET = "10.31.0.0/24";

    private static final String DUAL_SUBNET6 = "fd00:31::/64";

    private NetnsLab lab;
    private EtcdLab etcd;
    private final Host a = new Host("ha", "10.221.0.1");
    private final Host b = new Host("hb", "10.221.0.2");

    /** One host: its namespace, Docker engine and jvs daemon. */
    private final class Host {
        final String name;
        final String underlay;
        String namespace;
        DockerEngineLab engine;
        DaemonProcess daemon;

        Host(String name, String underlay) {
            this.name = name;
            this.underlay = underlay;
        }

        void startEngine() throws Exception {
            engine = new DockerEngineLab();
            engine.start(namespace);
            engine.importBusybox(IMAGE, "hello from " + name);
        }

        void startDaemon() throws Exception {
            daemon = DaemonProcess.startWith(
                    engine.enter(),
                    engine.dir().resolve("jvs.sock"),
                    engine.dir().resolve("jvs-state"),
                    engine.dir().resolve("jvs.log"),
                    "--docker-plugin-socket",
                    DockerEngineLab.PLUGIN_SOCKET.toString(),
                    "--docker-host",
                    engine.host(),
                    "--cluster-store",
                    etcd.storeUrl(),
                    "--cluster-advertise",
                    underlay,
                    "--cluster-host-name",
                    name);
        }

        String jvsText(String... args) {
            final StringWriter out = new StringWriter();
            final StringWriter err = new StringWriter();
            final String[] full = Stream.concat(
                            Stream.of(args),
                            Stream.of(
                                    "--socket", engine.dir().resolve("jvs.sock").toString()))
                    .toArray(String[]::new);
            final int exit = JvsCommand.run(full, new PrintWriter(out, true), new PrintWriter(err, true));
            if (exit != 0) {
                throw new AssertionError("jvs " + String.join(" ", args) + " on " + name + " failed: " + err
                        + "\njvs log:\n" + daemon.logText());
            }
            return out.toString();
        }

        JsonNode jvs(String... args) {
            try {
                return Json.mapper().readTree(jvsText(args));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        String ipOf(String container, String network) {
            return setting(container, network, "IPAddress");
        }

        String setting(String container, String network, String field) {
            return engine.check(
                    "inspect", "-f", "{{.NetworkSettings.Networks." + network + "." + field + "}}", container);
        }

        /** This host's row of {@code jvs cluster hosts --json}, as the store has it. */
        JsonNode clusterRow(Host of) {
            for (JsonNode row : jvs("cluster", "hosts", "--json")) {
                if (row.path("name").asText().equals(of.name)) {
                    return row;
                }
            }
            throw new AssertionError("no host " + of.name + " in jvs cluster hosts on " + name);
        }

        /** Whether an address is inside one of this host's blocks of {@code network}, by the store. */
        boolean ownsBlockOf(String network, String ip6) {
            for (JsonNode block : clusterRow(this).path("blocks")) {
                final String text = block.asText();
                if (text.startsWith(network + ":")
                        && Ipv6Cidr.looksLikeIpv6(text.substring(network.length() + 1))
                        && Ipv6Cidr.parse(text.substring(network.length() + 1), "block")
                                .contains(Ipv6Cidr.parseAddress(ip6, "address"))) {
                    return true;
                }
            }
            return false;
        }

        /** {@code docker network create -d jvs --ipam-driver jvs -o jvs.network=multi multi}, the pool by {@code how}. */
        void putOntoMulti(String how, String value) {
            createNetwork("--ipam-driver", "jvs", how, value, "-o", "jvs.network=multi", "multi");
        }

        /** {@code docker network create -d jvs ARGS}. */
        void createNetwork(String... args) {
            engine.check(withCreate(args));
        }

        /** The refusal's text of {@code docker network create -d jvs ARGS}. */
        String refusedCreate(String... args) {
            return refused(withCreate(args));
        }

        private static String[] withCreate(String... args) {
            return Stream.concat(Stream.of("network", "create", "-d", "jvs"), Stream.of(args))
                    .toArray(String[]::new);
        }

        /** The refusal's text; fails when the command succeeds. */
        String refused(String... args) {
            final DockerEngineLab.Result result = engine.docker(args);
            assertNotEquals(
                    0, result.exitCode(), "docker " + String.join(" ", args) + " succeeded: " + result.output());
            return result.output();
        }

        void close() throws Exception {
            try {
                if (engine != null) {
                    engine.docker("rm", "-f", "c1", "c2", "c3", "c4", "d1", "d2", "d3", "d4");
                }
            } finally {
                try {
                    if (daemon != null) {
                        keepLog();
                        daemon.close();
                    }
                } finally {
                    if (engine != null) {
                        engine.close();
                    }
                }
            }
        }

        /** The daemon's log outlives the engine's directory, for a failure's post-mortem. */
        private void keepLog() {
            try {
                Files.createDirectories(Path.of("target"));
                Files.copy(
                        engine.dir().resolve("jvs.log"),
                        Path.of("target", "DockerGlobalNetworkIT-" + name + ".log"),
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                // best effort
            }
        }
    }

    @BeforeAll
    void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "integration tests need root");
        assumeTrue(
                DockerEngineLab.available(), "needs dockerd, docker and busybox (Debian's docker.io, busybox-static)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/etcd")), "needs etcd (Debian's etcd-server)");
        lab = new NetnsLab("jvsdg");
        try {
            a.namespace = lab.add("a");
            b.namespace = lab.add("b");
            new OverlayLab(lab).underlay(a.namespace, "u0", "10.221.0.1/24", b.namespace, "u0", "10.221.0.2/24");
            etcd = new EtcdLab();
            etcd.member("e1", a.namespace, "10.221.0.1");
            etcd.startAll();
            a.startEngine();
            b.startEngine();
            a.startDaemon();
            b.startDaemon();
            // the global network, created once, on one host
            a.jvsText("network", "create", "multi", "--driver", "overlay", "--subnet", SUBNET);
            await(() -> b.jvsText("network", "ls").contains("multi"));
        } catch (Exception | Error e) {
            stop();
            throw e;
        }
    }

    @AfterAll
    void stop() throws Exception {
        for (Host host : List.of(b, a)) {
            try {
                host.close();
            } catch (Exception e) {
                // go on with the other host
            }
        }
        try {
            if (etcd != null) {
                etcd.close();
            }
        } finally {
            if (lab != null) {
                lab.close();
            }
        }
    }

    @Test
    @Order(1)
    void badInputIsRefusedWithAClearMessageAndChangesNothing() {
        final String networksBefore = a.engine.check("network", "ls", "-q");
        final String jvsBefore = a.jvsText("network", "ls");
        assertTrue(a.refusedCreate("-o", "jvs.network=nope", "--subnet", "10.99.0.0/24", "x")
                .contains("unknown jvs network 'nope'"));
        assertTrue(
                a.refusedCreate("--ipam-driver", "jvs", "--ipam-opt", "jvs.network=nope", "-o", "jvs.network=nope", "x")
                        .contains("unknown jvs network 'nope'"));
        // local vs global: Docker's own IPAM is this engine's alone, and would repeat the other hosts' addresses
        final String local = a.refusedCreate("-o", "jvs.network=multi", "--subnet", SUBNET, "x");
        assertTrue(local.contains("is global") && local.contains("--ipam-driver jvs"), local);
        // the subnet must be the jvs network's
        final String other = a.refusedCreate(
                "--ipam-driver", "jvs", "--ipam-opt", "jvs.network=multi", "--subnet", "10.30.0.0/25", "x");
        assertTrue(other.contains("is not jvs network multi's (" + SUBNET + ")"), other);
        final String overlap =
                a.refusedCreate("--ipam-driver", "jvs", "-o", "jvs.network=multi", "--subnet", "10.30.0.0/25", "x");
        assertTrue(overlap.contains("overlaps " + SUBNET), overlap);
        // the jvs network's subnet without -o jvs.network: said what to add
        final String plain = a.refusedCreate("--ipam-driver", "jvs", "--subnet", SUBNET, "x");
        assertTrue(plain.contains("add -o jvs.network=multi"), plain);
        // the jvs network keeps its own settings
        final String settings = a.refusedCreate(
                "--ipam-driver", "jvs", "--subnet", SUBNET, "-o", "jvs.network=multi", "-o", "jvs.mtu=1400", "x");
        assertTrue(settings.contains("own settings"), settings);
        assertEquals(networksBefore, a.engine.check("network", "ls", "-q"));
        assertEquals(jvsBefore, a.jvsText("network", "ls"));
    }

    @Test
    @Order(2)
    void dockerNetworksOnTwoHostsArePutOntoTheGlobalNetwork() {
        // by the network's subnet, or by the IPAM option naming it
        a.putOntoMulti("--subnet", SUBNET);
        b.putOntoMulti("--ipam-opt", "jvs.network=multi");
        for (Host host : List.of(a, b)) {
            assertEquals(
                    SUBNET,
                    host.engine.check("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", "multi"));
        }
        // no jvs network of its own: still the one global network
        assertFalse(a.jvsText("network", "ls").contains("docker-"), a.jvsText("network", "ls"));
    }

    @Test
    @Order(3)
    void containersOnTwoHostsGetDistinctAddressesAndReachEachOther() {
        // --dns: Docker's resolver passes the names it does not know (other hosts' containers) to jvs's
        a.engine.check("run", "-d", "--name", "c1", "--network", "multi", "--dns", GATEWAY, IMAGE, "sleep", "3600");
        b.engine.check("run", "-d", "--name", "c2", "--network", "multi", "--dns", GATEWAY, IMAGE, "sleep", "3600");
        a.engine.check("run", "-d", "--name", "c3", "--network", "multi", IMAGE, "sleep", "3600");
        final String c1 = a.ipOf("c1", "multi");
        final String c2 = b.ipOf("c2", "multi");
        final String c3 = a.ipOf("c3", "multi");
        final Cidr subnet = Cidr.parse(SUBNET);
        for (String ip : List.of(c1, c2, c3)) {
            assertTrue(subnet.contains(Cidr.parseAddress(ip)), ip);
        }
        assertEquals(3, Stream.of(c1, c2, c3).distinct().count(), c1 + " " + c2 + " " + c3);
        // per-host blocks (a /26 each): host b's container is in another block than host a's
        assertNotEquals(Cidr.parseAddress(c1) & 0xffffffc0, Cidr.parseAddress(c2) & 0xffffffc0, c1 + " " + c2);
        // the endpoints are the global network's own, on each host; the default route is its gateway
        assertTrue(a.jvs("network", "inspect", "multi").toString().contains(c1));
        assertTrue(b.jvs("network", "inspect", "multi").toString().contains(c2));
        assertTrue(a.engine.check("exec", "c1", "ip", "route").contains("default via " + GATEWAY));
        // across the overlay, both ways; and on one host by name (Docker's resolver)
        assertTrue(ping(a, "c1", c2), "c1 on " + a.name + " cannot ping c2 " + c2);
        assertTrue(ping(b, "c2", c1), "c2 on " + b.name + " cannot ping c1 " + c1);
        assertTrue(ping(a, "c1", "c3"), "c1 cannot ping c3 by name");
        // by name across hosts: jvs's DNS knows each Docker endpoint by its container's name, cluster-wide
        assertTrue(ping(a, "c1", "c2"), "c1 cannot ping c2 by name");
        assertTrue(ping(b, "c2", "c1"), "c2 cannot ping c1 by name");
        assertTrue(
                b.engine.check("exec", "c2", "nslookup", "c1", GATEWAY).contains(c1),
                "jvs's DNS on " + b.name + " does not answer c1");
    }

    @Test
    @Order(4)
    void aRestartedDaemonKeepsTheDockerNetworkOnTheGlobalNetwork() throws Exception {
        int from = a.daemon.logText().length();
        a.daemon.close();
        a.startDaemon();
        awaitLog(a, from, "Docker reconciliation: Docker and jvs agree");
        // its map file lost while it was down: Docker's own record of -o jvs.network restores it
        from = a.daemon.logText().length();
        a.daemon.close();
        Files.delete(a.engine.dir().resolve("jvs-state").resolve("docker-networks.json"));
        a.startDaemon();
        awaitLog(a, from, "Docker reconciliation: Docker network multi is on jvs network multi again");
        a.engine.check("run", "-d", "--name", "c4", "--network", "multi", IMAGE, "sleep", "3600");
        final String c4 = a.ipOf("c4", "multi");
        // on the global network, not on a network of its own: host b sees it, and it answers from there
        assertTrue(a.jvs("network", "inspect", "multi").toString().contains(c4));
        assertTrue(ping(b, "c2", c4), "c2 cannot ping c4 " + c4);
        assertTrue(ping(b, "c2", a.ipOf("c1", "multi")), "c2 cannot ping c1 after the daemon's restart");
        assertFalse(a.daemon.logText().contains("Docker reconciliation: detached"), a.daemon.logText());
    }

    @Test
    @Order(5)
    void removingTheDockerNetworkLeavesTheGlobalNetwork() {
        b.engine.check("rm", "-f", "c2");
        b.engine.check("network", "rm", "multi");
        assertTrue(b.jvsText("network", "ls").contains("multi"));
        assertTrue(a.jvsText("network", "ls").contains("multi"));
        // and it can be put on it again
        b.putOntoMulti("--subnet", SUBNET);
        b.engine.check("run", "-d", "--name", "c2", "--network", "multi", IMAGE, "sleep", "3600");
        assertTrue(ping(b, "c2", a.ipOf("c1", "multi")), "c2 cannot ping c1 on the network made again");
    }

    /**
     * {@code --ipv6} onto a dual-stack global network: the jvs IPAM hands each container an IPv6
     * address from its host's IPv6 blocks (claimed in the store with the endpoint), kept across a
     * restart of jvs and released when the container goes; another IPv6 subnet is refused.
     */
    @Test
    @Order(6)
    void ipv6OnADualStackGlobalNetworkComesFromEachHostsIpv6Blocks() throws Exception {
        a.jvsText(
                "network",
                "create",
                "dual",
                "--driver",
                "overlay",
                "--ipv6",
                "--subnet",
                DUAL_SUBNET,
                "--subnet",
                DUAL_SUBNET6);
        await(() -> b.jvsText("network", "ls").contains("dual"));
        final String networksBefore = a.engine.check("network", "ls", "-q");
        final String other = a.refusedCreate(
                "--ipam-driver",
                "jvs",
                "--ipv6",
                "--subnet",
                "fd00:99::/64",
                "--ipam-opt",
                "jvs.network=dual",
                "-o",
                "jvs.network=dual",
                "x");
        assertTrue(other.contains("IPv6 subnet fd00:99::/64 is not jvs network dual's (" + DUAL_SUBNET6 + ")"), other);
        assertEquals(networksBefore, a.engine.check("network", "ls", "-q"), "nothing was made");
        for (Host host : List.of(a, b)) {
            host.createNetwork(
                    "--ipam-driver",
                    "jvs",
                    "--ipv6",
                    "--ipam-opt",
                    "jvs.network=dual",
                    "-o",
                    "jvs.network=dual",
                    "dual");
        }
        a.engine.check("run", "-d", "--name", "d1", "--network", "dual", IMAGE, "sleep", "3600");
        b.engine.check("run", "-d", "--name", "d2", "--network", "dual", IMAGE, "sleep", "3600");
        final String d1 = a.setting("d1", "dual", "GlobalIPv6Address");
        final String d2 = b.setting("d2", "dual", "GlobalIPv6Address");
        assertEquals("fd00:31::1", b.setting("d2", "dual", "IPv6Gateway"));
        assertNotEquals(d1, d2);
        // each from an IPv6 block its own host holds in the store, and claimed there with the endpoint
        assertTrue(a.ownsBlockOf("dual", d1), d1 + " " + a.clusterRow(a));
        assertTrue(b.ownsBlockOf("dual", d2), d2 + " " + b.clusterRow(b));
        assertFalse(a.ownsBlockOf("dual", d2), d2 + " " + a.clusterRow(a));
        await(() -> a.clusterRow(b).path("addresses6").asInt() == 1);
        assertTrue(ping6(a, "d1", d2), "d1 on " + a.name + " cannot ping6 d2 " + d2);
        assertTrue(ping6(b, "d2", d1), "d2 on " + b.name + " cannot ping6 d1 " + d1);

        // a restarted jvs daemon hands out no IPv6 address twice
        final int from = b.daemon.logText().length();
        b.daemon.close();
        b.startDaemon();
        awaitLog(b, from, "Docker reconciliation: Docker and jvs agree");
        b.engine.check("run", "-d", "--name", "d3", "--network", "dual", IMAGE, "sleep", "3600");
        final String d3 = b.setting("d3", "dual", "GlobalIPv6Address");
        assertNotEquals(d2, d3);
        assertTrue(b.ownsBlockOf("dual", d3), d3 + " " + b.clusterRow(b));
        assertTrue(ping6(a, "d1", d3), "d1 cannot ping6 d3 " + d3);
        await(() -> a.clusterRow(b).path("addresses6").asInt() == 2);

        // docker rm releases the address, in the store and in the IPAM: the next container gets it again
        b.engine.check("rm", "-f", "d2");
        await(() -> a.clusterRow(b).path("addresses6").asInt() == 1
                && b.clusterRow(b).path("addresses6").asInt() == 1);
        b.engine.check("run", "-d", "--name", "d4", "--network", "dual", IMAGE, "sleep", "3600");
        assertEquals(d2, b.setting("d4", "dual", "GlobalIPv6Address"), "d2's address, released");
        assertTrue(ping6(a, "d1", d2), "d1 cannot ping6 d4 " + d2);
    }

    private static boolean ping6(Host host, String from, String to) {
        return Await.until(
                        "ping6 from " + from + " to " + to,
                        Duration.ofSeconds(WAIT_SECONDS),
                        () -> host.engine.docker("exec", from, "ping", "-6", "-c", "1", "-W", "2", to),
                        DockerEngineLab.Result::ok)
                .ok();
    }

    private static boolean ping(Host host, String from, String to) {
        return Await.until(
                        "ping from " + from + " to " + to,
                        Duration.ofSeconds(WAIT_SECONDS),
                        () -> host.engine.docker("exec", from, "ping", "-c", "1", "-W", "2", to),
                        DockerEngineLab.Result::ok)
                .ok();
    }

    /** Waits for a line the daemon logs after {@code from} (its log is appended across restarts). */
    private static void awaitLog(Host host, int from, String line) {
        Await.until(
                "the jvs daemon on " + host.name + " logs: " + line,
                Duration.ofSeconds(WAIT_SECONDS),
                () -> host.daemon.logText().substring(from).contains(line));
    }

    private static void await(BooleanSupplier condition) {
        Await.until(
                "a condition of the Docker global network test",
                Duration.ofSeconds(WAIT_SECONDS),
                condition::getAsBoolean);
    }
}
