package io.jvswitch.switching;

/**
 * MAC address to an int, with the time each entry was last seen, aged out a slice at a time: the
 * table behind a network's forwarding database ({@link MacTable}: MAC to port) and a tunnel's
 * remote MACs (MAC to the VTEP behind it). Subclasses decide what learning means and what else an
 * entry counts towards.
 *
 * <p>Open addressing with linear probing and backward-shift deletion, so lookups touch one or two
 * cache lines and no tombstones pile up under churn. The table is sized to at most half full, which
 * keeps probe sequences short and guarantees they end. It holds at most {@code limit} entries; a
 * subclass refuses (and counts) what does not fit.
 *
 * <p>Single-threaded: owned by the dataplane thread.
 */
public abstract class AgingMacTable {
    /** 00:00:00:00:00:00 marks an empty bucket: it is never learned. */
    protected static final long EMPTY = 0L;

    private final long[] keys;
    private final int[] values;
    private final long[] lastSeenNanos;
    private final int mask;
    private final int limit;
    private final long agingNanos;
    private int size;
    private int sweepCursor;

    protected long learnedCount;
    protected long movedCount;
    protected long agedCount;
    protected long refusedTableFull;

    protected AgingMacTable(int limit, long agingNanos) {
        if (limit < 1) {
            throw new IllegalArgumentException("MAC table limit must be positive");
        }
        final int capacity = Integer.highestOneBit(Math.max(limit * 2 - 1, 1)) << 1;
        this.keys = new long[capacity];
        this.values = new int[capacity];
        this.lastSeenNanos = new long[capacity];
        this.mask = capacity - 1;
        this.limit = limit;
        this.agingNanos = agingNanos;
    }

    public final int size() {
        return size;
    }

    public final int limit() {
        return limit;
    }

    public final long learnedCount() {
        return learnedCount;
    }

    public final long agedCount() {
        return agedCount;
    }

    public final long refusedTableFull() {
        return refusedTableFull;
    }

    protected final boolean isFull() {
        return size >= limit;
    }

    /** The value stored for {@code mac}, or {@code missing}. */
    protected final int valueOf(long mac, int missing) {
        if (mac == EMPTY) {
            return missing; // never learned: without this the probe would "find" the first empty bucket
        }
        int i = home(mac);
        while (true) {
            final long key = keys[i];
            if (key == mac) {
                return values[i];
            }
            if (key == EMPTY) {
                return missing;
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * Where {@code mac} is ({@code index >= 0}), or where it would go: {@code -(emptyBucket) - 1}.
     * {@code mac} must not be {@link #EMPTY}.
     */
    protected final int probe(long mac) {
        int i = home(mac);
        while (true) {
            final long key = keys[i];
            if (key == mac) {
                return i;
            }
            if (key == EMPTY) {
                return -i - 1;
            }
            i = (i + 1) & mask;
        }
    }

    protected final int valueAt(int index) {
        return values[index];
    }

    protected final void setValueAt(int index, int value) {
        values[index] = value;
    }

    protected final void touch(int index, long nowNanos) {
        lastSeenNanos[index] = nowNanos;
    }

    /** Stores a new entry in the empty bucket {@link #probe} named; the caller checked {@link #isFull}. */
    protected final void insertAt(int emptyBucket, long mac, int value, long nowNanos) {
        keys[emptyBucket] = mac;
        values[emptyBucket] = value;
        lastSeenNanos[emptyBucket] = nowNanos;
        size++;
        learnedCount++;
    }

    /** Called as an entry holding {@code value} leaves the table, before it goes. */
    protected void onRemoved(int value) {
    }

    public final boolean remove(long mac) {
        if (mac == EMPTY) {
            return false;
        }
        final int at = probe(mac);
        if (at < 0) {
            return false;
        }
        removeAt(at);
        return true;
    }

    /** Forgets every entry holding {@code value}. Control-path cost: the whole table. Returns how many. */
    protected final int removeAllWith(int value) {
        int removed = 0;
        int i = 0;
        while (i <= mask) {
            if (keys[i] != EMPTY && values[i] == value) {
                removeAt(i);
                removed++;
                // Backward shift may have moved another entry into bucket i: look at it again.
            } else {
                i++;
            }
        }
        return removed;
    }

    /**
     * Ages out entries not seen for the aging time, looking at no more than {@code budget} buckets,
     * so a large table is swept a little on every duty cycle instead of in one pause.
     */
    public final int expire(long nowNanos, int budget) {
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

    /** Visits every entry with its age. Control path. */
    public final void forEach(long nowNanos, EntryVisitor visitor) {
        for (int i = 0; i <= mask; i++) {
            if (keys[i] != EMPTY) {
                visitor.visit(keys[i], values[i], nowNanos - lastSeenNanos[i]);
            }
        }
    }

    @FunctionalInterface
    public interface EntryVisitor {
        void visit(long mac, int value, long ageNanos);
    }

    protected final void removeAt(int index) {
        onRemoved(values[index]);
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
                values[hole] = values[j];
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
