package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.Map;

class MachineCpuTest {
    /** The head of a real /proc/stat of a 2-CPU guest. */
    private static final String STAT = """
        cpu  1000 20 300 5000 40 6 70 80 0 0
        cpu0 500 10 150 2500 20 3 35 40 0 0
        cpu1 500 10 150 2500 20 3 35 40 0 0
        intr 123456 0 0
        ctxt 987654
        """;

    @Test
    void readsIdleStealAndTheTickedBusyCountersAndCountsTheCpus() {
        final MachineCpu cpu = MachineCpu.parse(STAT, 42);
        assertEquals(42, cpu.nanos());
        assertEquals(2, cpu.cpus());
        assertEquals(5000 + 40, cpu.idleTicks());
        assertEquals(80, cpu.stealTicks());
        assertEquals(1000 + 20 + 300 + 6 + 70, cpu.tickedBusyTicks());
    }

    @Test
    void busyIsWallTimesCpusLessIdleAndSteal() {
        final MachineCpu before = new MachineCpu(1_000_000_000L, 2, 5000, 10, 900);
        // 5 s on 2 CPUs = 10 CPU-s; 2 s idle and 0.5 s stolen: 7.5 s busy of the 9.5 s the machine had
        final MachineCpu used = new MachineCpu(6_000_000_000L, 2, 5200, 60, 1500).minus(before);
        assertEquals(5_000_000_000L, used.nanos());
        assertEquals(7.5, used.busySeconds(100), 1e-9);
        assertEquals(7.5 / 9.5, used.busyShare(100), 1e-9);
        assertEquals(600, used.tickedBusyTicks(), "kept raw, not used for the figure");
        assertEquals(0, new MachineCpu(0, 2, 0, 0, 0).busyShare(100));
        assertEquals(
                0,
                new MachineCpu(1_000_000_000L, 2, 250, 0, 0).busySeconds(100),
                "idle beyond the wall time reads as 0");
    }

    @Test
    void aKernelWithoutStealStillParses() {
        final MachineCpu cpu = MachineCpu.parse("cpu  1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\n", 0);
        assertEquals(4 + 5, cpu.idleTicks());
        assertEquals(0, cpu.stealTicks());
        assertEquals(1, cpu.cpus());
    }

    @Test
    void refusesWhatIsNotAProcStat() {
        assertThrows(IllegalArgumentException.class, () -> MachineCpu.parse("cpu0 1 2 3 4 5\n", 0));
        assertThrows(IllegalArgumentException.class, () -> MachineCpu.parse("cpu  1 2\n", 0));
        assertThrows(IllegalArgumentException.class, () -> MachineCpu.parse("cpu  1 2 x 4 5 6 7 8\ncpu0 1\n", 0));
        assertThrows(IllegalArgumentException.class, () -> MachineCpu.parse("cpu  1 2 3 4 5 6 7 8\nintr 1\n", 0));
        assertThrows(IllegalArgumentException.class, () -> MachineCpu.parse("", 0));
    }

    @Test
    void thisMachineShowsOneSpinningThreadAsBusyTime() throws InterruptedException {
        final MachineCpu before = MachineCpu.readOrNull();
        assertNotNull(before);
        final long until = System.nanoTime() + 300_000_000L;
        long spin = 0;
        while (System.nanoTime() < until) {
            spin++;
        }
        final MachineCpu used = MachineCpu.readOrNull().minus(before);
        final double busy = used.busySeconds(100);
        final double stolen = used.stealTicks() / 100.0;
        // The 0.3 s this thread spun is busy, or stolen by the hypervisor while it spun (ticks are
        // 10 ms; other work only adds); and no more than the machine had.
        assertTrue(busy + stolen >= 0.2, "busy " + busy + " s, stolen " + stolen + " s, spun " + spin);
        assertTrue(busy <= used.nanos() / 1e9 * used.cpus() + 0.02, "busy " + busy + " s of " + used);
    }

    @Test
    void theReportSaysHowBusyTheMachineWasPerPath() {
        final BenchResults r = ResultsFixture.threeRuns();
        final double[] bridge = {0.99, 0.97, 0.98};
        final double[] jvs = {0.80, 0.95, 0.90};
        for (int run = 0; run < 3; run++) {
            r.record("bridge", run, Figure.MACHINE_CPU_PER_GB, 1.0, Map.of(MachineCpu.BUSY_SHARE, bridge[run]));
            r.record("jvs", run, Figure.MACHINE_CPU_PER_GB, 1.2, Map.of(MachineCpu.BUSY_SHARE, jvs[run]));
        }
        final String table = ResultTable.format(r);
        assertTrue(
                table.contains("machine CPUs busy during TCP x1 (median of 3 runs, iperf3's start included; "
                        + "near 100 % = limited by CPU): "
                        + "kernel bridge+veth 98 %, jvs switch (TAP) 90 %"),
                table);
        final String row = table.lines()
                .filter(l -> l.strip().startsWith("machine CPU per GB s/GB"))
                .findFirst()
                .orElseThrow();
        assertTrue(row.contains("1.00 [1.00-1.00]") && row.contains("1.20 [1.20-1.20] x1.20"), row);
        assertTrue(
                !ResultTable.format(ResultsFixture.threeRuns()).contains("machine CPUs busy"),
                "runs without the figure get no note");
    }

    @Test
    void theReportSaysHowBusyTheMachineWasAtFourStreamsWithItsCostPerByte() {
        final BenchResults r = ResultsFixture.threeRuns();
        for (int run = 0; run < 3; run++) {
            r.record("bridge", run, Figure.MACHINE_CPU_PER_GB_4, 0.65, Map.of(MachineCpu.BUSY_SHARE, 0.83));
            r.record("jvs", run, Figure.MACHINE_CPU_PER_GB_4, 1.04, Map.of(MachineCpu.BUSY_SHARE, 0.86));
        }
        final String table = ResultTable.format(r);
        assertTrue(
                table.contains("machine CPUs busy during TCP x4 (median of 3 runs, iperf3's start included; "
                        + "near 100 % = limited by CPU): "
                        + "kernel bridge+veth 83 %, jvs switch (TAP) 86 %"),
                table);
        assertTrue(!table.contains("busy during TCP x1"), "no x1 note without the x1 figure:\n" + table);
        final String row = table.lines()
                .filter(l -> l.strip().startsWith("machine CPU per GB x4 s/GB"))
                .findFirst()
                .orElseThrow();
        assertTrue(row.contains("0.65 [0.65-0.65]") && row.contains("1.04 [1.04-1.04] x1.60"), row);
        assertEquals(Figure.MACHINE_CPU_PER_GB_4, Figure.TCP_4.machineCpuPerGb());
        assertEquals(Figure.MACHINE_CPU_PER_GB, Figure.TCP_1.machineCpuPerGb());
    }
}
