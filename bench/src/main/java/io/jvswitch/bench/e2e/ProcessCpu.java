package io.jvswitch.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** CPU time a process has used (all its threads), from {@code /proc/PID/stat}, in clock ticks. */
final class ProcessCpu {
    private ProcessCpu() {}

    /** The kernel's clock ticks per second ({@code getconf CLK_TCK}), which /proc's CPU times count in. */
    static long clockTicksPerSecond() {
        try {
            final Process p = new ProcessBuilder("getconf", "CLK_TCK")
                    .redirectErrorStream(true)
                    .start();
            final String out = new String(p.getInputStream().readAllBytes()).strip();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return Long.parseLong(out);
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to Linux's USER_HZ on every common architecture
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }

    /** utime + stime in ticks, or -1 when the process is gone. */
    static long ticks(long pid) {
        try {
            return parseTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException e) {
            return -1;
        }
    }

    /** The sum over {@code pids}; -1 when there are none or any of them is gone. */
    static long ticks(List<Long> pids) {
        if (pids.isEmpty()) {
            return -1;
        }
        long sum = 0;
        for (long pid : pids) {
            final long ticks = ticks(pid);
            if (ticks < 0) {
                return -1;
            }
            sum += ticks;
        }
        return sum;
    }

    /**
     * Fields after the command name, which is in parentheses and may itself hold spaces and
     * parentheses: so split after the last ')'. utime and stime are fields 14 and 15 of the line.
     */
    static long parseTicks(String stat) {
        final int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/PID/stat line");
        }
        final String[] fields = stat.substring(close + 2).trim().split(" +");
        // fields[0] is field 3 (state): utime (14) and stime (15) are fields[11] and fields[12]
        if (fields.length < 13) {
            throw new IllegalArgumentException("short /proc/PID/stat line");
        }
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
