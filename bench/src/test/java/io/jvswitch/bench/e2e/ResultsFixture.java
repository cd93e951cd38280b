package io.jvswitch.bench.e2e;

import java.util.Map;

/** Results of three hand-made runs over bridge, jvs and a skipped OVS, for the report tests. */
final class ResultsFixture {
    private ResultsFixture() {
    }

    static BenchResults threeRuns() {
        final BenchResults r = new BenchResults(3);
        r.addPath(new BenchResults.PathInfo("bridge", "kernel bridge+veth", "bridge", null, "n/a: kernel"));
        r.addPath(new BenchResults.PathInfo("jvs", "jvs switch (TAP)", "bridge", null, null));
        r.addPath(new BenchResults.PathInfo("ovs", "OVS userspace", "bridge", "ovs-vswitchd is not installed", null));
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
}
