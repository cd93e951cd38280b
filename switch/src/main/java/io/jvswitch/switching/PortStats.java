package io.jvswitch.switching;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A consistent copy of one port's counters, taken on the dataplane thread.
 *
 * @param counts indexed by {@link PortCounter#ordinal()}
 * @param drops by {@linkplain DropReason#label() reason}, those not zero
 */
public record PortStats(
        int slot, String name, String network, String mac, long[] counts, long macsLearned, Map<String, Long> drops) {

    public long get(PortCounter counter) {
        return counts[counter.ordinal()];
    }

    /** @return every counter by {@linkplain PortCounter#key() key}, in declaration order */
    public Map<String, Long> counters() {
        final Map<String, Long> out = new LinkedHashMap<>();
        for (PortCounter counter : PortCounter.VALUES) {
            out.put(counter.key(), counts[counter.ordinal()]);
        }
        return out;
    }
}
