package io.jvswitch.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

class EndpointConnectionsTest {
    @Test
    void countsMatchAPlainMapThroughRandomAddsAndRemoves() {
        final EndpointConnections counts = new EndpointConnections(64);
        final Map<Long, Integer> expected = new HashMap<>();
        final Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            // few distinct keys, many colliding probe runs: backward shifts are exercised
            final long key =
                    EndpointConnections.keyOf(ConnectionTable.tupleA(6, random.nextInt(4), random.nextInt(16)));
            if (random.nextBoolean() && counts.canAdd(key)) {
                counts.add(key);
                expected.merge(key, 1, Integer::sum);
            } else {
                counts.remove(key);
                expected.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
            }
            assertEquals(expected.getOrDefault(key, 0), counts.count(key));
        }
        assertEquals(expected.size(), counts.endpoints());
        expected.forEach((key, n) -> assertEquals(n, counts.count(key)));
    }

    @Test
    void aFullMapRefusesNewEndpointsButNotKnownOnes() {
        final EndpointConnections counts = new EndpointConnections(2);
        counts.add(1);
        counts.add(2);
        assertFalse(counts.canAdd(3));
        assertTrue(counts.canAdd(2));
        counts.remove(1);
        assertTrue(counts.canAdd(3), "an endpoint leaves with its last connection");
    }

    @Test
    void theProtocolIsNotPartOfTheEndpoint() {
        assertEquals(
                EndpointConnections.keyOf(ConnectionTable.tupleA(6, 3, 0x0A000002)),
                EndpointConnections.keyOf(ConnectionTable.tupleA(17, 3, 0x0A000002)));
    }
}
