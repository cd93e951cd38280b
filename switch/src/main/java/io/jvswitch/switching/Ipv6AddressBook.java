package io.jvswitch.switching;

/**
 * The IPv6 addresses a bridge domain knows, with the MAC that owns each: its endpoints' and its
 * gateway's. Proxy-NDP answers from here ({@link NeighborProxy}), so neighbor solicitations for
 * known addresses never flood: the IPv6 counterpart of {@link AddressBook}.
 *
 * <p>Entries come from the control plane only (attach, detach, the network's gateway), never from
 * what a container sends, so nothing a container does can grow or poison it. Bounded by
 * {@code limit}: an addition beyond it is refused with an exception at attach time, which fails the
 * attach. Lookups are allocation-free open addressing over two {@code long}s per key; removal
 * rebuilds the table (a control-plane operation on at most a few thousand entries).
 */
final class Ipv6AddressBook {
    private final int limit;
    private long[] highs;
    private long[] lows;
    private long[] macs;
    private boolean[] used;
    private int mask;
    private int size;

    Ipv6AddressBook(int limit) {
        this.limit = limit;
        allocate(16);
    }

    int size() {
        return size;
    }

    /** The MAC owning the address, or -1 if it is not known here. */
    long lookup(long high, long low) {
        int i = home(high, low);
        while (used[i]) {
            if (highs[i] == high && lows[i] == low) {
                return macs[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Adds or replaces an entry. */
    void put(long high, long low, long mac) {
        if ((high | low) == 0) {
            throw new IllegalArgumentException(":: cannot be an endpoint address");
        }
        if (lookup(high, low) < 0) {
            if (size >= limit) {
                throw new IllegalStateException("network IPv6 address table is full (" + limit + " entries)");
            }
            if ((size + 1) * 2 > highs.length) {
                rebuild(highs.length * 2, 0, 0);
            }
            size++;
        }
        insert(high, low, mac);
    }

    boolean remove(long high, long low) {
        if (lookup(high, low) < 0) {
            return false;
        }
        rebuild(highs.length, high, low);
        return true;
    }

    /** Re-inserts every entry but {@code (high, low)} ({@code ::} keeps all) into a table of {@code capacity}. */
    private void rebuild(int capacity, long high, long low) {
        final long[] oldHighs = highs;
        final long[] oldLows = lows;
        final long[] oldMacs = macs;
        final boolean[] oldUsed = used;
        allocate(capacity);
        size = 0;
        for (int i = 0; i < oldUsed.length; i++) {
            if (oldUsed[i] && !(oldHighs[i] == high && oldLows[i] == low)) {
                insert(oldHighs[i], oldLows[i], oldMacs[i]);
                size++;
            }
        }
    }

    private void insert(long high, long low, long mac) {
        int i = home(high, low);
        while (used[i] && !(highs[i] == high && lows[i] == low)) {
            i = (i + 1) & mask;
        }
        used[i] = true;
        highs[i] = high;
        lows[i] = low;
        macs[i] = mac;
    }

    private void allocate(int capacity) {
        highs = new long[capacity];
        lows = new long[capacity];
        macs = new long[capacity];
        used = new boolean[capacity];
        mask = capacity - 1;
    }

    private int home(long high, long low) {
        final long h = (high * 0x9E3779B97F4A7C15L) ^ low * 0xC2B2AE3D27D4EB4FL;
        return (int) (h ^ (h >>> 29) ^ (h >>> 47)) & mask;
    }
}
