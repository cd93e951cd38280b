package io.jvswitch.switching;

/**
 * The IPv6 addresses a bridge domain knows, with the MAC that owns each: its endpoints' and its
 * gateway's. Proxy-NDP answers from here ({@link NeighborProxy}), so neighbor solicitations for
 * known addresses never flood: the IPv6 counterpart of {@link AddressBook}, with the same rules
 * ({@link AddressOwners}).
 *
 * <p>Entries come from the control plane (attach, detach, the network's gateway, and the endpoints
 * other hosts have on a global network, from the cluster store: {@link #putRemote}) and, on an
 * overlay with static peers, from neighbor discovery arriving on a tunnel port ({@link #learn}:
 * an advertisement's target, a solicitation's source); never from what a container sends, so
 * nothing a container does can grow or poison it. A local entry always wins over a remote or
 * learned one of the same address; a learned entry belongs to the peer it came from until it
 * ages, and goes when its tunnel port is unplugged. Bounded by {@code limit}: a control-plane
 * addition beyond it is refused with an exception at attach time, which fails the attach; learning
 * a new address into a full table is refused and counted ({@link #learnRefused}) unless a sweep for
 * aged learned entries makes room first, at most once per aging time ({@link #fullSweeps}, {@link
 * AddressOwners}). Lookups are allocation-free open addressing over two {@code long}s per key;
 * removal and a sweep rebuild the table (a control-plane operation on at most a few thousand
 * entries; on the packet path, once per aging time).
 */
final class Ipv6AddressBook {
    private static final int NO_OWNER = Integer.MIN_VALUE;

    private final int limit;
    private final AddressOwners owners;
    private long[] highs;
    private long[] lows;
    private boolean[] used;
    private int mask;
    private int size;

    Ipv6AddressBook(int limit, long agingNanos) {
        this.limit = limit;
        this.owners = new AddressOwners(16, agingNanos);
        highs = new long[16];
        lows = new long[16];
        used = new boolean[16];
        mask = 15;
    }

    int size() {
        return size;
    }

    /** Learning refused: a claim on a local address or another peer's, or the table full. */
    long learnRefused() {
        return owners.learnRefused;
    }

    /** Sweeps of the full table for aged learned entries ({@link AddressOwners}: at most one per aging time). */
    long fullSweeps() {
        return owners.fullSweeps;
    }

    /** The MAC owning the address, or -1 if it is not known here. */
    long lookup(long high, long low) {
        final int i = indexOf(high, low);
        return i < 0 ? -1 : owners.mac(i);
    }

    /**
     * The MAC owning the address for proxy-NDP: as {@link #lookup(long, long)}, except that a learned
     * entry not heard of within the aging time answers nothing (the solicitation travels to the owner).
     */
    long lookup(long high, long low, long nowNanos) {
        final int i = indexOf(high, low);
        return i < 0 ? -1 : owners.answer(i, nowNanos);
    }

    /** The MAC of a local entry (an endpoint of this host, the gateway), or -1: a remote or learned one is not. */
    long localOwner(long high, long low) {
        final int i = indexOf(high, low);
        return i >= 0 && owners.isControlPlane(i) ? owners.mac(i) : -1;
    }

    /** Whether the address is another host's endpoint: programmed ({@link #putRemote}) or learned. */
    boolean isRemote(long high, long low) {
        final int i = indexOf(high, low);
        return i >= 0 && !owners.isControlPlane(i);
    }

    /** Adds or replaces a local entry (a remote or learned one of the address included). */
    void put(long high, long low, long mac) {
        if ((high | low) == 0) {
            throw new IllegalArgumentException(":: cannot be an endpoint address");
        }
        int i = indexOf(high, low);
        if (i < 0) {
            if (size >= limit) {
                throw new IllegalStateException("network IPv6 address table is full (" + limit + " entries)");
            }
            i = add(high, low);
        }
        owners.set(i, mac, AddressOwners.CONTROL_PLANE, 0, 0);
    }

    /**
     * Adds or replaces another host's endpoint (from the cluster store), so that proxy-NDP answers
     * for it here instead of the solicitation crossing the tunnel. Replaces a learned entry, never a
     * local one; false when there is one, when the address is {@code ::} or when the table is full.
     */
    boolean putRemote(long high, long low, long mac) {
        if ((high | low) == 0) {
            return false;
        }
        int i = indexOf(high, low);
        if (i >= 0 && owners.isControlPlane(i)) {
            return false;
        }
        if (i < 0) {
            if (size >= limit) {
                owners.learnRefused++;
                return false;
            }
            i = add(high, low);
        }
        owners.set(i, mac, AddressOwners.REMOTE, 0, 0);
        return true;
    }

    /**
     * Learns a remote endpoint's address from neighbor discovery that came in on tunnel port
     * {@code slot} from peer {@code origin}, on the packet path: no exception, no allocation unless
     * the table grows or, full, sweeps (at most once per aging time). The rules are {@link AddressBook#learn}'s: the control plane's and the
     * cluster's entries are never taken ({@link AddressOwners#REFUSED_LOCAL}), another peer's only
     * once aged ({@link AddressOwners#REFUSED_OTHER_PEER} before), a full table refuses ({@link
     * AddressOwners#REFUSED_FULL}); each refusal counted. With {@code apply} false nothing changes.
     *
     * @return {@link AddressOwners#LEARNED}, {@link AddressOwners#IGNORED} ({@code ::}, a multicast
     *     MAC, the same MAC a local entry has) or a refusal
     */
    int learn(long high, long low, long mac, int slot, int origin, long nowNanos, boolean apply) {
        if ((high | low) == 0 || !AddressOwners.learnable(mac)) {
            return AddressOwners.IGNORED;
        }
        final int i = indexOf(high, low);
        if (i >= 0) {
            return owners.relearn(i, mac, slot, origin, nowNanos, apply);
        }
        if (size >= limit && apply && owners.sweepDue(nowNanos)) {
            rebuild(highs.length, 0, 0, NO_OWNER, true, nowNanos); // a sweep: aged learned entries go
        }
        if (size >= limit && (apply || !sweepWouldFree(nowNanos))) {
            return owners.refuse(AddressOwners.REFUSED_FULL, apply);
        }
        if (apply) {
            owners.set(add(high, low), mac, slot, origin, nowNanos);
        }
        return AddressOwners.LEARNED;
    }

    /** For a trace of learning into the full book: {@link AddressBook}'s rule, over this table. */
    private boolean sweepWouldFree(long nowNanos) {
        if (!owners.sweepDue(nowNanos)) {
            return false;
        }
        for (int i = 0; i < used.length; i++) {
            if (used[i] && owners.agedLearned(i, nowNanos)) {
                return true;
            }
        }
        return false;
    }

    /** Removes a programmed remote entry; a local or learned one of the address stays. */
    boolean removeRemote(long high, long low) {
        final int i = indexOf(high, low);
        if (i < 0 || !owners.isRemote(i)) {
            return false;
        }
        rebuild(highs.length, high, low, NO_OWNER, false, 0);
        return true;
    }

    boolean remove(long high, long low) {
        if (indexOf(high, low) < 0) {
            return false;
        }
        rebuild(highs.length, high, low, NO_OWNER, false, 0);
        return true;
    }

    /** Forgets every address learned on tunnel port {@code slot} (it was unplugged). */
    void removeLearnedOn(int slot) {
        rebuild(highs.length, 0, 0, slot, false, 0);
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

    /** Adds a new key, growing the table to keep its load factor at most one half; returns its slot. */
    private int add(long high, long low) {
        if ((size + 1) * 2 > highs.length) {
            rebuild(highs.length * 2, 0, 0, NO_OWNER, false, 0);
        }
        size++;
        return place(high, low);
    }

    /**
     * Re-inserts into a table of {@code capacity} every entry but {@code (high, low)}'s ({@code ::}
     * keeps all), those of owner {@code owner}, and with {@code dropAged} learned entries past the
     * aging time.
     */
    private void rebuild(int capacity, long high, long low, int owner, boolean dropAged, long nowNanos) {
        final long[] oldHighs = highs;
        final long[] oldLows = lows;
        final boolean[] oldUsed = used;
        highs = new long[capacity];
        lows = new long[capacity];
        used = new boolean[capacity];
        mask = capacity - 1;
        owners.reallocate(capacity, dropAged, nowNanos);
        size = 0;
        for (int i = 0; i < oldUsed.length; i++) {
            if (oldUsed[i] && !(oldHighs[i] == high && oldLows[i] == low) && owners.keeps(i, owner)) {
                owners.move(i, place(oldHighs[i], oldLows[i]));
                size++;
            }
        }
        owners.endRehash();
    }

    private int place(long high, long low) {
        int i = home(high, low);
        while (used[i] && !(highs[i] == high && lows[i] == low)) {
            i = (i + 1) & mask;
        }
        used[i] = true;
        highs[i] = high;
        lows[i] = low;
        return i;
    }

    private int home(long high, long low) {
        final long h = (high * 0x9E3779B97F4A7C15L) ^ low * 0xC2B2AE3D27D4EB4FL;
        return (int) (h ^ (h >>> 29) ^ (h >>> 47)) & mask;
    }
}
