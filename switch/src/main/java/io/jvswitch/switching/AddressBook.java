package io.jvswitch.switching;

/**
 * The IPv4 addresses a bridge domain knows, with the MAC that owns each: its endpoints and its
 * gateway. Proxy-ARP answers from here, so ARP requests for known addresses never flood.
 *
 * <p>Entries come from the control plane (attach, detach) and, for remote endpoints, from ARP
 * arriving on a tunnel port ({@link io.jvswitch.switching.port.Port#learnsRemoteAddresses()}); never
 * from a container, so nothing a container sends can grow or poison this table. A learned entry
 * never replaces one the control plane put, and goes when its port is unplugged. A learned entry
 * remembers the peer it came from (the VTEP's underlay address) and when: only the same peer may
 * change it until it ages ({@code agingNanos} without being heard of again, the MAC tables' aging
 * time); an aged entry answers nothing and anyone may take it over. These rules are
 * {@link AddressOwners}', shared with the IPv6 book. Bounded by {@code limit}: the control plane's
 * additions beyond it are refused at attach time with an error; learning a new address into a full
 * table is refused and counted ({@link #learnRefused}) unless a sweep for aged learned entries makes
 * room first, and a sweep runs no more often than entries can age: at most once per aging time
 * ({@link #fullSweeps}, {@link AddressOwners}).
 *
 * <p>Lookups are allocation-free open addressing; removal and a sweep rebuild the table, which is
 * fine for a control-plane operation on a table of at most a few thousand entries, and for the
 * packet path once per aging time.
 */
final class AddressBook {
    private static final int EMPTY = 0; // 0.0.0.0 is never an endpoint address
    private static final int NO_OWNER = Integer.MIN_VALUE;

    private final int limit;
    private final AddressOwners owners;
    private int[] keys;
    private int mask;
    private int size;

    AddressBook(int limit, long agingNanos) {
        this.limit = limit;
        this.owners = new AddressOwners(16, agingNanos);
        keys = new int[16];
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

    /** The MAC owning {@code ip}, or -1 if the address is not known here. */
    long lookup(int ip) {
        final int i = indexOf(ip);
        return i < 0 ? -1 : owners.mac(i);
    }

    /**
     * The MAC owning {@code ip} for proxy-ARP: as {@link #lookup(int)}, except that a learned entry
     * not heard of within the aging time answers nothing (the request floods, the owner answers).
     */
    long lookup(int ip, long nowNanos) {
        final int i = indexOf(ip);
        return i < 0 ? -1 : owners.answer(i, nowNanos);
    }

    /** The MAC the control plane gave {@code ip}, or -1 (learned entries do not count). */
    long controlPlaneOwner(int ip) {
        final int i = indexOf(ip);
        return i >= 0 && owners.isControlPlane(i) ? owners.mac(i) : -1;
    }

    /** Adds or replaces an entry on behalf of the control plane. */
    void put(int ip, long mac) {
        if (ip == EMPTY) {
            throw new IllegalArgumentException("0.0.0.0 cannot be an endpoint address");
        }
        int i = indexOf(ip);
        if (i < 0) {
            if (size >= limit) {
                throw new IllegalStateException("network address table is full (" + limit + " entries)");
            }
            i = add(ip);
        }
        owners.set(i, mac, AddressOwners.CONTROL_PLANE, 0, 0);
    }

    /**
     * Learns a remote endpoint's address from an ARP that came in on tunnel port {@code slot} from
     * peer {@code origin}, on the packet path: no exception, no allocation unless the table grows or,
     * full, sweeps its aged entries (at most once per aging time; else a new address is refused). An
     * address the control plane owns is never taken ({@link AddressOwners#REFUSED_LOCAL}); one
     * learned from another peer only once it has aged ({@link AddressOwners#REFUSED_OTHER_PEER}
     * before). With {@code apply} false nothing changes: what learning would answer (a trace).
     *
     * @return {@link AddressOwners#LEARNED}, {@link AddressOwners#IGNORED} (no address, a multicast
     *     MAC) or a refusal
     */
    int learn(int ip, long mac, int slot, int origin, long nowNanos, boolean apply) {
        if (ip == EMPTY || !AddressOwners.learnable(mac)) {
            return AddressOwners.IGNORED;
        }
        final int i = indexOf(ip);
        if (i >= 0) {
            return owners.relearn(i, mac, slot, origin, nowNanos, apply);
        }
        if (size >= limit && apply && owners.sweepDue(nowNanos)) {
            rebuild(keys.length, EMPTY, NO_OWNER, true, nowNanos); // a sweep: aged learned entries go
        }
        if (size >= limit && (apply || !sweepWouldFree(nowNanos))) {
            return owners.refuse(AddressOwners.REFUSED_FULL, apply);
        }
        if (apply) {
            owners.set(add(ip), mac, slot, origin, nowNanos);
        }
        return AddressOwners.LEARNED;
    }

    /**
     * For a trace of learning into the full book: whether the sweep that learning would run now
     * frees a place. O(book), but only for a dry run (a trace), never for a frame that is applied;
     * the sweep's bound is checked first.
     */
    private boolean sweepWouldFree(long nowNanos) {
        if (!owners.sweepDue(nowNanos)) {
            return false;
        }
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != EMPTY && owners.agedLearned(i, nowNanos)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Programs a remote endpoint's address (from the cluster store): replaces a learned entry, never
     * a local endpoint's. Returns whether it was taken.
     */
    boolean putRemote(int ip, long mac) {
        if (ip == EMPTY) {
            return false;
        }
        int i = indexOf(ip);
        if (i >= 0 && owners.isControlPlane(i)) {
            return false;
        }
        if (i < 0) {
            if (size >= limit) {
                owners.learnRefused++;
                return false;
            }
            i = add(ip);
        }
        owners.set(i, mac, AddressOwners.REMOTE, 0, 0);
        return true;
    }

    /** Forgets a programmed remote address (and a learned one of that MAC); a local endpoint's stays. */
    boolean removeRemote(int ip, long mac) {
        final int i = indexOf(ip);
        if (i < 0 || owners.isControlPlane(i) || (!owners.isRemote(i) && owners.mac(i) != mac)) {
            return false;
        }
        rebuild(keys.length, ip, NO_OWNER, false, 0);
        return true;
    }

    boolean remove(int ip) {
        if (indexOf(ip) < 0) {
            return false;
        }
        rebuild(keys.length, ip, NO_OWNER, false, 0);
        return true;
    }

    /** Forgets every address learned on {@code slot}. */
    void removeLearnedOn(int slot) {
        rebuild(keys.length, EMPTY, slot, false, 0);
    }

    /**
     * Re-inserts every entry into a table of {@code capacity} but {@code ip}'s, those of owner
     * {@code owner}, and with {@code dropAged} learned entries past the aging time.
     */
    private void rebuild(int capacity, int ip, int owner, boolean dropAged, long nowNanos) {
        final int[] oldKeys = keys;
        keys = new int[capacity];
        mask = capacity - 1;
        owners.reallocate(capacity, dropAged, nowNanos);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY && oldKeys[i] != ip && owners.keeps(i, owner)) {
                owners.move(i, place(oldKeys[i]));
                size++;
            }
        }
        owners.endRehash();
    }

    private int indexOf(int ip) {
        if (ip == EMPTY) {
            return -1;
        }
        int i = home(ip);
        while (true) {
            final int key = keys[i];
            if (key == ip) {
                return i;
            }
            if (key == EMPTY) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    /** Adds a new key, growing the table to keep its load factor at most one half; returns its slot. */
    private int add(int ip) {
        if ((size + 1) * 2 > keys.length) {
            rebuild(keys.length * 2, EMPTY, NO_OWNER, false, 0);
        }
        size++;
        return place(ip);
    }

    private int place(int ip) {
        int i = home(ip);
        while (keys[i] != EMPTY && keys[i] != ip) {
            i = (i + 1) & mask;
        }
        keys[i] = ip;
        return i;
    }

    private int home(int ip) {
        final int h = ip * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
