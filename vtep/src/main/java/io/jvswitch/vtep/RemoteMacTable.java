package io.jvswitch.vtep;

import io.jvswitch.switching.AgingMacTable;

/**
 * Inner MAC address to the underlay address of the VTEP behind it, learned from decapsulated
 * frames, for one network (an {@link AgingMacTable}). Entries age out like the switch's own MAC
 * table (same aging time), a slice of the table at a time.
 *
 * <p>Overflow policy: at most {@code limit} entries; a MAC that does not fit is not learned and the
 * refusal is counted; frames to it are replicated to every peer, so it stays reachable.
 *
 * <p>Single-threaded: owned by the dataplane thread (learned when the tunnel port's ring is drained).
 */
public final class RemoteMacTable extends AgingMacTable {
    /** Result of {@link #lookup}: no entry for this MAC. */
    public static final int MISSING = 0;

    private long refusedOtherPeer;

    public RemoteMacTable(int limit, long agingNanos) {
        super(limit, agingNanos);
    }

    /**
     * Records that {@code mac} sits behind {@code vtep}; multicast and zero MACs are not recorded.
     * A MAC heard from another peer within the aging time stays where it is: the frame claiming it
     * is refused (false), since a sender spoofing a peer's underlay address could otherwise move
     * any remote MAC to itself. Once the entry has aged, the MAC may move (a container that really
     * moved to another host is reachable again after the aging time at most).
     *
     * @return false when the frame claims a MAC another peer holds
     */
    public boolean learn(long mac, int vtep, long nowNanos) {
        if (mac == EMPTY || (mac & 0x0100_0000_0000L) != 0) {
            return true;
        }
        final int at = probe(mac);
        if (at >= 0) {
            if (valueAt(at) != vtep) {
                if (isFresh(at, nowNanos)) {
                    refusedOtherPeer++;
                    return false;
                }
                setValueAt(at, vtep);
                movedCount++;
            }
            touch(at, nowNanos);
            return true;
        }
        if (isFull()) {
            refusedTableFull++;
            return true;
        }
        insertAt(-at - 1, mac, vtep, nowNanos);
        return true;
    }

    /** Frames refused for claiming a MAC another peer holds. */
    public long refusedOtherPeer() {
        return refusedOtherPeer;
    }

    /** The VTEP address behind {@code mac}, or {@link #MISSING} (0.0.0.0 is never a peer). */
    public int lookup(long mac) {
        return valueOf(mac, MISSING);
    }

    /** Forgets every MAC behind {@code vtep} (the peer was removed). Returns how many. */
    public int removeVtep(int vtep) {
        return removeAllWith(vtep);
    }
}
