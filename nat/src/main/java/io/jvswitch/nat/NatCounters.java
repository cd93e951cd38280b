package io.jvswitch.nat;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A snapshot of the translator's counters.
 *
 * @param connections connections in the table now
 * @param limit the table's capacity
 * @param created connections created since start
 * @param expired connections removed because their timeout passed
 * @param translated packets translated
 * @param untracked packets routed without translation
 */
public record NatCounters(
        int connections, int limit, long created, long expired, long translated, long untracked, long[] drops) {

    public long drops(NatDrop reason) {
        return drops[reason.ordinal()];
    }

    /** @return drops by {@linkplain NatDrop#label() label}, every reason present */
    public Map<String, Long> dropsByReason() {
        final Map<String, Long> out = new LinkedHashMap<>();
        for (NatDrop reason : NatDrop.values()) {
            out.put(reason.label(), drops[reason.ordinal()]);
        }
        return out;
    }
}
