package io.jvswitch.switching;

/**
 * The IPv6 addresses a bridge domain knows, with the MAC that owns each: its endpoints' and its
 * gateway's. Proxy-NDP answers from here ({@link NeighborProxy}), so neighbor solicitations for
 * known addresses never flood: the IPv6 counterpart of {@link AddressBook}.
 *
 * <p>Entries come from the control plane only (attach, detach, the network's gateway, and the
 * endpoints other hosts have on a global network, from the cluster store: {@link #putRemote}),
 * never from what a container sends, so nothing a container does can grow or poison it. A local
 * entry always wins over a remote one of the same address. Bounded by
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
    /** The entry is another host's endpoint (programmed from the cluster store), not this host's. */
    private boolean[] remote;

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
        final int i = indexOf(high, low);
        return i < 0 ? -1 : macs[i];
    }

    /** The MAC of a local entry (an endpoint of this host, the gateway), or -1: a remote one is not. */
    long localOwner(long high, long low) {
        final int i = indexOf(high, low);
        return i < 0 || remote[i] ? -1 : macs[i];
    }

    /** Whether the address is another host's endpoint (see {@link #putRemote}). */
    boolean isRemote(long high, long low) {
        final int i = indexOf(high, low);
        return i >= 0 && remote[i];
    }

    /** Adds or replaces a local entry (a remote one of the address included). */
    void put(long high, long low, long mac) {
        if ((high | low) == 0) {
            throw new IllegalArgumentException(":: cannot be an endpoint address");
        }
        if (!makeRoom(high, low)) {
            throw new IllegalStateException("network IPv6 address table is full (" + limit + " entries)");
        }
        insert(high, low, mac, false);
    }

    /**
     * Adds or replaces another host's endpoint (from the cluster store), so that proxy-NDP answers
     * for it here instead of the solicitation crossing the tunnel. Never replaces a local entry;
     * false when there is one, when the address is {@code ::} or when the table is full.
     */
    boolean putRemote(long high, long low, long mac) {
        if ((high | low) == 0 || localOwner(high, low) >= 0 || !makeRoom(high, low)) {
            return false;
        }
        insert(high, low, mac, true);
        return true;
    }

    /** Removes a remote entry; a local one of the address stays. */
    boolean removeRemote(long high, long low) {
        return isRemote(high, low) && remove(high, low);
    }

    /** Counts a new key in, growing the table; false when the table holds {@code limit} already. */
    private boolean makeRoom(long high, long low) {
        if (lookup(high, low) >= 0) {
            return true;
        }
        if (size >= limit) {
            return false;
        }
        if ((size + 1) * 2 > highs.length) {
            rebuild(highs.length * 2, 0, 0);
        }
        size++;
        return true;
    }

    private int indexOf(long high, long low) {
        int i = home(high, low);
        while (used[i]) {
            if (highs[i] == high && lows[i] == low) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
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
        final boolean[] oldRemote = remote;
        allocate(capacity);
        size = 0;
        for (int i = 0; i < oldUsed.length; i++) {
            if (oldUsed[i] && !(oldHighs[i] == high && oldLows[i] == low)) {
                insert(oldHighs[i], oldLows[i], oldMacs[i], oldRemote[i]);
                size++;
            }
        }
    }

    private void insert(long high, long low, long mac, boolean fromCluster) {
        int i = home(high, low);
        while (used[i] && !(highs[i] == high && lows[i] == low)) {
            i = (i + 1) & mask;
        }
        used[i] = true;
        highs[i] = high;
        lows[i] = low;
        macs[i] = mac;
        remote[i] = fromCluster;
    }

    private void allocate(int capacity) {
        highs = new long[capacity];
        lows = new long[capacity];
        macs = new long[capacity];
        used = new boolean[capacity];
        remote = new boolean[capacity];
        mask = capacity - 1;
    }

    private int home(long high, long low) {
        final long h = (high * 0x9E3779B97F4A7C15L) ^ low * 0xC2B2AE3D27D4EB4FL;
        return (int) (h ^ (h >>> 29) ^ (h >>> 47)) & mask;
    }
}
