package io.jvswitch.bench.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClusterBenchPointTest {
    @Test
    void aPointIsHostsByEndpoints() {
        assertEquals(new ClusterBench.Point(200, 20_000), ClusterBench.Point.parse("200x20000"));
        assertEquals(new ClusterBench.Point(1, 0), ClusterBench.Point.parse(" 1x0 "));
        ClusterBench.DEFAULT_POINTS.forEach(ClusterBench.Point::parse);
    }

    @Test
    void anythingElseIsRefusedWithTheShapeItMustHave() {
        for (String bad :
                new String[] {"200", "200x", "x20000", "0x10", "1001x10", "10x50001", "10x-1", "axb", "1x2x3"}) {
            final IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> ClusterBench.Point.parse(bad), bad);
            assertTrue(e.getMessage().contains("HOSTSxENDPOINTS"), e.getMessage());
        }
    }
}
