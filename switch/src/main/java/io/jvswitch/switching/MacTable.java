package io.jvswitch.switching;

/**
 * The forwarding database of one bridge domain: MAC address to port slot, with last-seen times
 * (an {@link AgingMacTable}).
 *
 * <p>Overflow policy: the table holds at most {@code limit} entries and each port at most
 * {@code perPortLimit}. A MAC that does not fit is not learned and the refusal is counted; frames
 * to it are flooded as unknown unicast, so connectivity is kept and only efficiency suffers. One
 * port flooding random source MACs fills its own quota, never the whole table.
 *
 * <p>Single-threaded: owned by the dataplane agent.
 */
final class MacTable extends AgingMacTable {
    static final int LEARNED = 0;
    static final int REFRESHED = 1;
    static final int MOVED = 2;
    static final int REFUSED_TABLE_FULL = 3;
    static final int REFUSED_PORT_LIMIT = 4;
    /** 00:00:00:00:00:00 is the empty-bucket marker; ingress drops such sources before learning. */
    static final int REFUSED_INVALID = 5;

    private final int perPortLimit;
    private final int[] entriesPerPort;

    long refusedPortLimit;

    MacTable(int limit, int perPortLimit, int maxPorts, long agingNanos) {
        super(limit, agingNanos);
        if (perPortLimit < 1) {
            throw new IllegalArgumentException("MAC table limits must be positive");
        }
        this.perPortLimit = perPortLimit;
        this.entriesPerPort = new int[maxPorts];
    }

    int entriesOn(int slot) {
        return entriesPerPort[slot];
    }

    /** The port slot the MAC was learned on, or -1. */
    int lookup(long mac) {
        return valueOf(mac, -1);
    }

    /** Learns or refreshes {@code mac} on {@code slot}; returns one of the result constants. */
    int learn(long mac, int slot, long nowNanos) {
        if (mac == EMPTY) {
            return REFUSED_INVALID;
        }
        final int at = probe(mac);
        if (at >= 0) {
            touch(at, nowNanos);
            final int previous = valueAt(at);
            if (previous == slot) {
                return REFRESHED;
            }
            if (entriesPerPort[slot] >= perPortLimit) {
                // The MAC moved to a port that is over quota: forget it rather than keep
                // sending its frames to the old port.
                removeAt(at);
                refusedPortLimit++;
                return REFUSED_PORT_LIMIT;
            }
            entriesPerPort[previous]--;
            entriesPerPort[slot]++;
            setValueAt(at, slot);
            movedCount++;
            return MOVED;
        }
        if (isFull()) {
            refusedTableFull++;
            return REFUSED_TABLE_FULL;
        }
        if (entriesPerPort[slot] >= perPortLimit) {
            refusedPortLimit++;
            return REFUSED_PORT_LIMIT;
        }
        insertAt(-at - 1, mac, slot, nowNanos);
        entriesPerPort[slot]++;
        return LEARNED;
    }

    /** Forgets every MAC learned on {@code slot} (port unplugged). Control-path cost: whole table. */
    void removePort(int slot) {
        if (entriesPerPort[slot] > 0) {
            removeAllWith(slot);
        }
    }

    @Override
    protected void onRemoved(int slot) {
        entriesPerPort[slot]--;
    }
}
