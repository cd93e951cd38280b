package io.jvswitch.nat;

import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;

import io.jvswitch.packet.Ipv6Address;

import java.util.List;

/**
 * The IPv6 connections at rest: their table, the ids their 128-bit addresses go by in its tuples
 * ({@link Ipv6AddressIds}), and each endpoint's count. Finds a tuple's live connection, expires,
 * removes (giving back the ids and the endpoint's count) and lists them; opening is
 * {@link Ipv6ConnectionOpener}'s. Runs on the dataplane thread; finding allocates nothing.
 */
final class Ipv6Connections {
    private final NatTally tally;
    private final ConnectionTable table;
    private final Ipv6AddressIds ids;
    private final EndpointConnections perEndpoint;

    Ipv6Connections(NatContext ctx, NatTally tally) {
        this.tally = tally;
        // Every connection has one endpoint (its container; at most maxEndpoints of them) and one
        // other address (the peer), besides the masquerade address and the host's addresses that
        // published ports are reached at: room for all at a full table, the host's few included.
        this.ids = new Ipv6AddressIds(ctx.tableCapacity() + Math.min(ctx.maxEndpoints(), ctx.tableCapacity()) + 256);
        this.perEndpoint = new EndpointConnections(ctx.maxEndpoints());
        this.table = new ConnectionTable(ctx.tableCapacity(), this::removed);
    }

    ConnectionTable table() {
        return table;
    }

    Ipv6AddressIds ids() {
        return ids;
    }

    EndpointConnections perEndpoint() {
        return perEndpoint;
    }

    /** The live connection of a tuple as a table reference, or -1; an expired one found is removed. */
    int find(
            int protocol,
            int network,
            long sourceHigh,
            long sourceLow,
            long destinationHigh,
            long destinationLow,
            int sourcePort,
            int destinationPort,
            long nowNanos) {
        final int source = ids.find(sourceHigh, sourceLow);
        final int destination = source < 0 ? Ipv6AddressIds.NONE : ids.find(destinationHigh, destinationLow);
        if (destination < 0) {
            return -1; // an address no connection uses: no connection
        }
        final int ref = table.lookup(
                ConnectionTable.tupleA(protocol, network, source),
                ConnectionTable.tupleB(destination, sourcePort, destinationPort));
        if (ref >= 0 && table.isExpired(ref >> 1, nowNanos)) {
            table.remove(ref >> 1);
            tally.count(NatCounter.EXPIRED);
            return -1;
        }
        return ref;
    }

    /** A slice of expiry; {@link NatEngine#housekeeping} runs it with IPv4's, once per duty cycle. */
    int expire(long nowNanos, int budget) {
        final int removed = table.expire(nowNanos, budget);
        tally.add(NatCounter.EXPIRED, removed);
        return removed;
    }

    /** A connection leaves the table: its endpoint's count goes down, and the ids of its tuples' four addresses. */
    private void removed(long originalA, long originalB, long replyA, long replyB) {
        perEndpoint.remove(
                EndpointConnections.keyOf(ConnectionTable.networkOf(originalA) == HOST_LINK ? replyA : originalA));
        ids.release(ConnectionTable.sourceOf(originalA));
        ids.release(ConnectionTable.destinationOf(originalB));
        ids.release(ConnectionTable.sourceOf(replyA));
        ids.release(ConnectionTable.destinationOf(replyB));
    }

    /**
     * Removes every connection of an endpoint that is gone (detached): a full pass over the table,
     * for a rare control-plane event.
     *
     * @return the number removed
     */
    int removeEndpoint(int network, long high, long low) {
        final int id = ids.find(high, low);
        if (id < 0) {
            return 0;
        }
        final long owner = EndpointConnections.keyOf(ConnectionTable.tupleA(0, network, id));
        int removed = 0;
        for (int c = 0; c < table.capacity() && perEndpoint.count(owner) > 0; c++) {
            if (!table.inUse(c)) {
                continue;
            }
            final long originalA = table.tupleA(c, ConnectionTable.ORIGINAL);
            final long replyA = table.tupleA(c, ConnectionTable.REPLY);
            if (EndpointConnections.keyOf(ConnectionTable.networkOf(originalA) == HOST_LINK ? replyA : originalA)
                    == owner) {
                table.remove(c);
                removed++;
            }
        }
        return removed;
    }

    /** The live connections of {@code network} ({@link NatEngine#ALL_NETWORKS}: all), at most {@code limit}. */
    void connections(int network, long nowNanos, int limit, List<Connection> out) {
        for (int c = 0; c < table.capacity() && out.size() < limit; c++) {
            if (!table.inUse(c) || table.isExpired(c, nowNanos)) {
                continue;
            }
            if (network != NatEngine.ALL_NETWORKS
                    && ConnectionTable.networkOf(table.tupleA(c, ConnectionTable.ORIGINAL)) != network
                    && ConnectionTable.networkOf(table.tupleA(c, ConnectionTable.REPLY)) != network) {
                continue;
            }
            out.add(Connection.of(table, c, nowNanos, id -> Ipv6Address.format(ids.high(id), ids.low(id))));
        }
    }
}
