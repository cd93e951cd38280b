package io.jvswitch.control.it;

import static io.jvswitch.control.it.DockerPluginFixture.IMAGE;
import static io.jvswitch.control.it.DockerPluginFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.lab.DockerEngineLab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.ArrayList;
import java.util.List;

/**
 * Dual-stack Docker networks ({@code docker network create --ipv6}) through the jvs plugin, driven
 * by a real dockerd in namespaces of the test's own (see {@link DockerEngineLab}) and a real jvs
 * daemon beside it: with the jvs IPAM and with Docker's default one, a given IPv6 subnet and a
 * default one, {@code --ip6}, ping6 by address and by name, the gateway, DNS AAAA from jvs's
 * responder, the shapes of {@code docker inspect} and {@code jvs network inspect}, a daemon restart,
 * refusals and removal. The tests run in order on one engine: each leaves what the next one starts from.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerIpv6IT {
    private static final String SUBNET6 = "fd00:30::/64";
    private static final String GATEWAY6 = "fd00:30::1";

    private DockerPluginFixture docker;
    private DockerEngineLab engine;

    @BeforeAll
    void start() throws Exception {
        docker = new DockerPluginFixture("jvsd6", "ipv6");
        engine = docker.engine;
    }

    @AfterAll
    void stop() throws Exception {
        if (docker != null) {
            docker.close();
        }
    }

    @Test
    @Order(1)
    void dualStackNetworkThroughTheJvsIpam() {
        final String id = createDualStack("web6", "172.30.0.0/24", SUBNET6, "--ipam-driver", "jvs");
        // Docker's record: EnableIPv6 and both IPAM configs
        assertEquals("true", engine.check("network", "inspect", "-f", "{{.EnableIPv6}}", "web6"));
        final String config = engine.check("network", "inspect", "-f", "{{json .IPAM.Config}}", "web6");
        assertTrue(config.contains("172.30.0.0/24") && config.contains(SUBNET6), config);
        // jvs's: the same network, dual-stack, with the IPv6 gateway Docker's IPAM request made
        final JsonNode network = docker.jvs("network", "inspect", "docker-" + id.substring(0, 12))
                .get(0);
        assertTrue(network.path("EnableIPv6").asBoolean(), network.toString());
        final JsonNode v6 = network.path("IPAM").path("Config").get(1);
        assertEquals(SUBNET6, v6.path("Subnet").asText(), network.toString());
        assertEquals(GATEWAY6, v6.path("Gateway").asText(), network.toString());
    }

    @Test
    @Order(2)
    void containersGetTheirIpv6AddressAndDefaultRoute() {
        docker.runSleeping("c1", "web6", "--ip6", "fd00:30::50");
        docker.runSleeping("c2", "web6");
        assertEquals("fd00:30::50", docker.setting("c1", "web6", "GlobalIPv6Address"));
        // the lowest free one: ::1 is the gateway
        assertEquals("fd00:30::2", docker.setting("c2", "web6", "GlobalIPv6Address"));
        assertEquals(GATEWAY6, docker.setting("c2", "web6", "IPv6Gateway"));
        assertEquals("64", docker.setting("c2", "web6", "GlobalIPv6PrefixLen"));
        final String addresses = engine.check("exec", "c1", "ip", "-6", "addr", "show", "eth0");
        assertTrue(addresses.contains("fd00:30::50/64"), addresses);
        final String routes = engine.check("exec", "c1", "ip", "-6", "route", "show");
        assertTrue(routes.contains("default via " + GATEWAY6), routes);
        // jvs carries both with their IPv6 addresses
        final JsonNode containers =
                docker.jvs("network", "inspect", docker.jvsName("web6")).get(0).path("Containers");
        assertTrue(containers.toString().contains("fd00:30::50/64"), containers.toString());
        assertTrue(containers.toString().contains("fd00:30::2/64"), containers.toString());
    }

    @Test
    @Order(3)
    void ping6ByAddressByNameAndTheGateway() {
        assertTrue(ping6("c1", "fd00:30::2"));
        assertTrue(ping6("c2", "fd00:30::50"));
        assertTrue(ping6("c1", GATEWAY6));
        // by name through Docker's resolver, which answers AAAA on an IPv6 network
        assertTrue(ping6("c1", "c2"));
        // jvs's own responder, asked over IPv6 at the gateway: c2 is the container's name, an alias of its endpoint
        final String answer =
                await(() -> engine.docker("exec", "c1", "timeout", "10", "nslookup", "-type=AAAA", "c2", GATEWAY6));
        assertTrue(answer.contains("fd00:30::2"), answer);
    }

    @Test
    @Order(4)
    void jvsDaemonRestartKeepsTheIpv6Side() throws Exception {
        docker.runSleeping("c3", "web6");
        assertEquals("fd00:30::3", docker.setting("c3", "web6", "GlobalIPv6Address"));
        docker.daemon.close();
        // Docker removes a container while jvs is down: its ReleaseAddress never arrives
        engine.docker("rm", "-f", "c3");
        docker.startDaemon();
        final String log = docker.daemon.logText();
        assertTrue(log.contains("Docker reconciliation: released fd00:30::3 in pool " + SUBNET6), log);
        await(() -> ping6("c1", "fd00:30::2"));
        final JsonNode network =
                docker.jvs("network", "inspect", docker.jvsName("web6")).get(0);
        assertTrue(network.path("EnableIPv6").asBoolean(), network.toString());
        assertTrue(network.path("Containers").toString().contains("fd00:30::50/64"), network.toString());
        // the IPAM's addresses were kept: a new container gets the released one, not one held
        docker.runSleeping("c3", "web6");
        assertEquals("fd00:30::3", docker.setting("c3", "web6", "GlobalIPv6Address"));
        assertTrue(ping6("c3", "fd00:30::50"));
    }

    @Test
    @Order(5)
    void overlappingAndTakenIpv6AddressesAreRefused() {
        final DockerEngineLab.Result wide =
                engine.docker(dualStack("wide6", "172.31.0.0/24", "fd00:30::/56", "--ipam-driver", "jvs"));
        assertFalse(wide.ok());
        assertTrue(
                wide.stderr()
                        .contains("remote: subnet fd00:30::/56 overlaps " + SUBNET6
                                + ", already a pool of the jvs IPAM driver"),
                wide.stderr());
        assertFalse(engine.check("network", "ls", "--format", "{{.Name}}").contains("wide6"));
        final DockerEngineLab.Result taken =
                engine.docker("run", "--rm", "--network", "web6", "--ip6", "fd00:30::50", IMAGE, "true");
        assertFalse(taken.ok());
        assertTrue(taken.stderr().contains("address fd00:30::50 is already in use"), taken.stderr());
    }

    @Test
    @Order(6)
    void aDefaultIpv6PoolFromTheJvsIpam() {
        final String id = engine.check(
                "network",
                "create",
                "-d",
                "jvs",
                "--ipam-driver",
                "jvs",
                "--ipv6",
                "--subnet",
                "172.31.0.0/24", // the refused wide6 left its IPv4 pool free again
                "auto6");
        final JsonNode network = docker.jvs("network", "inspect", "docker-" + id.substring(0, 12))
                .get(0);
        final String subnet6 =
                network.path("IPAM").path("Config").get(1).path("Subnet").asText();
        assertEquals("fd4a:7673:7769:1::/64", subnet6, network.toString());
        docker.runSleeping("a1", "auto6");
        assertEquals("fd4a:7673:7769:1::2", docker.setting("a1", "auto6", "GlobalIPv6Address"));
        assertTrue(ping6("a1", "fd4a:7673:7769:1::1"));
    }

    @Test
    @Order(7)
    void dualStackWithDockersDefaultIpam() {
        createDualStack("dflt6", "172.32.0.0/24", "fd00:32::/64");
        docker.runSleeping("d1", "dflt6");
        final String address = docker.setting("d1", "dflt6", "GlobalIPv6Address");
        assertTrue(address.startsWith("fd00:32::"), address);
        assertTrue(
                docker.jvs("network", "inspect", docker.jvsName("dflt6"))
                        .toString()
                        .contains(address + "/64"),
                "jvs carries Docker's address");
        assertTrue(ping6("d1", "fd00:32::1"));
        // without an IPv6 subnet Docker 20.10's default IPAM has no IPv6 pool to give: its own refusal
        final DockerEngineLab.Result noPool =
                engine.docker("network", "create", "-d", "jvs", "--ipv6", "--subnet", "172.33.0.0/24", "dflt6b");
        assertFalse(noPool.ok(), noPool.output());
        assertTrue(noPool.stderr().contains("non-overlapping IPv6 address pool"), noPool.stderr());
    }

    @Test
    @Order(8)
    void removalFreesTheIpv6Pool() {
        engine.check("rm", "-f", "c1", "c2", "c3");
        final String old = docker.jvsName("web6");
        engine.check("network", "rm", "web6");
        assertFalse(docker.jvsText("network", "ls").contains(old));
        createDualStack("web6again", "172.30.0.0/24", SUBNET6, "--ipam-driver", "jvs");
        docker.runSleeping("again", "web6again", "--ip6", "fd00:30::50");
        assertEquals("fd00:30::50", docker.setting("again", "web6again", "GlobalIPv6Address"));
    }

    @Test
    @Order(9)
    void aLostDualStackNetworkIsMadeAgainFromDockersRecord() throws Exception {
        createDualStack("lost6", "172.34.0.0/24", "fd00:34::/64", "--ipam-driver", "jvs");
        final String name = docker.jvsName("lost6");
        docker.jvsText("network", "rm", name);
        docker.restartDaemon();
        final String log = docker.daemon.logText();
        assertTrue(log.contains("Docker reconciliation: created jvs network " + name + " again"), log);
        final JsonNode network = docker.jvs("network", "inspect", name).get(0);
        assertTrue(network.path("EnableIPv6").asBoolean(), network.toString());
        assertEquals(
                "fd00:34::/64",
                network.path("IPAM").path("Config").get(1).path("Subnet").asText(),
                network.toString());
        docker.runSleeping("l1", "lost6");
        assertTrue(ping6("l1", "fd00:34::1"));
    }

    /**
     * {@code --ipv6} with {@code -o jvs.network}: a Docker network onto an existing dual-stack jvs
     * network takes its IPv6 side too (the jvs IPAM supplies its pool and gateway); what cannot
     * match (another IPv6 subnet, a jvs network without IPv6) is refused and makes nothing; a
     * restart of jvs keeps the network, its containers and the IPAM's addresses.
     */
    @Test
    @Order(10)
    void ontoAnExistingDualStackJvsNetworkWithIpv6() throws Exception {
        docker.jvsText(
                "network", "create", "multi6", "--ipv6", "--subnet", "172.35.0.0/24", "--subnet", "fd00:35::/64");
        docker.jvsText("network", "create", "plain4", "--subnet", "172.36.0.0/24");
        final String before = engine.check("network", "ls", "--format", "{{.Name}}");
        final DockerEngineLab.Result otherSubnet =
                engine.docker(dualStack("bad6", "172.35.0.0/24", "fd00:36::/64", "-o", "jvs.network=multi6"));
        assertFalse(otherSubnet.ok());
        assertTrue(
                otherSubnet
                        .stderr()
                        .contains("remote: IPv6 subnet fd00:36::/64 is not jvs network multi6's (fd00:35::/64)"),
                otherSubnet.stderr());
        final DockerEngineLab.Result noIpv6 = engine.docker(ontoWithIpv6("plain4", "bad6b"));
        assertFalse(noIpv6.ok());
        assertTrue(noIpv6.stderr().contains("jvs network plain4 has no IPv6 side"), noIpv6.stderr());
        assertEquals(before, engine.check("network", "ls", "--format", "{{.Name}}"), "nothing was made");

        engine.check(ontoWithIpv6("multi6", "onto6"));
        final String config = engine.check("network", "inspect", "-f", "{{json .IPAM.Config}}", "onto6");
        assertTrue(config.contains("172.35.0.0/24") && config.contains("fd00:35::/64"), config);
        docker.runSleeping("o1", "onto6");
        assertEquals("fd00:35::2", docker.setting("o1", "onto6", "GlobalIPv6Address"));
        assertEquals("fd00:35::1", docker.setting("o1", "onto6", "IPv6Gateway"));
        assertTrue(ping6("o1", "fd00:35::1"));
        final JsonNode containers =
                docker.jvs("network", "inspect", "multi6").get(0).path("Containers");
        assertTrue(containers.toString().contains("fd00:35::2/64"), "an endpoint of multi6 itself: " + containers);

        docker.restartDaemon();
        final String log = docker.daemon.logText();
        assertFalse(log.contains("pool fd00:35::/64 of the jvs IPAM driver belongs to no Docker network"), log);
        await(() -> ping6("o1", "fd00:35::1"));
        docker.runSleeping("o2", "onto6");
        assertEquals("fd00:35::3", docker.setting("o2", "onto6", "GlobalIPv6Address"), "o1's address was kept");
        assertTrue(ping6("o2", "fd00:35::2"));
        engine.check("rm", "-f", "o1", "o2");
        engine.check("network", "rm", "onto6");
        assertTrue(docker.jvsText("network", "ls").contains("multi6"), "the jvs network stays");
    }

    // ---- helpers -----------------------------------------------------------------------------

    private boolean ping6(String container, String target) {
        final DockerEngineLab.Result out = engine.docker("exec", container, "ping", "-6", "-c", "2", "-W", "5", target);
        return out.ok() && out.stdout().contains(" 0% packet loss");
    }

    private String createDualStack(String name, String subnet4, String subnet6, String... more) {
        return engine.check(dualStack(name, subnet4, subnet6, more));
    }

    /** {@code network create -d jvs --ipv6} onto jvs network {@code onto}, the jvs IPAM supplying both pools. */
    private static String[] ontoWithIpv6(String onto, String name) {
        return new String[] {
            "network",
            "create",
            "-d",
            "jvs",
            "--ipam-driver",
            "jvs",
            "--ipv6",
            "--ipam-opt",
            "jvs.network=" + onto,
            "-o",
            "jvs.network=" + onto,
            name
        };
    }

    /** {@code network create -d jvs --ipv6} of both subnets, with {@code more} options before the name. */
    private static String[] dualStack(String name, String subnet4, String subnet6, String... more) {
        final List<String> args = new ArrayList<>(
                List.of("network", "create", "-d", "jvs", "--ipv6", "--subnet", subnet4, "--subnet", subnet6));
        args.addAll(List.of(more));
        args.add(name);
        return args.toArray(String[]::new);
    }
}
