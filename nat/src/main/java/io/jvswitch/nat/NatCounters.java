package io.jvswitch.nat;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A snapshot of the translator's counters.
 *
 * @param connections connections in the table now
 * @param limit the table's capacity
 * @param counts indexed by {@link NatCounter#ordinal()}
 * @param drops indexed by {@link NatDrop#ordinal()}
 */
public record NatCounters(int connections, int limit, long[] counts, long[] drops) {

    public long get(NatCounter counter) {
        return counts[counter.ordinal()];
    }

    /** Connections created since start. */
    public long created() {
        return get(NatCounter.CREATED);
    }

    /** Connections removed because their timeout passed. */
    public long expired() {
        return get(NatCounter.EXPIRED);
    }

    /** Packets translated. */
    public long translated() {
        return get(NatCounter.TRANSLATED);
    }

    /** Packets routed without translation. */
    public long untracked() {
        return get(NatCounter.UNTRACKED);
    }

    public long drops(NatDrop reason) {
        return drops[reason.ordinal()];
    }

    /** @return every counter by {@linkplain NatCounter#label() label}, in declaration order */
    public Map<String, Long> countsByLabel() {
        final Map<String, Long> out = new LinkedHashMap<>();
        for (NatCounter counter : NatCounter.VALUES) {
            out.put(counter.label(), counts[counter.ordinal()]);
        }
        return out;
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
