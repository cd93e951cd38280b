package io.jvswitch.switching;

/**
 * The IPv4 addresses a bridge domain knows, with the MAC that owns each: its endpoints and its
 * gateway. Proxy-ARP answers from here, so ARP requests for known addresses never flood.
 *
 * <p>Entries come from the control plane (attach, detach) and, for remote endpoints, from ARP
 * arriving on a tunnel port ({@link io.jvswitch.switching.port.Port#learnsRemoteAddresses()}); never
 * from a container, so nothing a container sends can grow or poison this table. A learned entry
 * never replaces one the control plane put, and goes when its port is unplugged. Bounded by
 * {@code limit}: the control plane's additions beyond it are refused at attach time with an error;
 * learning beyond it is refused and counted ({@link #learnRefused}).
 *
 * <p>Lookups are allocation-free open addressing; removal rebuilds the table, which is fine for a
 * control-plane operation on a table of at most a few thousand entries.
 */
final class AddressBook {
    private static final int EMPTY = 0; // 0.0.0.0 is never an endpoint address

    private final int limit;
    private int[] keys;
    private long[] macs;
    /** The port an entry was learned on, or {@link #CONTROL_PLANE}. */
    private int[] owners;

    private int mask;
    static final int CONTROL_PLANE = -1;
    /** A remote endpoint the control plane programmed from the cluster store (not learned). */
    static final int REMOTE = -2;

    long learnRefused;
    private int size;

    AddressBook(int limit) {
        this.limit = limit;
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
        insert(ip, mac, CONTROL_PLANE);
    }

    /**
     * Learns a remote endpoint's address from an ARP that came in on tunnel port {@code slot}, on
     * the packet path: no exception, no allocation unless the table grows. Returns whether it was
     * taken; an address the control plane owns is never replaced.
     */
    boolean learn(int ip, long mac, int slot) {
        if (ip == EMPTY || (mac & 0x0100_0000_0000L) != 0) {
            return false; // no address, or a multicast MAC
        }
        final int i = indexOf(ip);
        if (i >= 0) {
            if (owners[i] < 0) { // the control plane's, local or remote: never replaced by learning
                learnRefused++;
                return false;
            }
            macs[i] = mac;
            owners[i] = slot;
            return true;
        }
        if (size >= limit) {
            learnRefused++;
            return false;
        }
        grow();
        size++;
        insert(ip, mac, slot);
        return true;
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
            return true;
        }
        if (size >= limit) {
            learnRefused++;
            return false;
        }
        grow();
        size++;
        insert(ip, mac, REMOTE);
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
        allocate(keys.length);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY && oldKeys[i] != ip && oldOwners[i] != owner) {
                insert(oldKeys[i], oldMacs[i], oldOwners[i]);
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
            allocate(keys.length * 2);
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != EMPTY) {
                    insert(oldKeys[i], oldMacs[i], oldOwners[i]);
                }
            }
        }
    }

    private void insert(int ip, long mac, int owner) {
        int i = home(ip);
        while (keys[i] != EMPTY && keys[i] != ip) {
            i = (i + 1) & mask;
        }
        keys[i] = ip;
        macs[i] = mac;
        owners[i] = owner;
    }

    private void allocate(int capacity) {
        keys = new int[capacity];
        macs = new long[capacity];
        owners = new int[capacity];
        mask = capacity - 1;
    }

    private int home(int ip) {
        final int h = ip * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
