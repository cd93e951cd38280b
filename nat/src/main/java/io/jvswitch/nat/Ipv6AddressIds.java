package io.jvswitch.nat;

/**
 * Gives each IPv6 address that tracked connections use a small id, so that an IPv6 connection's
 * tuples fit the same two-long keys as an IPv4 one's ({@link ConnectionTable#tupleA},
 * {@link ConnectionTable#tupleB}) with the id where the IPv4 address goes, and the IPv6 tracker
 * shares the table, the port allocator and the TCP states with IPv4 instead of a copy of them with
 * 128-bit keys (which would double every line and every compare). An id stands for its address
 * exactly: lookups compare the whole 128 bits here, once per address, not per probe of the table.
 *
 * <p>Ids are counted references: each connection holds one for the address in each of the four
 * places of its tuples and gives them back when it leaves the table; an id whose count drops to
 * zero is free for another address. Bounded: at most {@code capacity} addresses at once,
 * then {@link #acquire} refuses (the caller counts the drop). Open addressing with linear probing
 * at a load of at most one half, deletion by backward shift. Nothing allocated after construction;
 * single-threaded (the dataplane thread).
 */
final class Ipv6AddressIds {
    /** Not an id: what {@link #find} and {@link #acquire} answer for no address. */
    static final int NONE = -1;

    private final long[] high;
    private final long[] low;
    private final int[] references;
    private final int[] free;
    private int freeCount;
    /** Id + 1 per slot, 0 for empty. */
    private final int[] slots;

    private final int mask;

    Ipv6AddressIds(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
        }
        high = new long[capacity];
        low = new long[capacity];
        references = new int[capacity];
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i;
        }
        freeCount = capacity;
        final int slotCount = Math.max(16, Integer.highestOneBit(capacity * 2 - 1) << 1);
        slots = new int[slotCount];
        mask = slotCount - 1;
    }

    /** @return the id of the address, or {@link #NONE} if no connection uses it */
    int find(long addressHigh, long addressLow) {
        int index = home(addressHigh, addressLow);
        while (true) {
            final int slot = slots[index];
            if (slot == 0) {
                return NONE;
            }
            final int id = slot - 1;
            if (high[id] == addressHigh && low[id] == addressLow) {
                return id;
            }
            index = (index + 1) & mask;
        }
    }

    /** Takes a reference on the address, giving it an id if it has none. @return the id, or NONE when full */
    int acquire(long addressHigh, long addressLow) {
        int index = home(addressHigh, addressLow);
        while (slots[index] != 0) {
            final int id = slots[index] - 1;
            if (high[id] == addressHigh && low[id] == addressLow) {
                references[id]++;
                return id;
            }
            index = (index + 1) & mask;
        }
        if (freeCount == 0) {
            return NONE;
        }
        final int id = free[--freeCount];
        high[id] = addressHigh;
        low[id] = addressLow;
        references[id] = 1;
        slots[index] = id + 1;
        return id;
    }

    /** Gives back one reference; the id is freed with its last. */
    void release(int id) {
        if (id < 0 || id >= references.length || references[id] == 0 || --references[id] > 0) {
            return;
        }
        int hole = slotOf(id);
        if (hole < 0) {
            return; // not indexed: cannot happen for an id this class gave
        }
        int next = (hole + 1) & mask;
        while (slots[next] != 0) {
            final int moved = slots[next] - 1;
            final int home = home(high[moved], low[moved]);
            if (((next - home) & mask) >= ((next - hole) & mask)) {
                slots[hole] = slots[next];
                hole = next;
            }
            next = (next + 1) & mask;
        }
        slots[hole] = 0;
        free[freeCount++] = id;
    }

    long high(int id) {
        return high[id];
    }

    long low(int id) {
        return low[id];
    }

    /** Addresses with an id now. */
    int size() {
        return high.length - freeCount;
    }

    int references(int id) {
        return references[id];
    }

    private int slotOf(int id) {
        int index = home(high[id], low[id]);
        while (slots[index] != id + 1) {
            if (slots[index] == 0) {
                return -1;
            }
            index = (index + 1) & mask;
        }
        return index;
    }

    private int home(long addressHigh, long addressLow) {
        return ConnectionTable.hash(addressHigh, addressLow) & mask;
    }
}
