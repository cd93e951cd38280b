package io.jvswitch.dns;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The responder's counters. Written by the dataplane thread (local answers) and by the DNS event
 * loop (forwarding, TCP), read by the stats API: atomic increments, no allocation.
 */
public final class DnsCounters {
    private final AtomicLongArray values = new AtomicLongArray(DnsCounter.VALUES.length);

    void increment(DnsCounter counter) {
        values.incrementAndGet(counter.ordinal());
    }

    void add(DnsCounter counter, long delta) {
        values.addAndGet(counter.ordinal(), delta);
    }

    public long get(DnsCounter counter) {
        return values.get(counter.ordinal());
    }

    /** Every counter by label, in declaration order. */
    public Map<String, Long> snapshot() {
        final Map<String, Long> out = new LinkedHashMap<>();
        for (DnsCounter c : DnsCounter.VALUES) {
            out.put(c.label(), get(c));
        }
        return out;
    }
}
