package io.jvswitch.switching;

import java.util.Arrays;

/**
 * Per-port counters. Written only by the dataplane thread that owns the port; read by the control
 * plane through a snapshot taken on that same thread, so plain fields are enough.
 */
final class PortCounters {
    long rxFrames;
    long rxBytes;
    long txFrames;
    long txBytes;
    /** Ingress verdicts: every received frame ends in exactly one of these or in a drop. */
    long forwarded;

    long flooded;
    long arpAnswered;
    /** Routed by the gateway to another network or the host link. */
    long routed;
    /** Answered by the gateway itself: ICMP echo, or taken by its UDP service. */
    long gatewayAnswered;
    /** Copies this port sent because another port's frame was flooded. */
    long floodedOut;

    final long[] drops = new long[DropReason.VALUES.length];

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
        rxFrames = rxBytes =
                txFrames = txBytes = forwarded = flooded = arpAnswered = floodedOut = routed = gatewayAnswered = 0;
        Arrays.fill(drops, 0);
    }
}
