package io.jvswitch.switching;


/**
 * The forwarding database of one bridge domain: MAC address to port slot, with last-seen times.
 *
 * <p>Open addressing with linear probing and backward-shift deletion, so lookups touch one or two
 * cache lines and no tombstones pile up under churn. The table is sized to at most half full, which
 * keeps probe sequences short and guarantees they end.
 *
 * <p>Overflow policy: the table holds at most {@code limit} entries and each port at most
 * {@code perPortLimit}. A MAC that does not fit is not learned and the refusal is counted; frames
 * to it are flooded as unknown unicast, so connectivity is kept and only efficiency suffers. One
 * port flooding random source MACs fills its own quota, never the whole table.
 *
 * <p>Single-threaded: owned by the dataplane agent.
 */
final class MacTable {
    static final int LEARNED = 0;
    static final int REFRESHED = 1;
    static final int MOVED = 2;
    static final int REFUSED_TABLE_FULL = 3;
    static final int REFUSED_PORT_LIMIT = 4;
    /** 00:00:00:00:00:00 is the empty-bucket marker; ingress drops such sources before learning. */
    static final int REFUSED_INVALID = 5;

    private static final long EMPTY = 0L; // MAC 00:00:00:00:00:00 is never learned (dropped at ingress)

    private final long[] keys;
    private final int[] slots;
    private final long[] lastSeenNanos;
    private final int mask;
    private final int limit;
    private final int perPortLimit;
    private final int[] entriesPerPort;
    private final long agingNanos;
    private int size;
    private int sweepCursor;

    long learnedCount;
    long movedCount;
    long agedCount;
    long refusedTableFull;
    long refusedPortLimit;

    MacTable(int limit, int perPortLimit, int maxPorts, long agingNanos) {
        if (limit < 1 || perPortLimit < 1) {
            throw new IllegalArgumentException("MAC table limits must be positive");
        }
        final int capacity = Integer.highestOneBit(Math.max(limit * 2 - 1, 1)) << 1;
        this.keys = new long[capacity];
        this.slots = new int[capacity];
        this.lastSeenNanos = new long[capacity];
        this.mask = capacity - 1;
        this.limit = limit;
        this.perPortLimit = perPortLimit;
        this.entriesPerPort = new int[maxPorts];
        this.agingNanos = agingNanos;
    }

    int size() {
        return size;
    }

    int limit() {
        return limit;
    }

    int entriesOn(int slot) {
        return entriesPerPort[slot];
    }

    /** The port slot the MAC was learned on, or -1. */
    int lookup(long mac) {
        if (mac == EMPTY) {
            return -1; // never learned: without this the probe would "find" the first empty bucket
        }
        int i = home(mac);
        while (true) {
            final long key = keys[i];
            if (key == mac) {
                return slots[i];
            }
            if (key == EMPTY) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    /** Learns or refreshes {@code mac} on {@code slot}; returns one of the result constants. */
    int learn(long mac, int slot, long nowNanos) {
        if (mac == EMPTY) {
            return REFUSED_INVALID;
        }
        int i = home(mac);
        while (true) {
            final long key = keys[i];
            if (key == mac) {
                lastSeenNanos[i] = nowNanos;
                final int previous = slots[i];
                if (previous == slot) {
                    return REFRESHED;
                }
                if (entriesPerPort[slot] >= perPortLimit) {
                    // The MAC moved to a port that is over quota: forget it rather than keep
                    // sending its frames to the old port.
                    removeAt(i);
                    refusedPortLimit++;
                    return REFUSED_PORT_LIMIT;
                }
                entriesPerPort[previous]--;
                entriesPerPort[slot]++;
                slots[i] = slot;
                movedCount++;
                return MOVED;
            }
            if (key == EMPTY) {
                break;
            }
            i = (i + 1) & mask;
        }
        if (size >= limit) {
            refusedTableFull++;
            return REFUSED_TABLE_FULL;
        }
        if (entriesPerPort[slot] >= perPortLimit) {
            refusedPortLimit++;
            return REFUSED_PORT_LIMIT;
        }
        keys[i] = mac;
        slots[i] = slot;
        lastSeenNanos[i] = nowNanos;
        entriesPerPort[slot]++;
        size++;
        learnedCount++;
        return LEARNED;
    }

    /**
     * Ages out entries not seen for the aging time, looking at no more than {@code budget} buckets,
     * so a large table is swept a little on every duty cycle instead of in one pause.
     */
    int expire(long nowNanos, int budget) {
        int removed = 0;
        for (int n = 0; n < budget && size > 0; n++) {
            final int i = sweepCursor;
            if (keys[i] != EMPTY && nowNanos - lastSeenNanos[i] >= agingNanos) {
                removeAt(i);
                agedCount++;
                removed++;
                // Backward shift may have moved another entry into bucket i: look at it again.
            } else {
                sweepCursor = (i + 1) & mask;
            }
        }
        return removed;
    }

    /** Forgets every MAC learned on {@code slot} (port unplugged). Control-path cost: whole table. */
    void removePort(int slot) {
        int i = 0;
        while (i <= mask && entriesPerPort[slot] > 0) {
            if (keys[i] != EMPTY && slots[i] == slot) {
                removeAt(i);
            } else {
                i++;
            }
        }
    }

    boolean remove(long mac) {
        if (mac == EMPTY) {
            return false;
        }
        int i = home(mac);
        while (true) {
            final long key = keys[i];
            if (key == mac) {
                removeAt(i);
                return true;
            }
            if (key == EMPTY) {
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    /** Visits every entry with its age. Control path. */
    void forEach(long nowNanos, EntryVisitor visitor) {
        for (int i = 0; i <= mask; i++) {
            if (keys[i] != EMPTY) {
                visitor.visit(keys[i], slots[i], nowNanos - lastSeenNanos[i]);
            }
        }
    }

    @FunctionalInterface
    interface EntryVisitor {
        void visit(long mac, int slot, long ageNanos);
    }

    private void removeAt(int index) {
        entriesPerPort[slots[index]]--;
        size--;
        int hole = index;
        int j = index;
        while (true) {
            j = (j + 1) & mask;
            final long key = keys[j];
            if (key == EMPTY) {
                break;
            }
            final int home = home(key);
            // An entry may fill the hole only if its home bucket is not within (hole, j].
            final boolean homeBetween = hole <= j ? (hole < home && home <= j) : (home > hole || home <= j);
            if (!homeBetween) {
                keys[hole] = key;
                slots[hole] = slots[j];
                lastSeenNanos[hole] = lastSeenNanos[j];
                hole = j;
            }
        }
        keys[hole] = EMPTY;
    }

    private int home(long mac) {
        final long h = mac * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

}
