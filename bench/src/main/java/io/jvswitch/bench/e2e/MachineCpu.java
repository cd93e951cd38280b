package io.jvswitch.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The whole machine's CPU time, from {@code /proc/stat}, with the moment it was read. It counts
 * what no per-process figure can: the kernel's forwarding in the containers' own system calls and
 * softirqs (all of a kernel path's work), the containers' TCP stacks, and the dataplane
 * processes, so every path, kernel or not, gets one comparable "CPU per GB", and the share of the
 * machine that was busy says whether a path ran out of CPU.
 *
 * <p>Busy time is taken as wall time × CPUs − idle − steal, not from the user, system and softirq
 * counters: those are sampled at the timer tick, and a busy guest loses ticks (on a 2-vCPU VM
 * they summed to 4.7 s over a 5 s iperf3 run with both CPUs mostly busy), while idle time is
 * measured by timestamps when a CPU enters and leaves idle. Idle is idle + iowait; steal (time the
 * hypervisor gave to other guests) is neither busy nor time the machine had.
 *
 * @param nanos {@link System#nanoTime()} when read (of a difference: the time between the reads)
 * @param cpus the CPUs {@code /proc/stat} lists ({@code cpuN} lines)
 * @param idleTicks idle + iowait, in clock ticks over all CPUs
 * @param stealTicks steal, in clock ticks over all CPUs
 * @param tickedBusyTicks user + nice + system + irq + softirq as the ticks sampled them: kept raw
 */
record MachineCpu(long nanos, int cpus, long idleTicks, long stealTicks, long tickedBusyTicks) {
    /** Keys of the per-run raw figures (JSON): busy CPU seconds, and busy as a share of the time had. */
    static final String BUSY_SECONDS = "machineBusySeconds";

    static final String BUSY_SHARE = "machineBusyShare";

    private static final Path PROC_STAT = Path.of("/proc/stat");

    /** Reads {@code /proc/stat} now, or returns null (the figure is then left out) when it cannot. */
    static MachineCpu readOrNull() {
        try {
            return parse(Files.readString(PROC_STAT), System.nanoTime());
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The aggregate line {@code cpu user nice system idle iowait irq softirq steal ...}, first in
     * {@code /proc/stat}, and the number of {@code cpuN} lines after it. Kernels before 2.6.11
     * stop before steal; missing fields count as 0.
     */
    static MachineCpu parse(String procStat, long nanos) {
        final String[] lines = procStat.split("\n");
        final String[] f = lines[0].strip().split(" +");
        if (f.length < 5 || !f[0].equals("cpu")) {
            throw new IllegalArgumentException("/proc/stat: no aggregate cpu line first");
        }
        final long[] v = new long[8];
        for (int i = 0; i < v.length && i + 1 < f.length; i++) {
            try {
                v[i] = Long.parseLong(f[i + 1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("/proc/stat: not a tick count: " + f[i + 1], e);
            }
        }
        int cpus = 0;
        for (int i = 1; i < lines.length && lines[i].startsWith("cpu"); i++) {
            cpus++;
        }
        if (cpus == 0) {
            throw new IllegalArgumentException("/proc/stat: no per-CPU lines");
        }
        return new MachineCpu(nanos, cpus, v[3] + v[4], v[7], v[0] + v[1] + v[2] + v[5] + v[6]);
    }

    /** What happened between {@code before} and this reading. */
    MachineCpu minus(MachineCpu before) {
        return new MachineCpu(
                nanos - before.nanos,
                cpus,
                idleTicks - before.idleTicks,
                stealTicks - before.stealTicks,
                tickedBusyTicks - before.tickedBusyTicks);
    }

    /** Of a difference: CPU seconds not idle and not stolen, over all CPUs; never below 0. */
    double busySeconds(long ticksPerSecond) {
        return Math.max(0, had(ticksPerSecond) - idleTicks / (double) ticksPerSecond);
    }

    /** Of a difference: busy seconds as a share of the CPU seconds the machine had, 0 to 1. */
    double busyShare(long ticksPerSecond) {
        final double had = had(ticksPerSecond);
        return had <= 0 ? 0 : Math.min(1, busySeconds(ticksPerSecond) / had);
    }

    /** Wall time × CPUs − steal: the CPU seconds the machine had. */
    private double had(long ticksPerSecond) {
        return nanos / 1e9 * cpus - stealTicks / (double) ticksPerSecond;
    }
}
