package io.jvswitch.nat;

import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.L4View;
import org.agrona.DirectBuffer;

/**
 * Looks up the connections of a receive batch together ({@link ConnectionTable#lookupBatch}), so
 * that their cache misses overlap, and answers each packet's own lookup from there while the
 * table has not changed since: the line is then in the cache and the packet skips its hash and
 * probe. Runs on the dataplane thread; allocates nothing.
 */
final class ConnectionPrefetcher {
    private final ConnectionTable table;
    private final NatTally tally;
    private final L4View packet = new L4View();

    // The tuples of one pass of a receive batch, and what the table found.
    private final long[] batchA = new long[ConnectionTable.BATCH];
    private final long[] batchB = new long[ConnectionTable.BATCH];
    private final int[] batchRefs = new int[ConnectionTable.BATCH];
    // The last pass's answers stay usable by the packets themselves while the table is unchanged.
    private int batchCount;
    private int batchNext;
    private long batchVersion;

    ConnectionPrefetcher(ConnectionTable table, NatTally tally) {
        this.table = table;
        this.tally = tally;
    }

    /**
     * Changes no connection, no verdict's counter and no pending state: only what the packets
     * would look up anyway is read. Packets this cannot take for a plain tracked packet
     * (fragments, ICMP errors, other protocols, malformed) are left out.
     */
    void prefetch(int fromNetwork, DirectBuffer[] buffers, int ipOffset, int[] ipLengths, int count) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (trackedTuple(fromNetwork, buffers[i], ipOffset, ipLengths[i], n)) {
                n++;
                if (n == ConnectionTable.BATCH) {
                    lookupBatch(n);
                    n = 0;
                }
            }
        }
        if (n > 0) {
            lookupBatch(n);
        }
    }

    /**
     * The connection of a tuple: what {@link #prefetch} found for it if the table has not changed
     * since (the answer is then still true), else a lookup. Packets come in the order prefetch saw
     * them, so the search starts after the last one answered; prefetch leaves out packets that
     * will not be looked up, so the next one usually matches at once.
     */
    int lookup(long a, long b) {
        if (batchVersion == table.version()) {
            for (int i = batchNext; i < batchCount; i++) {
                if (batchA[i] == a && batchB[i] == b) {
                    batchNext = i + 1;
                    tally.count(NatCounter.PREFETCH_USED);
                    return batchRefs[i];
                }
            }
        }
        return table.lookup(a, b);
    }

    private void lookupBatch(int n) {
        tally.add(NatCounter.PREFETCHED, n);
        tally.add(NatCounter.PREFETCH_FOUND, table.lookupBatch(batchA, batchB, n, batchRefs));
        batchCount = n;
        batchNext = 0;
        batchVersion = table.version();
    }

    /**
     * Reads the tuple beforeRouting would look up into {@code batchA/B[at]}, reading within
     * {@code ipLength} only; returns false for a packet beforeRouting would not look up as is.
     */
    private boolean trackedTuple(int fromNetwork, DirectBuffer buffer, int ipOffset, int ipLength, int at) {
        if (!packet.wrap(buffer, ipOffset, ipLength) || !packet.headerComplete() || packet.isFragment()) {
            return false;
        }
        final int protocol = packet.protocol();
        if (protocol == Ipv4Packet.PROTOCOL_ICMP) {
            final int type = packet.icmpType();
            if (type != IcmpPacket.TYPE_ECHO_REQUEST && type != IcmpPacket.TYPE_ECHO_REPLY) {
                return false;
            }
        } else if (protocol != Ipv4Packet.PROTOCOL_TCP && protocol != Ipv4Packet.PROTOCOL_UDP) {
            return false;
        }
        batchA[at] = ConnectionTable.tupleA(protocol, fromNetwork, packet.source());
        batchB[at] = ConnectionTable.tupleB(packet.destination(), packet.sourcePort(), packet.destinationPort());
        return true;
    }
}
