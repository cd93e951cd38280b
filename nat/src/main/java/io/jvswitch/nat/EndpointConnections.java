package io.jvswitch.nat;

/**
 * Live connections per endpoint (a network and an address on it), so that one container cannot
 * take the whole conntrack table (as conntrack zones with a per-zone limit, or VPP's sessions per
 * user, bound one tenant). Open addressing with linear probing and deletion by backward shift over
 * arrays made once: nothing is allocated per connection.
 *
 * <p>Bounded: at most {@code maxEndpoints} endpoints with live connections at once. Overflow
 * policy: a connection of an endpoint that is not yet counted is refused while the map is full
 * (the caller counts it); endpoints leave the map when their last connection goes.
 *
 * <p>Single-threaded: owned by the dataplane thread, with the table.
 */
final class EndpointConnections {
    /** The key's bits: a tuple's first word without its protocol (network and address). */
    static final long KEY_MASK = 0x00FF_FFFF_FFFF_FFFFL;

    private final long[] keys;
    private final int[] counts; // 0: the slot is empty
    private final int mask;
    private final int maxEndpoints;
    private int endpoints;

    EndpointConnections(int maxEndpoints) {
        if (maxEndpoints < 1) {
            throw new IllegalArgumentException("at least one endpoint");
        }
        final int slots = Math.max(16, Integer.highestOneBit(maxEndpoints * 2 - 1) << 1);
        this.keys = new long[slots];
        this.counts = new int[slots];
        this.mask = slots - 1;
        this.maxEndpoints = maxEndpoints;
    }

    /** The endpoint a tuple's first word names (its network and its source address). */
    static long keyOf(long tupleA) {
        return tupleA & KEY_MASK;
    }

    /** Live connections of the endpoint. */
    int count(long key) {
        final int slot = find(key);
        return slot < 0 ? 0 : counts[slot];
    }

    /** Whether a new connection of the endpoint can be counted (it has a slot, or one is free). */
    boolean canAdd(long key) {
        return endpoints < maxEndpoints || find(key) >= 0;
    }

    /** Counts one more connection; the caller checked {@link #canAdd}. */
    void add(long key) {
        int slot = home(key);
        while (counts[slot] != 0) {
            if (keys[slot] == key) {
                counts[slot]++;
                return;
            }
            slot = (slot + 1) & mask;
        }
        if (endpoints >= maxEndpoints) {
            throw new IllegalStateException("endpoint map full: canAdd was not checked");
        }
        keys[slot] = key;
        counts[slot] = 1;
        endpoints++;
    }

    /** Counts one connection less; the endpoint leaves the map with its last one. */
    void remove(long key) {
        final int slot = find(key);
        if (slot < 0) {
            return;
        }
        if (--counts[slot] > 0) {
            return;
        }
        endpoints--;
        // backward shift: move later entries of the probe run into the hole, so no tombstones
        int hole = slot;
        int next = (hole + 1) & mask;
        while (counts[next] != 0) {
            final int home = home(keys[next]);
            if (((next - home) & mask) >= ((next - hole) & mask)) {
                keys[hole] = keys[next];
                counts[hole] = counts[next];
                hole = next;
            }
            next = (next + 1) & mask;
        }
        counts[hole] = 0;
        keys[hole] = 0;
    }

    int endpoints() {
        return endpoints;
    }

    private int find(long key) {
        int slot = home(key);
        while (counts[slot] != 0) {
            if (keys[slot] == key) {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    private int home(long key) {
        final long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 40) & mask;
    }
}
