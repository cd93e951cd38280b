package io.jvswitch.control.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

class ClusterViewTest {
    final ClusterKeys keys = new ClusterKeys("/jvs/v1/");
    final ClusterView view = new ClusterView(keys);

    long revision;

    long next() {
        return ++revision;
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesTheLayout() {
        assertTrue(view.put(
                keys.host("h1"),
                b("{\"name\":\"h1\",\"address\":\"10.0.0.1\",\"vxlanPort\":4789,\"since\":\"x\"}"),
                next()));
        assertTrue(view.put(keys.block("multi", "10.10.0.0/26"), b("{\"host\":\"h1\"}"), next()));
        assertTrue(view.put(keys.address("multi", "10.10.0.2"), b("{\"host\":\"h1\",\"endpoint\":\"c1\"}"), next()));
        assertTrue(view.put(
                keys.endpoint("multi", "c1"),
                b("{\"name\":\"c1\",\"ip\":\"10.10.0.2\",\"mac\":\"02:4a:0a:0a:00:02\",\"host\":\"h1\",\"new\":1}"),
                next()));
        assertEquals("10.0.0.1", view.hosts.get("h1").address());
        assertEquals("h1", view.blocksOf("multi").get("10.10.0.0/26").host());
        assertEquals("c1", view.addressesOf("multi").get("10.10.0.2").endpoint());
        assertEquals("10.10.0.2", view.endpointsOf("multi").get("c1").ip());
        view.remove(keys.endpoint("multi", "c1"), next());
        assertTrue(view.endpointsOf("multi").isEmpty());
        assertEquals(0, view.ignoredTotal);
    }

    @Test
    void garbageIsIgnoredAndCountedNeverThrown() {
        assertFalse(view.put(keys.host("h9"), b("not json"), next()));
        assertFalse(view.put(
                keys.host("h9"), b("{\"name\":\"other\",\"address\":\"10.0.0.9\",\"vxlanPort\":4789}"), next()));
        assertFalse(view.put(keys.network("n"), b("{\"name\":\"n\",\"subnet\":\"nonsense\"}"), next()));
        assertFalse(view.put(keys.prefix() + "unknown/thing", b("{}"), next()));
        assertFalse(view.put(keys.prefix() + "endpoints/too/many/parts", b("{}"), next()));
        assertFalse(view.put(keys.address("multi", "300.1.1.1"), b("{\"host\":\"h1\"}"), next()));
        assertEquals(6, view.ignoredTotal);
        assertTrue(view.hosts.isEmpty());
        assertTrue(view.networks.isEmpty());
        // a good value later replaces the ignored one
        assertTrue(
                view.put(keys.host("h9"), b("{\"name\":\"h9\",\"address\":\"10.0.0.9\",\"vxlanPort\":4789}"), next()));
        assertFalse(view.ignoredKeys.contains(keys.host("h9")));
    }

    @Test
    void olderNewsThanTheViewHasChangesNothing() {
        final String key = keys.network("race");
        final byte[] race = b("{\"id\":\"x\",\"name\":\"race\",\"vni\":4097,\"subnet\":\"10.20.0.0/24\","
                + "\"gateway\":\"10.20.0.1\"}");
        // this host created it at 10 and removed it at 12; the watch then delivers the create of 10
        assertTrue(view.put(key, race, 10));
        view.remove(key, 12);
        assertTrue(view.put(key, race, 10));
        assertTrue(view.networks.isEmpty());
        // a later create is news
        assertTrue(view.put(key, race, 13));
        assertEquals(4097, view.networks.get("race").vni());
        // a full read at 20 makes older events stale, for keys it did not even hold
        view.reset();
        view.readAt(20);
        assertTrue(view.put(keys.host("h1"), b("{\"name\":\"h1\",\"address\":\"10.0.0.1\",\"vxlanPort\":4789}"), 19));
        assertTrue(view.hosts.isEmpty());
    }

    @Test
    void deletionsAreForgottenOnceTheWatchHasPassedThem() {
        final String key = keys.endpoint("multi", "c1");
        final byte[] c1 = b("{\"name\":\"c1\",\"ip\":\"10.10.0.2\",\"mac\":\"02:4a:0a:0a:00:02\",\"host\":\"h1\"}");
        for (int i = 0; i < 1000; i++) {
            final String k = keys.endpoint("multi", "x" + i);
            view.put(k, c1, next());
            view.remove(k, next());
        }
        assertEquals(1000, view.tombstones());
        view.watchedTo(revision - 10);
        assertEquals(5, view.tombstones());
        view.watchedTo(revision);
        assertEquals(0, view.tombstones());
        // while remembered, a deletion still makes the older create stale
        view.put(key, c1, 5000);
        view.remove(key, 5002);
        view.put(key, c1, 5000);
        assertTrue(view.endpointsOf("multi").isEmpty());
    }

    @Test
    void newKeysBeyondTheBoundAreIgnoredAndCounted() {
        final byte[] claim = b("{\"host\":\"h1\"}");
        for (int i = 0; i < ClusterView.MAX_KEYS; i++) {
            assertTrue(view.put(
                    keys.address("big", "10." + (i >> 16) + "." + (i >> 8 & 255) + "." + (i & 255)), claim, next()));
        }
        assertFalse(view.put(keys.address("big", "11.0.0.1"), claim, next()));
        assertEquals(1, view.overflowTotal);
        assertFalse(view.addressesOf("big").containsKey("11.0.0.1"));
        // keys it holds still change
        assertTrue(view.put(keys.address("big", "10.0.0.1"), b("{\"host\":\"h2\"}"), next()));
        assertEquals("h2", view.addressesOf("big").get("10.0.0.1").host());
    }

    @Test
    void changesSayWhichEndpointsMovedOrThatEverythingMust() {
        assertEquals(null, view.takeChanges(), "a new view is looked at whole");
        final byte[] c1 = b("{\"name\":\"c1\",\"ip\":\"10.10.0.2\",\"mac\":\"02:4a:0a:0a:00:02\",\"host\":\"h1\"}");
        view.put(keys.endpoint("multi", "c1"), c1, next());
        view.put(keys.address("multi", "10.10.0.2"), b("{\"host\":\"h1\"}"), next());
        assertEquals(Map.of("multi", Set.of("c1")), view.takeChanges());
        assertTrue(view.takeChanges().isEmpty());
        view.remove(keys.endpoint("multi", "c1"), next());
        view.put(keys.host("h1"), b("{\"name\":\"h1\",\"address\":\"10.0.0.1\",\"vxlanPort\":4789}"), next());
        assertEquals(null, view.takeChanges(), "a host's change is looked at whole");
    }
}
