package io.jvswitch.control.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.api.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** State files from before IPv6 still load; a dual-stack network and its endpoint survive a save and load. */
class StateFileIpv6Test {
    /** A network and an endpoint exactly as the daemon wrote them before networks had an IPv6 side. */
    static final String BEFORE_IPV6 = """
            {
              "version" : 1,
              "networks" : [ {
                "id" : "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "dataplaneId" : 1, "name" : "web", "driver" : "bridge",
                "subnet" : "10.93.0.0/24", "gateway" : "10.93.0.1", "ipRange" : null,
                "auxAddresses" : { }, "internal" : false, "mtu" : 1500,
                "created" : "2026-12-01T10:00:00Z", "dns" : [ ], "masquerade" : null, "overlay" : null
              } ],
              "endpoints" : [ {
                "id" : "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
                "name" : "a", "network" : "web", "target" : { "kind" : "netns", "value" : "a" },
                "ifname" : "eth0", "mac" : "02:4a:0a:5d:00:02", "ipv4" : "10.93.0.2",
                "created" : "2026-12-01T10:00:01Z", "allowSpoofing" : false, "aliases" : [ ], "ports" : [ ]
              } ]
            }
            """;

    @Test
    void aStateFileFromBeforeIpv6LoadsAsIpv4Only(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("state.json"), BEFORE_IPV6);
        final DaemonState state = new StateFile(dir, Json.mapper()).load();
        assertNull(state.networks().getFirst().ipv6());
        assertFalse(state.networks().getFirst().enableIpv6());
        assertNull(state.endpoints().getFirst().ipv6());
        assertEquals("10.93.0.2", state.endpoints().getFirst().ipv4());
    }

    @Test
    void aDualStackNetworkAndItsEndpointSurviveSaveAndLoad(@TempDir Path dir) {
        final StateStore store = new StateFile(dir, Json.mapper());
        final DaemonState before = new StateFile(dir, Json.mapper()).load();
        assertTrue(before.networks().isEmpty());
        final NetworkRecord network = new NetworkRecord(
                        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                        1,
                        "web",
                        "bridge",
                        "10.93.0.0/24",
                        "10.93.0.1",
                        null,
                        Map.of(),
                        false,
                        1500,
                        "2026-12-01T10:00:00Z")
                .withIpv6(new NetworkIpv6("fd00:20::/64", "fd00:20::1", "fd00:20::100/120", Map.of("r", "fd00:20::3")));
        final EndpointRecord endpoint = new EndpointRecord(
                "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
                "a",
                "web",
                new ContainerRef(ContainerRef.Kind.NETNS, "a"),
                "eth0",
                "02:4a:0a:5d:00:02",
                "10.93.0.2",
                "2026-12-01T10:00:01Z",
                false,
                List.of(),
                List.of(),
                "fd00:20::100");
        store.save(new DaemonState(DaemonState.VERSION, List.of(network), List.of(endpoint)));
        final DaemonState after = store.load();
        assertEquals(network, after.networks().getFirst());
        assertEquals(endpoint, after.endpoints().getFirst());
    }
}
