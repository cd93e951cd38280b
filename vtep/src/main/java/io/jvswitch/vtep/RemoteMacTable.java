package io.jvswitch.vtep;

/**
 * Inner MAC address to the underlay address of the VTEP behind it, learned from decapsulated
 * frames, for one network. Entries age out like the switch's own MAC table (same aging time),
 * a slice of the table at a time.
 *
 * <p>Open addressing with linear probing and backward-shift deletion, sized to at most half full.
 * Overflow policy: at most {@code limit} entries; a MAC that does not fit is not learned and the
 * refusal is counted; frames to it are replicated to every peer, so it stays reachable.
 *
 * <p>Single-threaded: owned by the dataplane thread (learned when the tunnel port's ring is drained).
 */
public final class RemoteMacTable {
    /** Result of {@link #lookup}: no entry for this MAC. */
    public static final int MISSING = 0;

    private static final long EMPTY = 0L; // the zero MAC is never learned

    private final long[] keys;
    private final int[] vteps;
    private final long[] lastSeenNanos;
    private final int mask;
    private final int limit;
    private final long agingNanos;
    private int size;
    private int sweepCursor;

    long learnedCount;
    long movedCount;
    long agedCount;
    long refusedTableFull;

    public RemoteMacTable(int limit, long agingNanos) {
        if (limit < 1) {
            throw new IllegalArgumentException("remote MAC table limit must be positive");
        }
        final int capacity = Integer.highestOneBit(Math.max(limit * 2 - 1, 1)) << 1;
        this.keys = new long[capacity];
        this.vteps = new int[capacity];
        this.lastSeenNanos = new long[capacity];
        this.mask = capacity - 1;
        this.limit = limit;
        this.agingNanos = agingNanos;
    }

    /** Records that {@code mac} sits behind {@code vtep}; refuses multicast and zero MACs. */
    public void learn(long mac, int vtep, long nowNanos) {
        if (mac == EMPTY || (mac & 0x0100_0000_0000L) != 0) {
            return;
        }
        int index = indexOf(mac);
        while (keys[index] != EMPTY) {
            if (keys[index] == mac) {
                if (vteps[index] != vtep) {
                    vteps[index] = vtep;
                    movedCount++;
                }
                lastSeenNanos[index] = nowNanos;
                return;
            }
            index = (index + 1) & mask;
        }
        if (size >= limit) {
            refusedTableFull++;
            return;
        }
        keys[index] = mac;
        vteps[index] = vtep;
        lastSeenNanos[index] = nowNanos;
        size++;
        learnedCount++;
    }

    /** The VTEP address behind {@code mac}, or {@link #MISSING} (0.0.0.0 is never a peer). */
    public int lookup(long mac) {
        if (mac == EMPTY) {
            return MISSING;
        }
        int index = indexOf(mac);
        while (keys[index] != EMPTY) {
            if (keys[index] == mac) {
                return vteps[index];
            }
            index = (index + 1) & mask;
        }
        return MISSING;
    }

    /** Forgets every MAC behind {@code vtep} (the peer was removed). Returns how many. */
    public int removeVtep(int vtep) {
        int removed = 0;
        int index = 0;
        while (index < keys.length) {
            if (keys[index] != EMPTY && vteps[index] == vtep) {
                deleteAt(index);
                removed++;
                // backward shift may have moved another entry into this bucket: look at it again
            } else {
                index++;
            }
        }
        return removed;
    }

    /** Removes entries not seen for the aging time, examining at most {@code budget} buckets. */
    public int expire(long nowNanos, int budget) {
        int expired = 0;
        for (int i = 0; i < budget && size > 0; i++) {
            final int index = sweepCursor;
            if (keys[index] != EMPTY && nowNanos - lastSeenNanos[index] >= agingNanos) {
                deleteAt(index);
                expired++;
                agedCount++;
            } else {
                sweepCursor = (sweepCursor + 1) & mask;
            }
        }
        return expired;
    }

    public int size() {
        return size;
    }

    public int limit() {
        return limit;
    }

    public long refusedTableFull() {
        return refusedTableFull;
    }

    public long learnedCount() {
        return learnedCount;
    }

    public long agedCount() {
        return agedCount;
    }

    /** Visits every entry: MAC, VTEP address, age in nanoseconds. For the control plane (jvs fdb). */
    public void forEach(long nowNanos, EntryVisitor visitor) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != EMPTY) {
                visitor.visit(keys[i], vteps[i], nowNanos - lastSeenNanos[i]);
            }
        }
    }

    @FunctionalInterface
    public interface EntryVisitor {
        void visit(long mac, int vtep, long ageNanos);
    }

    private int indexOf(long mac) {
        final long h = mac * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 40) & mask;
    }

    private void deleteAt(int index) {
        keys[index] = EMPTY;
        size--;
        int hole = index;
        int next = (index + 1) & mask;
        while (keys[next] != EMPTY) {
            final int home = indexOf(keys[next]);
            // move the entry back into the hole unless its home lies cyclically in (hole, next]
            final boolean stays = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
            if (!stays) {
                keys[hole] = keys[next];
                vteps[hole] = vteps[next];
                lastSeenNanos[hole] = lastSeenNanos[next];
                keys[next] = EMPTY;
                hole = next;
            }
            next = (next + 1) & mask;
        }
    }
}
