package io.jvswitch.switching;

import java.util.Arrays;

/**
 * Per-port counters, indexed by {@link PortCounter} and {@link DropReason}. Written only by the
 * dataplane thread that owns the port; read by the control plane through a snapshot taken on that
 * same thread, so plain longs are enough.
 */
final class PortCounters {
    final long[] counts = new long[PortCounter.VALUES.length];
    final long[] drops = new long[DropReason.VALUES.length];

    void count(PortCounter counter) {
        counts[counter.ordinal()]++;
    }

    void add(PortCounter counter, long delta) {
        counts[counter.ordinal()] += delta;
    }

    long get(PortCounter counter) {
        return counts[counter.ordinal()];
    }

    void drop(DropReason reason) {
        drops[reason.ordinal()]++;
    }

    long totalDrops() {
        long sum = 0;
        for (long d : drops) {
            sum += d;
        }
        return sum;
    }

    void reset() {
        Arrays.fill(counts, 0);
        Arrays.fill(drops, 0);
    }
}
