package io.jvswitch.nat;

import org.agrona.UnsafeApi;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The connection tracker's table: a fixed number of connections, each with its original tuple
 * (as the first packet came in) and its reply tuple (what a reply looks like once translation is
 * applied), both indexed, so a packet in either direction finds its connection with one hash
 * lookup. Built on one block of memory off the heap ({@link TableMemory}: huge pages where the
 * kernel gives them): no object per connection, no boxing, nothing allocated after construction.
 *
 * <p>A tuple is two longs: {@code a} = protocol, network the packet arrives from, source address;
 * {@code b} = destination address, source port, destination port (see {@link #tupleA},
 * {@link #tupleB}). A connection is one 64-byte, cache-line-aligned line off the heap (both
 * tuples, deadline, state, packet counts), so a lookup touches one index slot and one line.
 *
 * <p>The index is open addressing with linear probing at a load of at most one half, deleting by
 * backward shift (no tombstones, so a long-running table never degrades). A slot holds the tuple
 * reference + 1 (0 is empty) and 7 bits of the hash, which settle most mismatches without
 * reading the connection's line.
 *
 * <p>{@link #lookupBatch} looks up many tuples at once for a receive batch: in a table larger than
 * the caches each lookup costs two dependent misses (index slot, then line), and one packet at a
 * time leaves the core waiting on each in turn. The batch loads every home slot first, then
 * follows them to the lines, so the misses of the whole batch are in flight together (Java has
 * no prefetch instruction, but independent loads issued close together overlap in an
 * out-of-order core). A packet's own lookup right after finds both in the cache.
 *
 * <p>Overflow policy: when every connection is in use, {@link #insert} refuses (the caller counts
 * it); existing connections are untouched. Expiry is incremental: {@link #expire} examines a
 * bounded number of connections from a rotating cursor.
 *
 * <p>Single-threaded: owned by the dataplane thread.
 */
public final class ConnectionTable {
    /** Largest capacity: references (connection * 2 + direction) + 1 must fit in 25 bits. */
    public static final int MAX_CAPACITY = 1 << 23;

    /** Tuples {@link #lookupBatch} handles in one pass; longer batches go in passes of this size. */
    public static final int BATCH = 64;

    public static final int ORIGINAL = 0;
    public static final int REPLY = 1;

    static final int LINE = 8;
    private static final int A = 0;
    private static final int B = 1;
    private static final int DEADLINE = 4;
    private static final int STATUS = 5;
    private static final int PACKETS_ORIGINAL = 6;
    private static final int PACKETS_REPLY = 7;

    private static final int REF_BITS = 25;
    private static final int REF_MASK = (1 << REF_BITS) - 1;

    /** Told of every connection that leaves the table (removed or expired), before its line is cleared. */
    @FunctionalInterface
    public interface RemovalListener {
        RemovalListener NONE = (originalA, originalB, replyA, replyB) -> {};

        void removed(long originalA, long originalB, long replyA, long replyB);
    }

    private final int capacity;
    private final RemovalListener onRemove;
    // The connections' lines, then the index's slots, in one block off the heap (TableMemory: in
    // huge pages where the kernel gives them, since every lookup lands at random in both). Off the
    // heap so that each line is exactly one cache line: a long[] starts 16 bytes past an
    // 8-byte-aligned header, so its "lines" straddle two cache lines each, and every lookup missed
    // twice. The segment is kept because the addresses below do not keep it alive.
    //
    // Words and slots are read and written at raw addresses, without a bounds check per access:
    // a slot's index is a hash masked to the slot count, and a line's index comes from a slot,
    // and slots only ever hold references this table made for connections below its capacity.
    // Without the checks the batched NAT benchmark (1 M connections) ran about a fifth faster in
    // a same-session A/B; assertions keep them in the tests. Connection ids that callers pass in
    // are still checked (lineOfConnection).
    private final MemorySegment memory;
    private final long linesAddress;
    private final long slotsAddress;
    private final int mask;
    private final int[] free;
    private int freeCount;
    private int size;
    private int cursor;
    // Scratch of lookupBatch's first stage: per tuple, its hash and the home slot as loaded.
    private final int[] batchHashes = new int[BATCH];
    private final int[] batchSlots = new int[BATCH];
    // What lookupBatch's line stage read, kept so the JIT cannot drop those loads.
    private long sink;
    private long version;

    public ConnectionTable(int capacity) {
        this(capacity, RemovalListener.NONE);
    }

    public ConnectionTable(int capacity, RemovalListener onRemove) {
        this.onRemove = Objects.requireNonNull(onRemove);
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be 1.." + MAX_CAPACITY + ", not " + capacity);
        }
        this.capacity = capacity;
        final int slotCount = Math.max(16, Integer.highestOneBit(capacity * 4 - 1) << 1);
        final long lineBytes = (long) capacity * LINE * Long.BYTES;
        this.memory = TableMemory.allocate(lineBytes + (long) slotCount * Integer.BYTES);
        this.linesAddress = memory.address();
        this.slotsAddress = memory.address() + lineBytes;
        this.mask = slotCount - 1;
        this.free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i;
        }
        this.freeCount = capacity;
    }

    /** First word of a tuple: protocol, the network the packet comes from (or the host link), source. */
    public static long tupleA(int protocol, int network, int source) {
        final long key = ((long) (protocol & 0xFF) << 24) | (network & 0xFF_FFFF);
        return (key << 32) | (source & 0xFFFF_FFFFL);
    }

    /** Second word of a tuple: destination, source port (or ICMP id), destination port (or ICMP id). */
    public static long tupleB(int destination, int sourcePort, int destinationPort) {
        return ((long) destination << 32) | ((sourcePort & 0xFFFFL) << 16) | (destinationPort & 0xFFFFL);
    }

    public static int protocolOf(long a) {
        return (int) (a >>> 56) & 0xFF;
    }

    /** @return the network of a tuple, sign-extended from 24 bits so the host link (-1) comes back as -1. */
    public static int networkOf(long a) {
        return ((int) (a >>> 32) << 8) >> 8;
    }

    public static int sourceOf(long a) {
        return (int) a;
    }

    public static int destinationOf(long b) {
        return (int) (b >>> 32);
    }

    public static int sourcePortOf(long b) {
        return (int) (b >>> 16) & 0xFFFF;
    }

    public static int destinationPortOf(long b) {
        return (int) b & 0xFFFF;
    }

    /**
     * @return the reference ({@code connection << 1 | direction}) of the tuple, or -1
     */
    public int lookup(long a, long b) {
        final int hash = hash(a, b);
        return probe(hash, slot(hash & mask), a, b);
    }

    /**
     * {@link #lookup} of {@code count} tuples: {@code refs[i]} = {@code lookup(a[i], b[i])}. In
     * stages, so that the cache misses of the batch overlap: every home slot is loaded first
     * (independent loads), then each probe starts from its loaded slot and loads its line (again
     * one independent load per tuple as long as the tag predicts the match).
     *
     * @return the number of tuples found
     */
    public int lookupBatch(long[] a, long[] b, int count, int[] refs) {
        final int[] hashes = batchHashes;
        final int[] homes = batchSlots;
        final int mask = this.mask;
        int found = 0;
        for (int start = 0; start < count; start += BATCH) {
            final int n = Math.min(BATCH, count - start);
            // Each stage is a loop of a few instructions around one load, so that a whole batch of
            // independent misses fits in the core's reorder window at once; the hashing and the
            // probing's compares stay out of the loops that miss.
            for (int i = 0; i < n; i++) {
                hashes[i] = hash(a[start + i], b[start + i]);
            }
            for (int i = 0; i < n; i++) {
                homes[i] = slot(hashes[i] & mask);
            }
            // The line to load is that of the first slot of the probe run whose tag matches: at a load
            // of one half about a third of the tuples do not sit in their home slot, and loading the
            // home slot's line for those would leave their own to miss in the probe below.
            long touched = 0;
            for (int i = 0; i < n; i++) {
                final int tag = hashes[i] >>> REF_BITS;
                int index = hashes[i] & mask;
                int slot = homes[i];
                while (slot != 0 && (slot >>> REF_BITS) != tag) {
                    index = (index + 1) & mask;
                    slot = slot(index);
                }
                if (slot != 0) {
                    touched += word(lineOf((slot & REF_MASK) - 1));
                }
            }
            sink += touched;
            for (int i = 0; i < n; i++) {
                final int ref = probe(hashes[i], homes[i], a[start + i], b[start + i]);
                refs[start + i] = ref;
                if (ref >= 0) {
                    found++;
                }
            }
        }
        return found;
    }

    /** The index of the first word of a reference's tuple among the lines' words. */
    private static int lineOf(int ref) {
        return (ref >> 1) * LINE + ((ref & 1) << 1);
    }

    /**
     * Changes to the set of tuples (inserts and removals) so far: a lookup's answer stays true
     * while this is unchanged, which lets a batch's answers be used by the packets themselves.
     */
    public long version() {
        return version;
    }

    /** Linear probe from the home slot of {@code hash}, whose content {@code home} the caller loaded. */
    private int probe(int hash, int home, long a, long b) {
        final int tag = hash >>> REF_BITS;
        int index = hash & mask;
        int slot = home;
        while (true) {
            if (slot == 0) {
                return -1;
            }
            if ((slot >>> REF_BITS) == tag) {
                final int ref = (slot & REF_MASK) - 1;
                final int line = lineOf(ref);
                if (word(line + A) == a && word(line + B) == b) {
                    return ref;
                }
            }
            index = (index + 1) & mask;
            slot = slot(index);
        }
    }

    /**
     * Adds a connection. The caller makes sure neither tuple is present already.
     *
     * @return the connection's id, or -1 when the table is full (nothing changed)
     */
    public int insert(long originalA, long originalB, long replyA, long replyB, int status, long deadline) {
        if (freeCount == 0) {
            return -1;
        }
        final int connection = free[--freeCount];
        final int line = connection * LINE;
        word(line + A, originalA);
        word(line + B, originalB);
        word(line + 2 + A, replyA);
        word(line + 2 + B, replyB);
        word(line + DEADLINE, deadline);
        word(line + STATUS, status);
        word(line + PACKETS_ORIGINAL, 0);
        word(line + PACKETS_REPLY, 0);
        index(connection << 1, originalA, originalB);
        index((connection << 1) | 1, replyA, replyB);
        size++;
        version++;
        return connection;
    }

    /** Removes a connection (both of its tuples). */
    public void remove(int connection) {
        final int line = lineOfConnection(connection);
        if (word(line + A) == 0) {
            return;
        }
        unindex(connection << 1, word(line + A), word(line + B));
        unindex((connection << 1) | 1, word(line + 2 + A), word(line + 2 + B));
        onRemove.removed(word(line + A), word(line + B), word(line + 2 + A), word(line + 2 + B));
        for (int w = 0; w < LINE; w++) {
            word(line + w, 0);
        }
        free[freeCount++] = connection;
        size--;
        version++;
    }

    /**
     * Examines up to {@code budget} connection ids from a rotating cursor and removes those whose
     * deadline has passed.
     *
     * @return the number removed
     */
    public int expire(long nowNanos, int budget) {
        int removed = 0;
        final int examined = Math.min(budget, capacity);
        for (int i = 0; i < examined; i++) {
            final int connection = cursor;
            cursor = cursor + 1 == capacity ? 0 : cursor + 1;
            if (inUse(connection) && isExpired(connection, nowNanos)) {
                remove(connection);
                removed++;
            }
        }
        return removed;
    }

    public boolean inUse(int connection) {
        return word(lineOfConnection(connection) + A) != 0;
    }

    public boolean isExpired(int connection, long nowNanos) {
        return word(lineOfConnection(connection) + DEADLINE) - nowNanos <= 0;
    }

    public long tupleA(int connection, int direction) {
        return word(lineOfConnection(connection) + ((direction & 1) << 1) + A);
    }

    public long tupleB(int connection, int direction) {
        return word(lineOfConnection(connection) + ((direction & 1) << 1) + B);
    }

    public long deadline(int connection) {
        return word(lineOfConnection(connection) + DEADLINE);
    }

    public void deadline(int connection, long deadline) {
        word(lineOfConnection(connection) + DEADLINE, deadline);
    }

    public int status(int connection) {
        return (int) word(lineOfConnection(connection) + STATUS);
    }

    public void status(int connection, int status) {
        word(lineOfConnection(connection) + STATUS, status);
    }

    /** Counts a packet of the connection in a direction. */
    public void countPacket(int connection, int direction) {
        final int at = lineOfConnection(connection) + PACKETS_ORIGINAL + (direction & 1);
        word(at, word(at) + 1);
    }

    public long packets(int connection, int direction) {
        return word(lineOfConnection(connection) + PACKETS_ORIGINAL + (direction & 1));
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    public boolean isFull() {
        return freeCount == 0;
    }

    private void index(int ref, long a, long b) {
        final int hash = hash(a, b);
        int index = hash & mask;
        while (slot(index) != 0) {
            index = (index + 1) & mask;
        }
        slot(index, (hash & ~REF_MASK) | (ref + 1));
    }

    private void unindex(int ref, long a, long b) {
        int index = hash(a, b) & mask;
        while ((slot(index) & REF_MASK) != ref + 1) {
            if (slot(index) == 0) {
                return; // not indexed: nothing to do (cannot happen for a tuple inserted by this table)
            }
            index = (index + 1) & mask;
        }
        // Backward shift: pull later entries of the probe run into the hole when their home allows it.
        int hole = index;
        int next = (index + 1) & mask;
        while (slot(next) != 0) {
            final int moved = slot(next);
            final int line = lineOf((moved & REF_MASK) - 1);
            final int home = hash(word(line + A), word(line + B)) & mask;
            if (((next - home) & mask) >= ((next - hole) & mask)) {
                slot(hole, moved);
                hole = next;
            }
            next = (next + 1) & mask;
        }
        slot(hole, 0);
    }

    /** The memory address of a connection's line: for a test of the alignment. */
    long lineAddress(int connection) {
        return linesAddress + (long) connection * LINE * Long.BYTES;
    }

    /**
     * The first word of a connection's line. Connection ids come from callers, so unlike the
     * table's own indexes they are checked (one compare): a wrong one throws instead of reaching
     * memory past the table.
     */
    private int lineOfConnection(int connection) {
        return Objects.checkIndex(connection, capacity) * LINE;
    }

    /** Whether the table's memory came in huge-page-aligned mappings: for a test. */
    boolean inHugePageMapping() {
        return TableMemory.isHugePageAligned(memory);
    }

    private int slot(int index) {
        assert index >= 0 && index <= mask : "slot " + index;
        return UnsafeApi.getInt(null, slotsAddress + ((long) index << 2));
    }

    private void slot(int index, int value) {
        assert index >= 0 && index <= mask : "slot " + index;
        UnsafeApi.putInt(null, slotsAddress + ((long) index << 2), value);
    }

    private long word(int index) {
        assert index >= 0 && index < capacity * LINE : "word " + index;
        return UnsafeApi.getLong(null, linesAddress + ((long) index << 3));
    }

    private void word(int index, long value) {
        assert index >= 0 && index < capacity * LINE : "word " + index;
        UnsafeApi.putLong(null, linesAddress + ((long) index << 3), value);
    }

    static int hash(long a, long b) {
        long h = a * 0x9E37_79B9_7F4A_7C15L + b;
        h ^= h >>> 32;
        h *= 0xD6E8_FEB8_6659_FD93L;
        h ^= h >>> 29;
        return (int) h;
    }
}
