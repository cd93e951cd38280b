package io.jvswitch.control.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvswitch.control.api.ApiResponse;
import io.jvswitch.control.api.ApiRoutes;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.debug.DebugService;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.EndpointMac;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.StateFile;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.IdleMode;
import io.jvswitch.switching.PortListener;
import io.jvswitch.switching.SwitchContext;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

/**
 * The control logic and the API over a real dataplane with in-memory ports (no root needed):
 * validation, strict JSON, state kept and restored, nothing changed by a refused request.
 */
class NetworkServiceTest {
    @TempDir
    Path dir;

    Dataplane dataplane;
    MemoryWiring wiring;
    NetworkService service;
    ApiRoutes api;

    @BeforeEach
    void setUp() throws Exception {
        start();
        Files.createFile(dir.resolve("ns-rose"));
        Files.createFile(dir.resolve("ns-tulip"));
    }

    void start() {
        start(false);
    }

    /** {@code failReopen}: the wiring cannot take interfaces back, at the restore too. */
    void start(boolean failReopen) {
        dataplane = new Dataplane(
                new SwitchContext().idleMode(IdleMode.BACKOFF),
                ReadySet.NONE,
                PortListener.NONE,
                Throwable::printStackTrace);
        dataplane.start();
        wiring = new MemoryWiring(dir, true);
        wiring.failReopen = failReopen;
        service = new NetworkService(
                dataplane,
                new StateFile(dir.resolve("state"), Json.mapper()),
                wiring,
                () -> List.of(Cidr.parse("172.17.0.0/16")));
        service.restore();
        api = new ApiRoutes(service, new DebugService(service, dataplane, () -> 0), Json.mapper());
    }

    @AfterEach
    void tearDown() {
        dataplane.close();
    }

    ApiResponse call(String method, String path, String body) {
        return api.handle(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    String error(ApiResponse response) throws Exception {
        return Json.mapper().readTree(response.body()).path("error").asText();
    }

    @Test
    void defaultSubnetSkipsHostRoutesAndOtherNetworks() {
        assertEquals(
                "172.18.0.0/16",
                service.createNetwork(new CreateNetworkRequest("a", null, null, null, null, null, null, null))
                        .subnet());
        assertEquals(
                "172.19.0.0/16",
                service.createNetwork(new CreateNetworkRequest("b", null, null, null, null, null, null, null))
                        .subnet());
        assertEquals("172.19.0.1", service.network("b").gateway());
    }

    @Test
    void strictJsonIsEnforcedWithClearErrors() throws Exception {
        final ApiResponse unknown = call("POST", "/v1/networks", "{\"name\":\"a\",\"subnetz\":\"10.0.0.0/24\"}");
        assertEquals(400, unknown.status());
        assertEquals("unknown field 'subnetz' in request", error(unknown));
        final ApiResponse malformed = call("POST", "/v1/networks", "{\"name\":");
        assertEquals(400, malformed.status());
        assertTrue(error(malformed).startsWith("malformed JSON request"), error(malformed));
        final ApiResponse wrongType = call("POST", "/v1/networks", "{\"name\":\"a\",\"mtu\":\"big\"}");
        assertEquals(400, wrongType.status());
        final ApiResponse outOfRange = call("POST", "/v1/networks", "{\"name\":\"a\",\"mtu\":10}");
        assertEquals(400, outOfRange.status());
        assertEquals("invalid MTU 10: must be within 68..65535", error(outOfRange));
        final ApiResponse noBody = call("POST", "/v1/endpoints", null);
        assertEquals(400, noBody.status());
        assertEquals(404, call("GET", "/v1/nothing", null).status());
        assertEquals(405, call("PUT", "/v1/networks", null).status());
        assertTrue(service.networks().isEmpty(), "nothing was created");
    }

    @Test
    void attachAllocatesLowestFreeAddressAndDerivesTheMac() {
        service.createNetwork(new CreateNetworkRequest(
                "web", null, "10.1.0.0/24", null, null, Map.of("router", "10.1.0.2"), null, 9000));
        final var rose = service.attach(new AttachRequest(
                "web", new ContainerRef(ContainerRef.Kind.NETNS, "rose"), null, null, null, null, null));
        assertEquals("10.1.0.3", rose.ipv4(), "skips the gateway and the aux address");
        assertEquals("02:4a:0a:01:00:03", rose.mac());
        assertEquals("eth0", rose.ifname());
        assertEquals(9000, wiring.created.getFirst().mtu());
        final var tulip = service.attach(new AttachRequest(
                "web",
                new ContainerRef(ContainerRef.Kind.NETNS, "tulip"),
                "t",
                "10.1.0.200",
                "02:00:00:00:00:aa",
                "net0",
                null));
        assertEquals("10.1.0.200", tulip.ipv4());
        assertEquals("02:00:00:00:00:aa", tulip.mac());
        assertEquals("net0", tulip.ifname());
        assertEquals(2, service.portStats().size());
    }

    @Test
    void aRefusedAttachChangesNothing() throws Exception {
        service.createNetwork(new CreateNetworkRequest("web", null, "10.1.0.0/29", null, null, null, null, null));
        final String before = Files.readString(dir.resolve("state/state.json"));
        final ContainerRef rose = new ContainerRef(ContainerRef.Kind.NETNS, "rose");
        assertThrows(
                ControlException.class,
                () -> service.attach(new AttachRequest("web", rose, null, "10.1.0.9", null, null, null)));
        assertThrows(
                ControlException.class,
                () -> service.attach(new AttachRequest("web", rose, null, null, "ff:ff:ff:ff:ff:ff", null, null)));
        assertThrows(
                ControlException.class,
                () -> service.attach(new AttachRequest("web", rose, "bad name", null, null, null, null)));
        assertThrows(
                ControlException.class,
                () -> service.attach(new AttachRequest("web", rose, null, null, null, "way-too-long-ifname", null)));
        assertThrows(
                ControlException.class,
                () -> service.attach(new AttachRequest(
                        "web", new ContainerRef(ContainerRef.Kind.NETNS, "nobody"), null, null, null, null, null)));
        assertEquals(before, Files.readString(dir.resolve("state/state.json")));
        assertTrue(wiring.created.isEmpty());
        assertEquals(
                "10.1.0.2",
                service.attach(new AttachRequest("web", rose, null, null, null, null, null))
                        .ipv4(),
                "no address was leaked by the refusals");
    }

    @Test
    void stateSurvivesARestart() {
        service.createNetwork(
                new CreateNetworkRequest("web", null, "10.1.0.0/24", null, "10.1.0.64/26", null, true, null));
        service.attach(new AttachRequest(
                "web", new ContainerRef(ContainerRef.Kind.NETNS, "rose"), null, null, null, null, null));
        dataplane.close();
        start();
        assertEquals(1, service.endpointsOn("web").size());
        assertTrue(service.network("web").internal());
        assertEquals("10.1.0.64/26", service.network("web").ipRange());
        assertEquals(
                "10.1.0.65",
                service.attach(new AttachRequest(
                                "web",
                                new ContainerRef(ContainerRef.Kind.NETNS, "tulip"),
                                null,
                                null,
                                null,
                                null,
                                null))
                        .ipv4(),
                "the restored endpoint's address stays taken");
    }

    @Test
    void aRestartUndoesAnInterruptedAttachFinishesAnInterruptedDetachAndKeepsWhatItCannotSettle() throws Exception {
        service.createNetwork(new CreateNetworkRequest("web", null, "10.1.0.0/24", null, null, null, null, null));
        final EndpointRecord rose = service.attach(new AttachRequest(
                "web", new ContainerRef(ContainerRef.Kind.NETNS, "rose"), null, null, null, null, null));
        final EndpointRecord tulip = service.attach(new AttachRequest(
                "web", new ContainerRef(ContainerRef.Kind.NETNS, "tulip"), null, null, null, null, null));
        Files.createFile(dir.resolve("ns-daisy"));
        final EndpointRecord daisy = service.attach(new AttachRequest(
                "web", new ContainerRef(ContainerRef.Kind.DOCKER, "daisy"), null, null, null, null, null));
        dataplane.close();
        // as a daemon killed half-way through left it: rose being attached, tulip being detached,
        // daisy being attached while its Docker container is away
        Files.delete(dir.resolve("ns-daisy"));
        final Path file = dir.resolve("state/state.json");
        final ObjectNode state = (ObjectNode) Json.mapper().readTree(file.toFile());
        final ArrayNode intents = state.putArray("intents");
        intents.addObject().put("endpoint", rose.id()).put("step", "ATTACH");
        intents.addObject().put("endpoint", tulip.id()).put("step", "DETACH");
        intents.addObject().put("endpoint", daisy.id()).put("step", "ATTACH");
        Files.write(file, Json.mapper().writeValueAsBytes(state));

        start();
        assertEquals(
                List.of("daisy"),
                service.endpointsOn("web").stream().map(EndpointRecord::name).toList(),
                "rose and tulip settled; daisy kept with its address until its container is back");
        assertTrue(service.waitingReasons().containsKey(daisy.id()));
        assertTrue(wiring.created.stream().allMatch(MemoryPort::isClosed), "every interface found was removed");
        final String saved = Files.readString(file);
        assertTrue(saved.contains(daisy.id()) && !saved.contains(rose.id()) && !saved.contains(tulip.id()), saved);
        final EndpointRecord lily = service.attach(new AttachRequest(
                "web", new ContainerRef(ContainerRef.Kind.NETNS, "tulip"), "lily", null, null, null, null));
        assertEquals(rose.ipv4(), lily.ipv4(), "a settled endpoint's address is free again");
        assertNotEquals(
                daisy.ipv4(),
                service.attach(new AttachRequest(
                                "web", new ContainerRef(ContainerRef.Kind.NETNS, "rose"), null, null, null, null, null))
                        .ipv4());
        assertThrows(ControlException.class, () -> service.detach("daisy", "web"), "its change is unfinished");
    }

    @Test
    void anEndpointThatCannotBeTakenBackWhileItsNamespaceIsThereKeepsItsAddress() throws Exception {
        service.createNetwork(new CreateNetworkRequest("web", null, "10.1.0.0/24", null, null, null, null, null));
        final EndpointRecord rose = service.attach(new AttachRequest(
                "web", new ContainerRef(ContainerRef.Kind.NETNS, "rose"), null, null, null, null, null));
        final EndpointRecord tulip = service.attach(new AttachRequest(
                "web", new ContainerRef(ContainerRef.Kind.NETNS, "tulip"), null, null, null, null, null));
        dataplane.close();
        Files.delete(dir.resolve("ns-tulip")); // its container is gone: forgotten
        start(true);
        assertTrue(
                service.waitingReasons().containsKey(rose.id()),
                service.waitingReasons().toString());
        assertEquals(
                List.of("rose"),
                service.endpointsOn("web").stream().map(EndpointRecord::name).toList());
        Files.createFile(dir.resolve("ns-lily"));
        assertEquals(
                tulip.ipv4(),
                service.attach(new AttachRequest(
                                "web", new ContainerRef(ContainerRef.Kind.NETNS, "lily"), null, null, null, null, null))
                        .ipv4(),
                "the gone container's address is free; rose's stays taken");
        wiring.failReopen = false;
        Await.until("rose is taken back", Duration.ofSeconds(10), () -> service.retryWaiting() == 1);
        assertEquals(List.of(), List.copyOf(service.waitingReasons().keySet()));
    }

    @Test
    void endpointsOfVanishedContainersAreReaped() throws Exception {
        service.createNetwork(new CreateNetworkRequest("web", null, "10.1.0.0/24", null, null, null, null, null));
        service.attach(new AttachRequest(
                "web", new ContainerRef(ContainerRef.Kind.NETNS, "rose"), null, null, null, null, null));
        service.attach(new AttachRequest(
                "web", new ContainerRef(ContainerRef.Kind.NETNS, "tulip"), null, null, null, null, null));
        assertEquals(0, service.reapVanished());
        // Same name, a different namespace. The old one is kept alive, as a re-opened TAP keeps its
        // namespace alive, so its inode number cannot be handed to the new one.
        Files.move(dir.resolve("ns-rose"), dir.resolve("ns-rose-old"));
        Files.createFile(dir.resolve("ns-rose"));
        assertEquals(1, service.reapVanished());
        assertEquals(
                List.of("tulip"),
                service.endpointsOn("web").stream().map(e -> e.name()).toList());
        assertTrue(wiring.created.getFirst().isClosed());
    }

    @Test
    void anIpv6OnlyNetworkGivesEndpointsNoIpv4RefusesIpv4AndSurvivesARestart() throws Exception {
        final ApiResponse created = call(
                "POST", "/v1/networks", "{\"name\":\"v6\",\"ipv6\":true,\"ipv4\":false,\"subnet6\":\"fd00:21::/64\"}");
        assertTrue(created.ok(), new String(created.body(), StandardCharsets.UTF_8));
        final String before = Files.readString(dir.resolve("state/state.json"));
        final ContainerRef rose = new ContainerRef(ContainerRef.Kind.NETNS, "rose");
        final ControlException withIp = assertThrows(
                ControlException.class,
                () -> service.attach(
                        new AttachRequest("v6", rose, null, "10.1.0.5", null, null, null, null, null, null)));
        assertTrue(withIp.getMessage().contains("IPv6-only"), withIp.getMessage());
        assertEquals(before, Files.readString(dir.resolve("state/state.json")), "the refusals changed nothing");
        assertTrue(wiring.created.isEmpty());

        final EndpointRecord endpoint =
                service.attach(new AttachRequest("v6", rose, null, null, null, null, null, null, null, null));
        assertNull(endpoint.ipv4());
        assertEquals("fd00:21::2", endpoint.ipv6());
        assertEquals(
                EndpointMac.format(EndpointMac.derive(Ipv6Cidr.parseAddress("fd00:21::2", "ip6"))), endpoint.mac());
        final EndpointPlan plan = wiring.plans.getLast();
        assertNull(plan.addressWithPrefix());
        assertNull(plan.gateway());
        assertEquals("fd00:21::2/64", plan.ipv6WithPrefix());
        assertEquals("fd00:21::1", plan.gateway6());

        final ObjectNode view = (ObjectNode)
                Json.mapper().readTree(call("GET", "/v1/networks/v6", null).body());
        assertEquals(false, view.path("EnableIPv4").asBoolean(true), view.toString());
        assertEquals(true, view.path("EnableIPv6").asBoolean(), view.toString());
        assertEquals(1, view.path("IPAM").path("Config").size(), view.toString());
        assertEquals(
                "fd00:21::/64",
                view.path("IPAM").path("Config").path(0).path("Subnet").asText());
        final var container = view.path("Containers").path(endpoint.id());
        assertEquals("", container.path("IPv4Address").asText(), view.toString());
        assertEquals("fd00:21::2/64", container.path("IPv6Address").asText());

        dataplane.close();
        start();
        assertNull(service.network("v6").subnet());
        assertEquals(1, service.endpointsOn("v6").size());
        assertEquals(
                "fd00:21::3",
                service.attach(new AttachRequest(
                                "v6",
                                new ContainerRef(ContainerRef.Kind.NETNS, "tulip"),
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null))
                        .ipv6(),
                "the restored endpoint's IPv6 address stays taken");
    }

    @Test
    void aliasesAndDnsServersAreCheckedKeptAndRestored() {
        assertThrows(
                ControlException.class,
                () -> service.createNetwork(new CreateNetworkRequest(
                        "web",
                        null,
                        "10.1.0.0/24",
                        null,
                        null,
                        null,
                        null,
                        null,
                        List.of("dns.example"),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null)),
                "a host name is not an address");
        service.createNetwork(new CreateNetworkRequest(
                "web",
                null,
                "10.1.0.0/24",
                null,
                null,
                null,
                null,
                null,
                List.of("192.0.2.53", "2001:db8::53"),
                null,
                null,
                null,
                null,
                null,
                null));
        final ContainerRef rose = new ContainerRef(ContainerRef.Kind.NETNS, "rose");
        assertThrows(
                ControlException.class,
                () -> service.attach(
                        new AttachRequest("web", rose, null, null, null, null, null, List.of("bad alias"), null)));
        assertThrows(
                ControlException.class,
                () -> service.attach(new AttachRequest(
                        "web",
                        rose,
                        null,
                        null,
                        null,
                        null,
                        null,
                        IntStream.range(0, NetworkService.MAX_ALIASES + 1)
                                .mapToObj(i -> "a" + i)
                                .toList(),
                        null)));
        final AtomicReference<List<EndpointRecord>> seen = new AtomicReference<>();
        service.onChange((networks, endpoints) -> seen.set(endpoints));
        service.attach(
                new AttachRequest("web", rose, null, null, null, null, null, List.of("api", "www", "api"), null));
        assertEquals(List.of("api", "www"), seen.get().getFirst().aliases(), "the listener sees the change");
        dataplane.close();
        start();
        assertEquals(
                List.of("192.0.2.53", "2001:db8::53"), service.network("web").dns());
        assertEquals(
                List.of("api", "www"), service.endpointsOn("web").getFirst().aliases());
    }
}
