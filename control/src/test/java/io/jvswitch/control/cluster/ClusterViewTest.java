package io.jvswitch.control.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

class ClusterViewTest {
    final ClusterKeys keys = new ClusterKeys("/jvs/v1/");
    final ClusterView view = new ClusterView(keys);

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesTheLayout() {
        assertTrue(view.put(
                keys.host("h1"), b("{\"name\":\"h1\",\"address\":\"10.0.0.1\",\"vxlanPort\":4789,\"since\":\"x\"}")));
        assertTrue(view.put(keys.block("multi", "10.10.0.0/26"), b("{\"host\":\"h1\"}")));
        assertTrue(view.put(keys.address("multi", "10.10.0.2"), b("{\"host\":\"h1\",\"endpoint\":\"c1\"}")));
        assertTrue(view.put(
                keys.endpoint("multi", "c1"),
                b("{\"name\":\"c1\",\"ip\":\"10.10.0.2\",\"mac\":\"02:4a:0a:0a:00:02\",\"host\":\"h1\",\"new\":1}")));
        assertEquals("10.0.0.1", view.hosts.get("h1").address());
        assertEquals("h1", view.blocksOf("multi").get("10.10.0.0/26").host());
        assertEquals("c1", view.addressesOf("multi").get("10.10.0.2").endpoint());
        assertEquals("10.10.0.2", view.endpointsOf("multi").get("c1").ip());
        view.remove(keys.endpoint("multi", "c1"));
        assertTrue(view.endpointsOf("multi").isEmpty());
        assertEquals(0, view.ignoredTotal);
    }

    @Test
    void garbageIsIgnoredAndCountedNeverThrown() {
        assertFalse(view.put(keys.host("h9"), b("not json")));
        assertFalse(view.put(keys.host("h9"), b("{\"name\":\"other\",\"address\":\"10.0.0.9\",\"vxlanPort\":4789}")));
        assertFalse(view.put(keys.network("n"), b("{\"name\":\"n\",\"subnet\":\"nonsense\"}")));
        assertFalse(view.put(keys.prefix() + "unknown/thing", b("{}")));
        assertFalse(view.put(keys.prefix() + "endpoints/too/many/parts", b("{}")));
        assertFalse(view.put(keys.address("multi", "300.1.1.1"), b("{\"host\":\"h1\"}")));
        assertEquals(6, view.ignoredTotal);
        assertTrue(view.hosts.isEmpty());
        assertTrue(view.networks.isEmpty());
        // a good value later replaces the ignored one
        assertTrue(view.put(keys.host("h9"), b("{\"name\":\"h9\",\"address\":\"10.0.0.9\",\"vxlanPort\":4789}")));
        assertFalse(view.ignoredKeys.contains(keys.host("h9")));
    }
}
