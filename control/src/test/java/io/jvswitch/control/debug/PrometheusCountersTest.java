package io.jvswitch.control.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.nat.NatCounter;
import io.jvswitch.nat.NatCounters;
import io.jvswitch.nat.NatDrop;
import io.jvswitch.switching.PortCounter;
import io.jvswitch.switching.PortStats;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/** Every counter of the enum-indexed sets is exported under the name dashboards have always used. */
class PrometheusCountersTest {
    @Test
    void everyPortCounterIsAFamilyUnderItsOldName() {
        final long[] counts = new long[PortCounter.values().length];
        for (PortCounter c : PortCounter.values()) {
            counts[c.ordinal()] = 100 + c.ordinal();
        }
        final PortStats rose = new PortStats(3, "rose", "frontend", "02:00:00:00:00:01", counts, 1, Map.of());
        final String text = PrometheusText.render(List.of(rose), Map.of());
        for (String name : List.of(
                "jvs_port_rx_frames_total",
                "jvs_port_rx_bytes_total",
                "jvs_port_tx_frames_total",
                "jvs_port_tx_bytes_total",
                "jvs_port_forwarded_total",
                "jvs_port_flooded_total",
                "jvs_port_arp_answered_total",
                "jvs_port_routed_total",
                "jvs_port_gateway_answered_total")) {
            assertTrue(text.contains("# TYPE " + name + " counter\n"), name + " in\n" + text);
        }
        assertTrue(text.contains("jvs_port_rx_frames_total{port=\"rose\",network=\"frontend\"} 100\n"), text);
        assertTrue(
                text.contains("jvs_port_flooded_out_total{port=\"rose\",network=\"frontend\"} "
                        + (100 + PortCounter.FLOODED_OUT.ordinal()) + "\n"),
                text);
        assertTrue(text.contains("# HELP jvs_port_rx_frames_total Frames received on a port.\n"), text);
    }

    @Test
    void everyNatCounterAndDropIsExported() {
        final long[] counts = new long[NatCounter.values().length];
        counts[NatCounter.CREATED.ordinal()] = 5;
        counts[NatCounter.PREFETCH_FOUND.ordinal()] = 9;
        final long[] drops = new long[NatDrop.values().length];
        drops[NatDrop.FRAGMENT.ordinal()] = 2;
        final String text = PrometheusText.renderNat(new NatCounters(4, 64, counts, drops));
        for (NatCounter c : NatCounter.values()) {
            assertTrue(text.contains("# TYPE jvs_nat_" + c.label().replace('-', '_') + "_total counter\n"), text);
        }
        assertTrue(text.contains("jvs_nat_created_total 5\n"), text);
        assertTrue(text.contains("jvs_nat_prefetch_found_total 9\n"), text);
        assertTrue(text.contains("jvs_nat_drops_total{reason=\"" + NatDrop.FRAGMENT.label() + "\"} 2\n"), text);
        assertTrue(text.contains("jvs_nat_connections 4\n"), text);
        assertEquals("", PrometheusText.renderNat(null));
    }
}
