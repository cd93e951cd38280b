package io.jvswitch.control.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.switching.NetworkCounter;
import io.jvswitch.switching.NetworkStats;
import io.jvswitch.switching.PortCounter;
import io.jvswitch.switching.PortStats;
import org.junit.jupiter.api.Test;

import java.util.Map;

/** A port's and a network's counters stay properties in JSON, by the keys the CLI and scripts read. */
class CountersJsonTest {
    @Test
    void eachCounterIsAPropertyByItsKey() {
        final long[] counts = new long[PortCounter.values().length];
        counts[PortCounter.RX_FRAMES.ordinal()] = 7;
        counts[PortCounter.GATEWAY_ANSWERED.ordinal()] = 3;
        final JsonNode port = Json.mapper()
                .valueToTree(new PortStats(1, "rose", "frontend", "02:00:00:00:00:01", counts, 2, Map.of("runt", 4L)));
        assertEquals(7, port.path("rxFrames").asLong());
        assertEquals(3, port.path("gatewayAnswered").asLong());
        assertEquals(0, port.path("floodedOut").asLong(-1));
        assertEquals("rose", port.path("name").asText());
        assertEquals(2, port.path("macsLearned").asLong());
        assertEquals(4, port.path("drops").path("runt").asLong());
        assertFalse(port.has("counts"), port.toString());
        assertFalse(port.has("counters"), port.toString());
    }

    @Test
    void aNetworksCountersArePropertiesByTheirKeys() {
        final long[] counts = new long[NetworkCounter.values().length];
        counts[NetworkCounter.ROUTED_IN.ordinal()] = 11;
        counts[NetworkCounter.UNKNOWN_UNICAST.ordinal()] = 5;
        final JsonNode network =
                Json.mapper().valueToTree(new NetworkStats("frontend", 2, 3, 1024, 4, 0, 1, 0, 0, 2, counts));
        assertEquals(11, network.path("routedIn").asLong());
        assertEquals(5, network.path("unknownUnicast").asLong());
        assertEquals(0, network.path("icmpErrors").asLong(-1));
        assertEquals(3, network.path("macEntries").asInt());
        assertFalse(network.has("counts"), network.toString());
    }
}
