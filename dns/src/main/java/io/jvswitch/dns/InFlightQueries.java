package io.jvswitch.dns;

import io.netty.channel.Channel;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The UDP queries waiting for an upstream answer: a fixed number of slots, each found by the
 * random transaction id its query went upstream under, and held to a fair share per network and
 * per client ({@link FairShares}). Owned by the forwarder's event loop.
 */
final class InFlightQueries {
    private static final int IDS = 65_536;

    /** One query waiting for an upstream answer; a slot, reused. */
    static final class Pending {
        final int slot;
        int upstreamId = -1;
        Channel socket;
        int networkId;
        int clientIp;
        int clientPort;
        int clientId;
        int udpSize;
        int questionEnd;
        int outstanding;
        long retransmitAt;
        long deadline;
        byte[] query;
        List<InetSocketAddress> upstreams;
        DnsCache.Key key;
        byte[] fallback;

        Pending(int slot) {
            this.slot = slot;
        }

        boolean inUse() {
            return upstreamId >= 0;
        }
    }

    private final FairShares shares;
    // slotById maps the upstream transaction id to its slot
    private final int[] slotById = new int[IDS];
    private final Pending[] pending;
    private final int[] freeSlots;
    private int freeCount;

    InFlightQueries(int capacity, FairShares shares) {
        this.shares = shares;
        Arrays.fill(slotById, -1);
        this.pending = new Pending[capacity];
        this.freeSlots = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            pending[i] = new Pending(i);
            freeSlots[freeCount++] = capacity - 1 - i;
        }
    }

    boolean isFull() {
        return freeCount == 0;
    }

    /** Takes a unit of the asker's shares; {@link #add} must follow a grant. */
    FairShares.Verdict admit(int networkId, int clientIp) {
        return shares.take(networkId, clientIp);
    }

    /**
     * A free slot under a fresh random transaction id that no query in flight uses; the caller
     * fills in the rest. Only after {@link #admit} granted and while not {@link #isFull}.
     */
    Pending add() {
        final Pending p = pending[freeSlots[--freeCount]];
        int id;
        do {
            id = ThreadLocalRandom.current().nextInt(IDS);
        } while (slotById[id] >= 0);
        slotById[id] = p.slot;
        p.upstreamId = id;
        return p;
    }

    /** @return the query in flight under an upstream transaction id, or null */
    Pending byId(int upstreamId) {
        final int slot = slotById[upstreamId];
        return slot < 0 ? null : pending[slot];
    }

    Pending slot(int slot) {
        return pending[slot];
    }

    int capacity() {
        return pending.length;
    }

    int count() {
        return pending.length - freeCount;
    }

    /** Frees the slot and gives back the asker's share. */
    void release(Pending p) {
        slotById[p.upstreamId] = -1;
        shares.give(p.networkId, p.clientIp);
        p.upstreamId = -1;
        p.socket = null;
        p.query = null;
        p.upstreams = null;
        p.key = null;
        p.fallback = null;
        freeSlots[freeCount++] = p.slot;
    }
}
