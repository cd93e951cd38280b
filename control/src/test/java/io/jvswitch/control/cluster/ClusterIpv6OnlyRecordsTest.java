package io.jvswitch.control.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The shape of an IPv6-only global network in the store: its network record with no IPv4 side, its
 * endpoints' adverts with no IPv4 address, the claim of its IPv6 subnet; records written before
 * (IPv4 only, or dual stack) still parse, and a record with neither family is ignored. The claims
 * themselves, in real etcd, are in ClusterIpv6OnlyIT.
 */
class ClusterIpv6OnlyRecordsTest {
    final ClusterKeys keys = new ClusterKeys("/jvs/v1/");
    final ClusterView view = new ClusterView(keys);
    long revision;

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anIpv6OnlyNetworkRecordHasNoIpv4SideAndParses() throws IOException {
        final ClusterNetwork written = new ClusterNetwork(
                "id6",
                "g6",
                4100,
                null,
                null,
                1450,
                false,
                List.of(),
                null,
                4789,
                64,
                "now",
                "h1",
                "fd00:32::/64",
                "fd00:32::1");
        final byte[] json = StoreWriter.json(written);
        final JsonNode tree = ClusterView.JSON.readTree(json);
        assertTrue(tree.path("subnet").isNull(), tree.toString());
        assertFalse(tree.has("hasIpv4"), "no derived field is written: " + tree);
        assertTrue(view.put(keys.network("g6"), json, ++revision));
        assertEquals(written, view.networks.get("g6"));
        // as a jvs might write it leaving the nulls out
        assertTrue(view.put(
                keys.network("h6"),
                b(
                        "{\"id\":\"z\",\"name\":\"h6\",\"vni\":4101,\"subnet6\":\"fd00:33::/64\",\"gateway6\":\"fd00:33::1\"}"),
                ++revision));
        assertNull(view.networks.get("h6").subnet());
        assertEquals(0, view.ignoredTotal);
    }

    @Test
    void olderRecordsStillParse() {
        assertTrue(view.put(
                keys.network("old"),
                b("{\"id\":\"x\",\"name\":\"old\",\"vni\":4096,\"subnet\":\"10.40.0.0/24\",\"gateway\":\"10.40.0.1\"}"),
                ++revision));
        assertEquals("10.40.0.0/24", view.networks.get("old").subnet());
        assertNull(view.networks.get("old").subnet6());
        assertTrue(view.put(
                keys.endpoint("old", "e"),
                b("{\"name\":\"e\",\"ip\":\"10.40.0.2\",\"mac\":\"02:4a:0a:28:00:02\",\"host\":\"h1\"}"),
                ++revision));
        assertEquals("10.40.0.2", view.endpointsOf("old").get("e").address());
        assertEquals(0, view.ignoredTotal);
    }

    @Test
    void anEndpointOfAnIpv6OnlyNetworkIsKnownByItsIpv6Address() {
        final EndpointAdvert written =
                new EndpointAdvert("c1", List.of("web"), null, "02:4a:00:00:00:05", "h1", "fd00:32::5");
        assertTrue(view.put(keys.endpoint("g6", "c1"), StoreWriter.json(written), ++revision));
        final EndpointAdvert read = view.endpointsOf("g6").get("c1");
        assertEquals(written, read);
        assertNull(read.ip());
        assertEquals("fd00:32::5", read.address());
        final EndpointAdvert dual =
                new EndpointAdvert("c2", List.of(), "10.32.0.2", "02:4a:0a:20:00:02", "h1", "fd00:32::6");
        assertEquals("10.32.0.2", dual.address(), "a dual-stack endpoint is known by its IPv4 address, as before");
    }

    @Test
    void recordsWithNeitherFamilyAreIgnoredAndCounted() {
        assertFalse(view.put(keys.network("none"), b("{\"id\":\"n\",\"name\":\"none\",\"vni\":4102}"), ++revision));
        assertFalse(view.put(
                keys.endpoint("g6", "none"),
                b("{\"name\":\"none\",\"mac\":\"02:4a:00:00:00:09\",\"host\":\"h1\"}"),
                ++revision));
        assertFalse(view.put(
                keys.endpoint("g6", "bad6"),
                b("{\"name\":\"bad6\",\"mac\":\"02:4a:00:00:00:09\",\"host\":\"h1\",\"ip6\":\"10.0.0.1\"}"),
                ++revision));
        assertEquals(3, view.ignoredTotal);
        assertTrue(view.networks.isEmpty());
        assertTrue(view.endpointsOf("g6").isEmpty());
    }

    @Test
    void theSubnetClaimIsAKeyOfItsOwnAndGoesWithItsDeletion() {
        final String key = keys.subnet6("fd00:32::/64");
        assertEquals("/jvs/v1/subnets6/fd00:32::-64", key);
        assertTrue(view.put(key, StoreWriter.json("g6"), ++revision));
        assertEquals("g6", view.subnets6.get("fd00:32::/64"));
        assertFalse(view.put(keys.subnet6("10.0.0.0/24"), StoreWriter.json("x"), ++revision), "not IPv6");
        assertFalse(view.put(keys.subnet6("fd00:33::/64") + "/extra", StoreWriter.json("x"), ++revision));
        view.remove(key, ++revision);
        assertTrue(view.subnets6.isEmpty());
    }
}
