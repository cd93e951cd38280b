package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;

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
        final String tcpRow = table.lines()
                .filter(l -> l.strip().startsWith("TCP x1 Gb/s"))
                .findFirst()
                .orElseThrow();
        assertTrue(
                tcpRow.matches(" +TCP x1 Gb/s +16\\.00 \\[10\\.00-20\\.00\\] +9\\.00 \\[8\\.00-18\\.00\\] x0\\.90"),
                tcpRow);
        final String rtt = table.lines()
                .filter(l -> l.strip().startsWith("ping RTT"))
                .findFirst()
                .orElseThrow();
        assertTrue(rtt.endsWith("0.060 [0.060-0.060] x1.20"), rtt);
        // the skipped path has no column, and says why in the notes
        assertTrue(!table.lines().findFirst().orElseThrow().contains("OVS"));
        assertTrue(table.contains("OVS userspace: skipped, ovs-vswitchd is not installed"), table);
        assertTrue(table.contains("jvs run 3 TCP x4: iperf3: server busy"), table);
        final String target = table.lines()
                .filter(l -> l.contains("TCP x1, jvs / kernel bridge"))
                .findFirst()
                .orElseThrow();
        assertTrue(target.matches(" +TCP x1, jvs / kernel bridge +0\\.90 \\[0\\.50-0\\.90\\] +>= 0\\.8 +yes"), target);
        final String ovsTarget = table.lines()
                .filter(l -> l.contains("OVS userspace+TSO"))
                .findFirst()
                .orElseThrow();
        assertTrue(ovsTarget.contains("not measured"), ovsTarget);
        assertTrue(
                table.contains("TCP conn rate n/a on kernel bridge+veth, jvs switch (TAP): published-port paths only"),
                table);
        assertTrue(table.contains("CPU per GB n/a on kernel bridge+veth: kernel"), table);
        final String loss = table.lines()
                .filter(l -> l.contains("UDP 64B loss, jvs"))
                .findFirst()
                .orElseThrow();
        assertTrue(loss.matches(" +UDP 64B loss, jvs \\(%\\) +0\\.50 \\[0\\.50-0\\.50\\] +<= 1\\.0 +yes"), loss);
    }

    @Test
    void eachKindOfPathGetsItsOwnTableWithItsReferenceFirst() {
        final String table = ResultTable.format(ResultsFixture.everyKind());
        final List<String> lines = table.lines().toList();
        final int switches = lines.indexOf("against kernel bridge+veth");
        final int vxlan = lines.indexOf("against kernel vxlan (2 hosts)");
        final int nat = lines.indexOf("against kernel iptables DNAT");
        assertTrue(switches > 0 && vxlan > switches && nat > vxlan, table);
        assertTrue(
                lines.get(vxlan + 1).matches(" +figure +kernel vxlan \\(2 hosts\\) +jvs VTEPs \\(2 hosts\\)"),
                lines.get(vxlan + 1));
        assertTrue(lines.get(vxlan + 2).matches(" +TCP x1 Gb/s +8\\.00 +6\\.00 x0\\.75"), lines.get(vxlan + 2));
        assertTrue(lines.get(nat + 2).matches(" +TCP x1 Gb/s +16\\.00 +4\\.00 x0\\.25"), lines.get(nat + 2));
        final String connections = lines.stream()
                .skip(nat)
                .filter(l -> l.strip().startsWith("TCP conn rate"))
                .findFirst()
                .orElseThrow();
        assertTrue(connections.matches(" +TCP conn rate conn/s +4000 +3000 x0\\.75"), connections);
        final String ping = lines.stream()
                .skip(nat)
                .filter(l -> l.strip().startsWith("ping RTT"))
                .findFirst()
                .orElseThrow();
        assertTrue(ping.matches(" +ping RTT ms +n/a +n/a"), ping);
        final String vxlanCpu = lines.stream()
                .skip(vxlan)
                .filter(l -> l.strip().startsWith("CPU per GB"))
                .findFirst()
                .orElseThrow();
        assertTrue(vxlanCpu.matches(" +CPU per GB s/GB +n/a +1\\.50"), vxlanCpu);
        // a figure with no value and no reason (nothing recorded, e.g. every run failed) is "-", not "n/a"
        final String udp = lines.stream()
                .skip(vxlan)
                .filter(l -> l.strip().startsWith("UDP 64B rx"))
                .findFirst()
                .orElseThrow();
        assertTrue(udp.matches(" +UDP 64B rx kpps +- +-"), udp);
        assertTrue(
                table.contains("ping RTT n/a on kernel iptables DNAT, jvs published port: ping means nothing here"),
                table);
        assertTrue(
                table.contains(
                        "CPU per GB n/a on kernel bridge+veth, kernel vxlan (2 hosts), kernel iptables DNAT: kernel cpu"),
                table);
    }
}
