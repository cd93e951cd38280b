package io.jvswitch.switching;

import java.util.Map;

/** A consistent copy of one port's counters, taken on the dataplane thread. */
public record PortStats(
        int slot,
        String name,
        String network,
        String mac,
        long rxFrames,
        long rxBytes,
        long txFrames,
        long txBytes,
        long forwarded,
        long flooded,
        long arpAnswered,
        long floodedOut,
        long routed,
        long gatewayAnswered,
        long macsLearned,
        Map<String, Long> drops) {}
