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
    /** Buckets below which {@link #expireDue} waits for more to be due: a call per few buckets would cost more than them. */
    static final int MIN_SLICE = 16;

    private final long[] keys;
    private final int[] values;
    private final long[] lastSeenNanos;
    private final int mask;
    private final int limit;
    private final long agingNanos;
    private int size;
    private int sweepCursor;
    private final long sweepPeriodNanos;
    private final long nanosPerBucket;
    // The time up to which expireDue has done the sweeping due.
    private long sweptUpToNanos = Long.MIN_VALUE / 2;

    protected long learnedCount;
    protected long movedCount;
    protected long agedCount;
    protected long refusedTableFull;
    private long bucketsSwept;

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
        this.sweepPeriodNanos = Math.max(1, agingNanos / 4);
        this.nanosPerBucket = Math.max(1, sweepPeriodNanos / capacity);
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

    /** Whether the entry at {@code index} was seen within the aging time (it has not aged yet). */
    protected final boolean isFresh(int index, long nowNanos) {
        return nowNanos - lastSeenNanos[index] < agingNanos;
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
    protected void onRemoved(int value) {}

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
     * The aging slice a duty cycle owes: the buckets due since the last slice, at a pace that sweeps
     * the whole table once per {@link #sweepPeriodNanos} (a quarter of the aging time), swept
     * when at least {@link #MIN_SLICE} are due (or {@code maxBudget}, if smaller), at most
     * {@code maxBudget}. An entry goes at most a sweep period after its aging time, and the work
     * follows the clock, not the duty-cycle rate: a busy dataplane turning a million cycles a
     * second sweeps no more often than an idle one.
     *
     * @return the number removed
     */
    public final int expireDue(long nowNanos, int maxBudget) {
        if (nowNanos - sweptUpToNanos > sweepPeriodNanos) {
            sweptUpToNanos = nowNanos - sweepPeriodNanos; // after a long idle: one sweep is owed, not many
        }
        final long due = (nowNanos - sweptUpToNanos) / nanosPerBucket;
        if (due < Math.min(MIN_SLICE, maxBudget)) {
            return 0;
        }
        final int budget = (int) Math.min(due, maxBudget);
        sweptUpToNanos += budget * nanosPerBucket;
        return expire(nowNanos, budget);
    }

    /** Buckets aging has swept so far: for tests of its pace. */
    final long bucketsSwept() {
        return bucketsSwept;
    }

    /** The time in which {@link #expireDue} sweeps the whole table once. */
    public final long sweepPeriodNanos() {
        return sweepPeriodNanos;
    }

    /**
     * Sweeps {@code budget} buckets from a rotating cursor, removing the entries past their aging
     * time, so a large table is swept a little at a time instead of in one pause. A removal can shift a later entry into the bucket just looked at, which is looked at
     * again without counting towards the budget: the buckets swept are what the budget bounds, and
     * each removal adds one look (so a call's work is at most its budget plus what it removes).
     *
     * @return the number removed
     */
    public final int expire(long nowNanos, int budget) {
        int removed = 0;
        int swept = 0;
        while (swept < budget && size > 0) {
            final int i = sweepCursor;
            if (keys[i] != EMPTY && nowNanos - lastSeenNanos[i] >= agingNanos) {
                removeAt(i);
                agedCount++;
                removed++;
            } else {
                sweepCursor = (i + 1) & mask;
                swept++;
            }
        }
        bucketsSwept += swept;
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
