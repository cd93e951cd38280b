package io.jvswitch.switching;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-network figures: FDB occupancy and its overflow counters, and what the network counted.
 *
 * @param counts indexed by {@link NetworkCounter#ordinal()}
 */
public record NetworkStats(
        String name,
        int ports,
        int macEntries,
        int macLimit,
        long macsLearned,
        long macsMoved,
        long macsAged,
        long macRefusedTableFull,
        long macRefusedPortLimit,
        int knownAddresses,
        long[] counts) {

    public long get(NetworkCounter counter) {
        return counts[counter.ordinal()];
    }

    /** @return every counter by {@linkplain NetworkCounter#key() key}, in declaration order */
    public Map<String, Long> counters() {
        final Map<String, Long> out = new LinkedHashMap<>();
        for (NetworkCounter counter : NetworkCounter.VALUES) {
            out.put(counter.key(), counts[counter.ordinal()]);
        }
        return out;
    }
}
