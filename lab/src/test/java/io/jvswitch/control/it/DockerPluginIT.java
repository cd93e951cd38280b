package io.jvswitch.control.it;

import static io.jvswitch.control.it.DockerPluginFixture.IMAGE;
import static io.jvswitch.control.it.DockerPluginFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.DockerEngineLab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * jvs as Docker's network and IPAM plugin, driven by a real dockerd (see {@link DockerEngineLab} for
 * how it is kept apart from the machine's) and a real jvs daemon in the same namespaces. Containers
 * are a busybox image imported from Debian's busybox-static. The tests run in order on one engine:
 * each leaves what the next one starts from.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerPluginIT {
    private static final String PAGE = "hello from a jvs network";

    private DockerPluginFixture docker;
    private DockerEngineLab engine;

    @BeforeAll
    void start() throws Exception {
        docker = new DockerPluginFixture("jvsdk", PAGE);
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
    void networkCreatedThroughDockerIsAJvsNetwork() {
        final String id = engine.check(jvsNetwork("frontend", "172.30.0.0/24"));
        final JsonNode network = docker.jvs("network", "inspect", "docker-" + id.substring(0, 12));
        assertEquals(
                "172.30.0.0/24",
                network.get(0).path("IPAM").path("Config").get(0).path("Subnet").asText(),
                network.toString());
        assertEquals(
                "172.30.0.0/24",
                engine.check("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", "frontend"));
    }

    @Test
    @Order(2)
    void containersReachEachOtherByNameThroughJvs() throws Exception {
        runWebServer("web", "frontend", "-p", "8080:80");
        docker.runSleeping("client", "frontend");
        final String webIp = ipOf("web", "frontend");
        assertTrue(webIp.startsWith("172.30.0."), webIp);
        // Docker's view: inspect and network inspect show the jvs IPAM's address
        assertTrue(engine.check("network", "inspect", "frontend").contains(webIp));
        // the container's interface is the TAP jvs holds, renamed by Docker
        final String links = engine.check("exec", "web", "ip", "-o", "addr", "show", "eth0");
        assertTrue(links.contains(webIp + "/24"), links);
        assertTrue(engine.check("exec", "client", "ping", "-c", "2", "-W", "5", "web")
                .contains("0% packet loss"));
        // names: Docker's embedded resolver answers (resolv.conf points at 127.0.0.11), name and name.network
        assertTrue(engine.check("exec", "client", "cat", "/etc/resolv.conf").contains("127.0.0.11"));
        assertEquals(PAGE, fetchFrom("client", "http://web/"));
        assertEquals(PAGE, fetchFrom("client", "http://web.frontend/"));
        // jvs carries it: the endpoints are jvs's
        final JsonNode endpoints = docker.jvs("network", "inspect", docker.jvsName("frontend"));
        assertEquals(2, endpoints.get(0).path("Containers").size(), endpoints.toString());
    }

    @Test
    @Order(3)
    void publishedPortFromHostAndFromAnotherContainer() throws Exception {
        assertEquals(PAGE, fetchFromHost(8080));
        final String hostAddress = hostAddress();
        assertEquals(PAGE, fetchFrom("client", "http://" + hostAddress + ":8080/"));
        // jvs's own view of the published port
        assertTrue(docker.jvsText("ports").contains("8080"), docker.jvsText("ports"));
    }

    @Test
    @Order(4)
    void connectAndDisconnect() throws Exception {
        engine.check(jvsNetwork("backend", "172.31.0.0/24"));
        engine.check("network", "connect", "backend", "web");
        final String backendIp = ipOf("web", "backend");
        assertTrue(backendIp.startsWith("172.31.0."), backendIp);
        assertTrue(engine.check("exec", "web", "ip", "-o", "addr").contains(backendIp + "/24"));
        docker.runSleeping("other", "backend");
        assertEquals(PAGE, fetchFrom("other", "http://web/"));
        engine.check("network", "disconnect", "backend", "web");
        assertFalse(engine.check("exec", "web", "ip", "-o", "addr").contains(backendIp));
        assertEquals(
                1,
                docker.jvs("network", "inspect", docker.jvsName("backend"))
                        .get(0)
                        .path("Containers")
                        .size());
        engine.check("rm", "-f", "other");
        engine.check("network", "rm", "backend");
        assertFalse(docker.jvsText("network", "ls").contains("backend"));
    }

    @Test
    @Order(5)
    void restartKeepsAddressNameAndPort() throws Exception {
        final String before = ipOf("web", "frontend");
        engine.check("restart", "web");
        assertEquals(before, ipOf("web", "frontend"));
        assertEquals(PAGE, fetchFrom("client", "http://web/"));
        assertEquals(PAGE, fetchFromHost(8080));
    }

    @Test
    @Order(6)
    void jvsDaemonRestartUnderRunningContainers() throws Exception {
        docker.restartDaemon();
        assertEquals(PAGE, fetchFrom("client", "http://web/"));
        assertEquals(PAGE, fetchFromHost(8080));
        // the plugin answers again: a new container joins
        assertEquals(PAGE, fetchFromNewContainer("frontend", "http://web/"));
    }

    @Test
    @Order(7)
    void badInputShowsThePluginsMessage() {
        final DockerEngineLab.Result unknown =
                engine.docker(jvsNetwork("bad", "172.29.0.0/24", "-o", "jvs.colour=blue"));
        assertNotEquals(0, unknown.exitCode());
        assertTrue(unknown.stderr().contains("unknown option 'jvs.colour'"), unknown.stderr());

        final DockerEngineLab.Result overlap = engine.docker(jvsNetwork("wide", "172.30.0.0/16"));
        assertNotEquals(0, overlap.exitCode());
        assertTrue(
                overlap.stderr()
                        .contains("subnet 172.30.0.0/16 overlaps 172.30.0.0/24, already a pool of the jvs IPAM"),
                overlap.stderr());

        final DockerEngineLab.Result taken =
                engine.docker("run", "--rm", "--network", "frontend", "--ip", ipOf("web", "frontend"), IMAGE, "true");
        assertNotEquals(0, taken.exitCode());
        assertTrue(
                taken.stderr()
                        .contains("address " + ipOf("web", "frontend") + " is already in use (pool 172.30.0.0/24"),
                taken.stderr());

        final DockerEngineLab.Result outside =
                engine.docker("run", "--rm", "--network", "frontend", "--ip", "10.9.9.9", IMAGE, "true");
        assertNotEquals(0, outside.exitCode());
        // Docker checks --ip against the network's subnet itself, before asking the IPAM driver
        assertTrue(outside.stderr().contains("does not belong to any of this network's subnets"), outside.stderr());

        final DockerEngineLab.Result inUse = engine.docker("network", "rm", "frontend");
        assertNotEquals(0, inUse.exitCode());
        // Docker refuses this itself: it never calls the driver's DeleteNetwork for a network in use
        assertTrue(inUse.stderr().contains("has active endpoints"), inUse.stderr());
        assertTrue(docker.jvsText("network", "ls").contains(docker.jvsName("frontend")));
        assertFalse(docker.jvsText("network", "ls").contains("172.29.0.0"), "nothing was created");
    }

    @Test
    @Order(8)
    void removedContainersAndNetworksLeaveNothing() throws Exception {
        final String network = docker.jvsName("frontend");
        engine.check("rm", "-f", "web", "client");
        await(() -> docker.jvs("network", "inspect", network)
                .get(0)
                .path("Containers")
                .isEmpty());
        engine.check("network", "rm", "frontend");
        assertFalse(docker.jvsText("network", "ls").contains(network));
        // no TAP is left in the engine's namespace (Docker moved each back before the delete)
        assertEquals(0, countDevices(inHost("ip", "-o", "link", "show").stdout()));
    }

    @Test
    @Order(9)
    void attachDockerUsesTheClisEngineAndFollowsRestarts() throws Exception {
        runWebServer("solo", "none");
        docker.jvsText("network", "create", "--subnet", "10.77.0.0/24", "plain");
        // the CLI, run with DOCKER_HOST as a user's shell has it, sends it: the daemon has no
        // engine at the default socket in its namespaces
        final DockerEngineLab.Result attach = cliWithDockerHost(
                "attach", "--docker", "solo", "--network", "plain", "--name", "solo", "-p", "8081:80");
        assertTrue(attach.ok(), attach.output() + "\njvs log:\n" + docker.daemon.logText());
        final String address = engine.check("exec", "solo", "ip", "-o", "-4", "addr", "show", "eth0");
        assertTrue(address.contains("10.77.0.2/24"), address);
        assertEquals(PAGE, fetchFromHost(8081));

        // docker restart: the namespace goes, the endpoint waits, the new one is attached again
        engine.check("restart", "solo");
        assertEquals(PAGE, fetchFromHost(8081));
        assertTrue(engine.check("exec", "solo", "ip", "-o", "-4", "addr", "show", "eth0")
                .contains("10.77.0.2/24"));

        // stopped while the daemon restarts: restore cannot find it, keeps it (reported), and
        // attaches it again when it starts
        docker.daemon.close();
        engine.check("stop", "-t", "1", "solo");
        docker.startDaemon();
        final JsonNode waiting = docker.jvs("network", "inspect", "plain")
                .get(0)
                .path("Containers")
                .elements()
                .next();
        assertTrue(waiting.path("Waiting").asText().contains("not running"), waiting.toString());
        engine.check("start", "solo");
        assertEquals(PAGE, fetchFromHost(8081));
        assertTrue(engine.check("exec", "solo", "ip", "-o", "-4", "addr", "show", "eth0")
                .contains("10.77.0.2/24"));
        assertTrue(docker.jvs("network", "inspect", "plain")
                .get(0)
                .path("Containers")
                .elements()
                .next()
                .path("Waiting")
                .isMissingNode());

        engine.check("rm", "-f", "solo");
        docker.jvsText("detach", "solo");
        docker.jvsText("network", "rm", "plain");
    }

    @Test
    @Order(10)
    void startReconcilesWhatDockerDidWhileJvsWasDown() throws Exception {
        engine.check(jvsNetwork("recon", "172.27.0.0/24"));
        docker.runSleeping("gone", "recon");
        runWebServer("stays", "recon");
        final String goneIp = ipOf("gone", "recon");
        docker.daemon.close();
        // Docker removes the container; its calls to the plugin fail, so the address stays taken
        engine.docker("rm", "-f", "gone");
        docker.startDaemon();
        final String log = docker.daemon.logText();
        assertTrue(log.contains("Docker reconciliation: released " + goneIp + " in pool 172.27.0.0/24"), log);
        assertTrue(log.matches("(?s).*Docker reconciliation: removed TAP jvs[0-9a-f]{11}.*"), log);
        final String links = inHost("ip", "-o", "link", "show").stdout();
        assertFalse(links.matches("(?s).*: jvs[0-9a-f]{11}[:@].*") && countDevices(links) != 1, links);
        // the released address is handed out again; the container that stayed still answers
        final String again =
                engine.check("run", "--rm", "--network", "recon", IMAGE, "ip", "-o", "-4", "addr", "show", "eth0");
        assertTrue(again.contains(goneIp + "/24"), again);
        assertEquals(PAGE, fetchFromNewContainer("recon", "http://stays/"));
        engine.check("rm", "-f", "stays");
        engine.check("network", "rm", "recon");
    }

    private static long countDevices(String links) {
        return links.lines().filter(l -> l.matches(".*: jvs[0-9a-f]{11}[:@].*")).count();
    }

    @Test
    @Order(11)
    void engineRestartWithLiveRestoreKeepsContainersConnected() throws Exception {
        engine.check(jvsNetwork("live", "172.26.0.0/24"));
        runWebServer("lweb", "live", "-p", "8082:80");
        docker.runSleeping("lclient", "live");
        final String before = ipOf("lweb", "live");
        assertEquals(PAGE, fetchFrom("lclient", "http://lweb/"));
        engine.restartEngine();
        assertEquals(PAGE, fetchFromHost(8082));
        assertEquals(PAGE, fetchFrom("lclient", "http://lweb/"));
        assertEquals(before, ipOf("lweb", "live"));
        assertTrue(engine.check("network", "inspect", "live").contains(before));
        // the engine finds the plugin again for new work
        assertEquals(PAGE, fetchFromNewContainer("live", "http://lweb/"));
        engine.check("rm", "-f", "lweb", "lclient", "i1");
        engine.check("network", "rm", "live");
    }

    @Test
    @Order(12)
    void optionsAndDockersOwnIpam() throws Exception {
        // Docker's default IPAM hands out the addresses; -o and --internal reach the jvs network
        engine.check(
                "network",
                "create",
                "-d",
                "jvs",
                "--subnet",
                "172.25.0.0/24",
                "--internal",
                "-o",
                "jvs.mtu=1400",
                "inner");
        final JsonNode network =
                docker.jvs("network", "inspect", docker.jvsName("inner")).get(0);
        assertTrue(network.path("Internal").asBoolean(), network.toString());
        assertEquals(
                "1400", network.path("Options").path("com.jvswitch.network.mtu").asText(), network.toString());
        docker.runSleeping("i1", "inner");
        final String inside = engine.check(
                "run",
                "--rm",
                "--network",
                "inner",
                IMAGE,
                "sh",
                "-c",
                "ip -o link show eth0; ip route; ping -c 1 -W 5 i1");
        assertTrue(inside.contains("mtu 1400"), inside);
        assertFalse(inside.contains("default via"), "an internal network gives no default route: " + inside);
        assertTrue(inside.contains("1 packets received"), inside);
        engine.check("rm", "-f", "i1");
        engine.check("network", "rm", "inner");
    }

    @Test
    @Order(13)
    void aDockerNetworkOntoAnExistingLocalJvsNetwork() throws Exception {
        // a jvs network with a container jvs attached, then a Docker network onto it
        docker.jvsText("network", "create", "--subnet", "10.78.0.0/24", "shared");
        docker.runSleeping("lone", "none");
        final DockerEngineLab.Result attach =
                cliWithDockerHost("attach", "--docker", "lone", "--network", "shared", "--name", "lone");
        assertTrue(attach.ok(), attach.output() + "\njvs log:\n" + docker.daemon.logText());
        engine.check(jvsNetwork("shared", "10.78.0.0/24", "-o", "jvs.network=shared"));
        docker.runSleeping("onshared", "shared");
        // the jvs IPAM driver hands out an address the network's own endpoints do not hold
        assertEquals("10.78.0.3", ipOf("onshared", "shared"));
        assertTrue(engine.check("exec", "onshared", "ping", "-c", "2", "-W", "5", "10.78.0.2")
                .contains("0% packet loss"));
        assertEquals(
                2,
                docker.jvs("network", "inspect", "shared")
                        .get(0)
                        .path("Containers")
                        .size());
        // the Docker network goes, the jvs network stays with its own container
        engine.check("rm", "-f", "onshared");
        engine.check("network", "rm", "shared");
        assertEquals(
                1,
                docker.jvs("network", "inspect", "shared")
                        .get(0)
                        .path("Containers")
                        .size());
        engine.check("rm", "-f", "lone");
        docker.jvsText("detach", "lone");
        docker.jvsText("network", "rm", "shared");
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** {@code network create -d jvs} of {@code subnet} from the jvs IPAM, with {@code more} options before the name. */
    private static String[] jvsNetwork(String name, String subnet, String... more) {
        final List<String> args =
                new ArrayList<>(List.of("network", "create", "-d", "jvs", "--ipam-driver", "jvs", "--subnet", subnet));
        args.addAll(List.of(more));
        args.add(name);
        return args.toArray(String[]::new);
    }

    /** Runs a container whose httpd serves {@link #PAGE} on port 80, on {@code network}, with {@code options}. */
    private void runWebServer(String name, String network, String... options) {
        final List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name, "--network", network));
        args.addAll(List.of(options));
        args.addAll(List.of(IMAGE, "httpd", "-f", "-p", "80", "-h", "/www"));
        engine.check(args.toArray(String[]::new));
    }

    /** What {@code url} serves to a running {@code container}, polled until it answers. */
    private String fetchFrom(String container, String url) {
        return await(() -> engine.docker("exec", container, "timeout", "10", "wget", "-q", "-O", "-", url));
    }

    /** What {@code url} serves to a new container on {@code network}, removed afterwards: the plugin must answer. */
    private String fetchFromNewContainer(String network, String url) {
        return engine.check("run", "--rm", "--network", network, IMAGE, "timeout", "10", "wget", "-q", "-O", "-", url);
    }

    /** What the host's own client gets from the port published on its loopback, polled until it answers. */
    private String fetchFromHost(int port) {
        return await(() -> inHost("curl", "-s", "-m", "5", "http://127.0.0.1:" + port + "/"));
    }

    private String ipOf(String container, String network) {
        return docker.setting(container, network, "IPAddress");
    }

    private String hostAddress() {
        final DockerEngineLab.Result out = inHost("ip", "-4", "-o", "addr", "show");
        for (String line : out.stdout().split("\n")) {
            final String[] words = line.trim().split("\\s+");
            for (int i = 0; i + 1 < words.length; i++) {
                if (words[i].equals("inet") && !words[i + 1].startsWith("127.")) {
                    return words[i + 1].replaceAll("/.*", "");
                }
            }
        }
        throw new AssertionError("no address in the host namespace: " + out.output());
    }

    /** The jvs CLI in its own process, with DOCKER_HOST set to the engine as a user's shell would. */
    private DockerEngineLab.Result cliWithDockerHost(String... args) {
        final List<String> command = new ArrayList<>(List.of(ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString())));
        command.addAll(DaemonProcess.JVM_FLAGS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.jvswitch.control.Main"));
        command.addAll(List.of(args));
        command.addAll(List.of("--socket", docker.socket().toString()));
        return DockerEngineLab.run(command, Map.of("DOCKER_HOST", engine.host()));
    }

    private DockerEngineLab.Result inHost(String... command) {
        return DockerEngineLab.run(
                Stream.concat(Stream.of("nsenter", "--net=/run/netns/" + docker.host), Stream.of(command))
                        .toList());
    }
}
