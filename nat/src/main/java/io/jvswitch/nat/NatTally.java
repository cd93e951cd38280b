package io.jvswitch.nat;

import io.jvswitch.switching.service.RoutingHook;

/**
 * The translator's counters and drops as the dataplane thread keeps them: plain longs indexed by
 * {@link NatCounter} and {@link NatDrop}, shared by the parts of the translator, copied out by
 * {@link #snapshot}.
 */
final class NatTally {
    private final long[] counts = new long[NatCounter.VALUES.length];
    private final long[] drops = new long[NatDrop.values().length];

    void count(NatCounter counter) {
        counts[counter.ordinal()]++;
    }

    void add(NatCounter counter, long delta) {
        counts[counter.ordinal()] += delta;
    }

    long get(NatCounter counter) {
        return counts[counter.ordinal()];
    }

    /** Counts a drop; returns the verdict, so a refusal reads {@code return tally.drop(reason)}. */
    int drop(NatDrop reason) {
        drops[reason.ordinal()]++;
        return RoutingHook.DROP;
    }

    NatCounters snapshot(int connections, int limit) {
        return new NatCounters(connections, limit, counts.clone(), drops.clone());
    }
}
