package io.jvswitch.bench.e2e;

import java.util.List;
import java.util.Map;

/** Hand-made results for the report tests. */
final class ResultsFixture {
    private ResultsFixture() {}

    /** Three runs over bridge, jvs and a skipped OVS. */
    static BenchResults threeRuns() {
        final BenchResults r = new BenchResults(3);
        r.addPath(new BenchResults.PathInfo(
                "bridge",
                "kernel bridge+veth",
                "bridge",
                null,
                Map.of(Figure.CPU_PER_GB, "kernel", Figure.CONNECTIONS, "published-port paths only")));
        r.addPath(new BenchResults.PathInfo(
                "jvs", "jvs switch (TAP)", "bridge", null, Map.of(Figure.CONNECTIONS, "published-port paths only")));
        r.addPath(BenchResults.PathInfo.skipped("ovs", "OVS userspace", "bridge", "ovs-vswitchd is not installed"));
        final double[] bridgeTcp = {20, 10, 16};
        final double[] jvsTcp = {18, 9, 8};
        for (int run = 0; run < 3; run++) {
            r.record("bridge", run, Figure.TCP_1, bridgeTcp[run], Map.of());
            r.record("jvs", run, Figure.TCP_1, jvsTcp[run], Map.of("bytes", 1L));
            r.record("bridge", run, Figure.PING_RTT, 0.05, Map.of());
            r.record("jvs", run, Figure.PING_RTT, 0.06, Map.of());
            r.record("jvs", run, Figure.UDP_64_LOSS, 0.5, Map.of());
        }
        r.failed("jvs", 2, Figure.TCP_4, "iperf3: server busy");
        return r;
    }

    /**
     * One run over every kind of path, in the order the harness runs them: the switch paths
     * against the bridge, the VXLAN paths against the kernel's vxlan (jvs-vxlan listed before its
     * reference, as {@code --paths} may give them), the published ports against iptables DNAT.
     */
    static BenchResults everyKind() {
        final BenchResults r = new BenchResults(1);
        final Map<Figure, String> kernel = Map.of(Figure.CPU_PER_GB, "kernel cpu", Figure.CONNECTIONS, "nat only");
        final Map<Figure, String> nat = Map.of(Figure.PING_RTT, "ping means nothing here");
        r.addPath(new BenchResults.PathInfo("bridge", "kernel bridge+veth", "bridge", null, kernel));
        r.addPath(new BenchResults.PathInfo(
                "jvs", "jvs switch (TAP)", "bridge", null, Map.of(Figure.CONNECTIONS, "nat only")));
        r.addPath(new BenchResults.PathInfo(
                "jvs-vxlan", "jvs VTEPs (2 hosts)", "kernel-vxlan", null, Map.of(Figure.CONNECTIONS, "nat only")));
        r.addPath(new BenchResults.PathInfo("kernel-vxlan", "kernel vxlan (2 hosts)", "kernel-vxlan", null, kernel));
        r.addPath(new BenchResults.PathInfo(
                "kernel-nat",
                "kernel iptables DNAT",
                "kernel-nat",
                null,
                Map.of(Figure.CPU_PER_GB, "kernel cpu", Figure.PING_RTT, "ping means nothing here")));
        r.addPath(new BenchResults.PathInfo("jvs-nat", "jvs published port", "kernel-nat", null, nat));
        r.record("bridge", 0, Figure.TCP_1, 20, Map.of());
        r.record("jvs", 0, Figure.TCP_1, 10, Map.of());
        r.record("kernel-vxlan", 0, Figure.TCP_1, 8, Map.of());
        r.record("jvs-vxlan", 0, Figure.TCP_1, 6, Map.of());
        r.record("kernel-nat", 0, Figure.TCP_1, 16, Map.of());
        r.record("jvs-nat", 0, Figure.TCP_1, 4, Map.of());
        r.record("kernel-nat", 0, Figure.CONNECTIONS, 4000, Map.of());
        r.record("jvs-nat", 0, Figure.CONNECTIONS, 3000, Map.of());
        r.record("jvs-vxlan", 0, Figure.CPU_PER_GB, 1.5, Map.of("dataplanePids", List.of(1L, 2L)));
        return r;
    }
}
