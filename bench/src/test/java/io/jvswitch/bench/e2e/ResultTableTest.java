package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ResultTableTest {
    @Test
    void ratiosAreTakenRunByRunThenSummarised() {
        final BenchResults r = ResultsFixture.threeRuns();
        // run ratios 0.9, 0.9, 0.5: median 0.9, while the ratio of medians would be 9/16
        assertEquals(new Spread(0.9, 0.5, 0.9, 3), r.ratio("jvs", "bridge", Figure.TCP_1));
        assertEquals(new Spread(16, 10, 20, 3), r.spread("bridge", Figure.TCP_1));
    }

    @Test
    void tableShowsMediansSpreadsRatiosTargetsAndNotes() {
        final String table = ResultTable.format(ResultsFixture.threeRuns());
        final String tcpRow = table.lines().filter(l -> l.strip().startsWith("TCP x1 Gb/s")).findFirst().orElseThrow();
        assertTrue(tcpRow.matches(" +TCP x1 Gb/s +16\\.00 \\[10\\.00-20\\.00\\] +9\\.00 \\[8\\.00-18\\.00\\] x0\\.90"), tcpRow);
        final String rtt = table.lines().filter(l -> l.strip().startsWith("ping RTT")).findFirst().orElseThrow();
        assertTrue(rtt.endsWith("0.060 [0.060-0.060] x1.20"), rtt);
        // the skipped path has no column, and says why in the notes
        assertTrue(!table.lines().findFirst().orElseThrow().contains("OVS"));
        assertTrue(table.contains("OVS userspace: skipped, ovs-vswitchd is not installed"), table);
        assertTrue(table.contains("jvs run 3 TCP x4: iperf3: server busy"), table);
        final String target = table.lines().filter(l -> l.contains("TCP x1, jvs / kernel bridge")).findFirst().orElseThrow();
        assertTrue(target.matches(" +TCP x1, jvs / kernel bridge +0\\.90 \\[0\\.50-0\\.90\\] +>= 0\\.8 +yes"), target);
        final String ovsTarget = table.lines().filter(l -> l.contains("OVS userspace+TSO")).findFirst().orElseThrow();
        assertTrue(ovsTarget.contains("not measured"), ovsTarget);
        final String loss = table.lines().filter(l -> l.contains("UDP 64B loss, jvs")).findFirst().orElseThrow();
        assertTrue(loss.matches(" +UDP 64B loss, jvs \\(%\\) +0\\.50 \\[0\\.50-0\\.50\\] +<= 1\\.0 +yes"), loss);
    }
}
