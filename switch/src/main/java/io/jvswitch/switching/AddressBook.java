package io.jvswitch.switching;

/**
 * The IPv4 addresses a bridge domain knows, with the MAC that owns each: its endpoints and its
 * gateway. Proxy-ARP answers from here, so ARP requests for known addresses never flood.
 *
 * <p>Entries come only from the control plane (attach, detach), never from traffic, so nothing a
 * container sends can grow or poison this table. Bounded by {@code limit}; adding beyond it is
 * refused at attach time with an error, not on the packet path.
 *
 * <p>Lookups are allocation-free open addressing; removal rebuilds the table, which is fine for a
 * control-plane operation on a table of at most a few thousand entries.
 */
final class AddressBook {
    private static final int EMPTY = 0; // 0.0.0.0 is never an endpoint address

    private final int limit;
    private int[] keys;
    private long[] macs;
    private int mask;
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

    /** Adds or replaces an entry. */
    void put(int ip, long mac) {
        if (ip == EMPTY) {
            throw new IllegalArgumentException("0.0.0.0 cannot be an endpoint address");
        }
        if (lookup(ip) < 0) {
            if (size >= limit) {
                throw new IllegalStateException("network address table is full (" + limit + " entries)");
            }
            if ((size + 1) * 2 > keys.length) {
                final int[] oldKeys = keys;
                final long[] oldMacs = macs;
                allocate(keys.length * 2);
                for (int i = 0; i < oldKeys.length; i++) {
                    if (oldKeys[i] != EMPTY) {
                        insert(oldKeys[i], oldMacs[i]);
                    }
                }
            }
            insert(ip, mac);
            size++;
        } else {
            insert(ip, mac);
        }
    }

    boolean remove(int ip) {
        if (lookup(ip) < 0) {
            return false;
        }
        final int[] oldKeys = keys;
        final long[] oldMacs = macs;
        allocate(keys.length);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY && oldKeys[i] != ip) {
                insert(oldKeys[i], oldMacs[i]);
            }
        }
        size--;
        return true;
    }

    private void insert(int ip, long mac) {
        int i = home(ip);
        while (keys[i] != EMPTY && keys[i] != ip) {
            i = (i + 1) & mask;
        }
        keys[i] = ip;
        macs[i] = mac;
    }

    private void allocate(int capacity) {
        keys = new int[capacity];
        macs = new long[capacity];
        mask = capacity - 1;
    }

    private int home(int ip) {
        final int h = ip * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
