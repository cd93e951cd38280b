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
 * time); an aged entry answers nothing and anyone may take it over. Bounded by
 * {@code limit}: the control plane's additions beyond it are refused at attach time with an error;
 * learning beyond it is refused and counted ({@link #learnRefused}).
 *
 * <p>Lookups are allocation-free open addressing; removal rebuilds the table, which is fine for a
 * control-plane operation on a table of at most a few thousand entries.
 */
final class AddressBook {
    static final int CONTROL_PLANE = -1;
    /** A remote endpoint the control plane programmed from the cluster store (not learned, never aged). */
    static final int REMOTE = -2;
    /** {@link #learn} results. */
    static final int LEARNED = 0;

    static final int REFUSED_LOCAL = 1;
    static final int REFUSED_OTHER_PEER = 2;
    static final int REFUSED_FULL = 3;
    static final int IGNORED = 4;
    private static final int EMPTY = 0; // 0.0.0.0 is never an endpoint address

    private final int limit;
    private final long agingNanos;
    private int[] keys;
    private long[] macs;
    /** The port an entry was learned on, or {@link #CONTROL_PLANE}. */
    private int[] owners;
    /** For a learned entry: the peer it came from, and when it was last heard of. */
    private int[] origins;

    private long[] heardAt;
    private int mask;
    long learnRefused;
    private int size;

    AddressBook(int limit, long agingNanos) {
        this.limit = limit;
        this.agingNanos = agingNanos;
        allocate(16);
    }

    int size() {
        return size;
    }

    /** The MAC owning {@code ip}, or -1 if the address is not known here. */
    long lookup(int ip) {
        if (ip == EMPTY) {
            return -1;
        }
        int i = home(ip);
        while (true) {
            final int key = keys[i];
            if (key == ip) {
                return macs[i];
            }
            if (key == EMPTY) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * The MAC owning {@code ip} for proxy-ARP: as {@link #lookup(int)}, except that a learned entry
     * not heard of within the aging time answers nothing (the request floods, the owner answers).
     */
    long lookup(int ip, long nowNanos) {
        if (ip == EMPTY) {
            return -1;
        }
        final int i = indexOf(ip);
        if (i < 0 || (owners[i] >= 0 && nowNanos - heardAt[i] > agingNanos)) { // only learned entries age
            return -1;
        }
        return macs[i];
    }

    /** The MAC the control plane gave {@code ip}, or -1 (learned entries do not count). */
    long controlPlaneOwner(int ip) {
        if (ip == EMPTY) {
            return -1;
        }
        final int i = indexOf(ip);
        return i >= 0 && owners[i] == CONTROL_PLANE ? macs[i] : -1;
    }

    /** Adds or replaces an entry on behalf of the control plane. */
    void put(int ip, long mac) {
        if (ip == EMPTY) {
            throw new IllegalArgumentException("0.0.0.0 cannot be an endpoint address");
        }
        if (lookup(ip) < 0) {
            if (size >= limit) {
                throw new IllegalStateException("network address table is full (" + limit + " entries)");
            }
            grow();
            size++;
        }
        insert(ip, mac, CONTROL_PLANE, 0, 0);
    }

    /**
     * Learns a remote endpoint's address from an ARP that came in on tunnel port {@code slot} from
     * peer {@code origin}, on the packet path: no exception, no allocation unless the table grows.
     * An address the control plane owns is never taken ({@link #REFUSED_LOCAL}); one learned from
     * another peer only once it has aged ({@link #REFUSED_OTHER_PEER} before). With {@code apply}
     * false nothing changes: what learning would answer (a trace).
     *
     * @return {@link #LEARNED}, {@link #IGNORED} (no address, a multicast MAC) or a refusal
     */
    int learn(int ip, long mac, int slot, int origin, long nowNanos, boolean apply) {
        if (ip == EMPTY || (mac & 0x0100_0000_0000L) != 0) {
            return IGNORED; // no address, or a multicast MAC
        }
        final int i = indexOf(ip);
        if (i >= 0) {
            if (owners[i] < 0) {
                // The control plane's, local or programmed from the cluster store: never replaced
                // by learning. The same MAC is no false claim: another host's router speaks for
                // the gateway address all hosts of an overlay share.
                return macs[i] == mac ? IGNORED : refuse(REFUSED_LOCAL, apply);
            }
            final boolean fresh = nowNanos - heardAt[i] <= agingNanos;
            if (fresh && (origins[i] != origin || owners[i] != slot)) {
                // Another peer repeating the same MAC says nothing false, but takes nothing over.
                return macs[i] == mac ? IGNORED : refuse(REFUSED_OTHER_PEER, apply);
            }
            if (apply) {
                macs[i] = mac;
                owners[i] = slot;
                origins[i] = origin;
                heardAt[i] = nowNanos;
            }
            return LEARNED;
        }
        if (size >= limit && apply) {
            dropAged(nowNanos);
        }
        if (size >= limit) {
            return refuse(REFUSED_FULL, apply);
        }
        if (apply) {
            grow();
            size++;
            insert(ip, mac, slot, origin, nowNanos);
        }
        return LEARNED;
    }

    private int refuse(int why, boolean apply) {
        if (apply) {
            learnRefused++;
        }
        return why;
    }

    /** Forgets learned entries past the aging time: when the table is full, so rarely. */
    private void dropAged(long nowNanos) {
        final int[] oldKeys = keys;
        final long[] oldMacs = macs;
        final int[] oldOwners = owners;
        final int[] oldOrigins = origins;
        final long[] oldHeard = heardAt;
        allocate(keys.length);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY && (oldOwners[i] < 0 || nowNanos - oldHeard[i] <= agingNanos)) {
                insert(oldKeys[i], oldMacs[i], oldOwners[i], oldOrigins[i], oldHeard[i]);
                size++;
            }
        }
    }

    /**
     * Programs a remote endpoint's address (from the cluster store): replaces a learned entry, never
     * a local endpoint's. Returns whether it was taken.
     */
    boolean putRemote(int ip, long mac) {
        if (ip == EMPTY) {
            return false;
        }
        final int i = indexOf(ip);
        if (i >= 0) {
            if (owners[i] == CONTROL_PLANE) {
                return false;
            }
            macs[i] = mac;
            owners[i] = REMOTE;
            origins[i] = 0;
            heardAt[i] = 0;
            return true;
        }
        if (size >= limit) {
            learnRefused++;
            return false;
        }
        grow();
        size++;
        insert(ip, mac, REMOTE, 0, 0);
        return true;
    }

    /** Forgets a programmed remote address (and a learned one of that MAC); a local endpoint's stays. */
    boolean removeRemote(int ip, long mac) {
        final int i = indexOf(ip);
        if (i < 0 || owners[i] == CONTROL_PLANE || (owners[i] != REMOTE && macs[i] != mac)) {
            return false;
        }
        rebuildWithout(ip, Integer.MIN_VALUE);
        return true;
    }

    boolean remove(int ip) {
        if (lookup(ip) < 0) {
            return false;
        }
        rebuildWithout(ip, Integer.MIN_VALUE);
        return true;
    }

    /** Forgets every address learned on {@code slot}. */
    void removeLearnedOn(int slot) {
        rebuildWithout(EMPTY, slot);
    }

    private void rebuildWithout(int ip, int owner) {
        final int[] oldKeys = keys;
        final long[] oldMacs = macs;
        final int[] oldOwners = owners;
        final int[] oldOrigins = origins;
        final long[] oldHeard = heardAt;
        allocate(keys.length);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY && oldKeys[i] != ip && oldOwners[i] != owner) {
                insert(oldKeys[i], oldMacs[i], oldOwners[i], oldOrigins[i], oldHeard[i]);
                size++;
            }
        }
    }

    private int indexOf(int ip) {
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

    /** Makes room for one more entry, keeping the load factor at most one half. */
    private void grow() {
        if ((size + 1) * 2 > keys.length) {
            final int[] oldKeys = keys;
            final long[] oldMacs = macs;
            final int[] oldOwners = owners;
            final int[] oldOrigins = origins;
            final long[] oldHeard = heardAt;
            allocate(keys.length * 2);
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != EMPTY) {
                    insert(oldKeys[i], oldMacs[i], oldOwners[i], oldOrigins[i], oldHeard[i]);
                }
            }
        }
    }

    private void insert(int ip, long mac, int owner, int origin, long heard) {
        int i = home(ip);
        while (keys[i] != EMPTY && keys[i] != ip) {
            i = (i + 1) & mask;
        }
        keys[i] = ip;
        macs[i] = mac;
        owners[i] = owner;
        origins[i] = origin;
        heardAt[i] = heard;
    }

    private void allocate(int capacity) {
        keys = new int[capacity];
        macs = new long[capacity];
        owners = new int[capacity];
        origins = new int[capacity];
        heardAt = new long[capacity];
        mask = capacity - 1;
    }

    private int home(int ip) {
        final int h = ip * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
