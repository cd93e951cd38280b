package io.jvswitch.nat;

import static io.jvswitch.switching.service.RoutingHook.ACCEPT;
import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;

import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.Ipv6L4View;
import io.jvswitch.packet.Ipv6Packet;
import org.agrona.MutableDirectBuffer;

/**
 * Opens IPv6 connections: checks that the packet in hand may open one and that there is room (in
 * the table, the address ids, the endpoint's share, the ports), inserts its two tuples, and
 * masquerades the packet if asked. Reads the packet through the engine's view of it, given once
 * at construction; runs on the dataplane thread and allocates nothing.
 */
final class Ipv6ConnectionOpener {
    private final NatContext ctx;
    private final NatTally tally;
    private final ConnectionTable table;
    private final Ipv6AddressIds ids;
    private final EndpointConnections perEndpoint;
    private final int endpointLimit;
    private final PortAllocator ports;

    /** The packet in hand, shared with the engine. */
    private final Ipv6L4View packet;

    /** Where the packet in hand was addressed before a published port's translation (classify to afterRouting). */
    private long cameToHigh;

    private long cameToLow;
    private int cameToPort;

    Ipv6ConnectionOpener(NatContext ctx, NatTally tally, Ipv6Connections connections, Ipv6L4View packet) {
        this.ctx = ctx;
        this.tally = tally;
        this.table = connections.table();
        this.ids = connections.ids();
        this.perEndpoint = connections.perEndpoint();
        this.endpointLimit = ctx.endpointLimit();
        this.ports = new PortAllocator(table, ctx.portRangeLow(), ctx.portRangeHigh());
        this.packet = packet;
    }

    /** Notes where the packet in hand was addressed before its destination became a published port's container. */
    void cameTo(long high, long low, int port) {
        cameToHigh = high;
        cameToLow = low;
        cameToPort = port;
    }

    /**
     * Opens the connection of the packet in hand, translating its source to the masquerade address
     * if asked. {@code published}: its destination was translated to a published port's container
     * before routing, from where {@link #cameTo} noted.
     */
    int open(
            int fromNetwork,
            int toNetwork,
            boolean masquerade,
            boolean published,
            Ipv6NatPolicy policy,
            MutableDirectBuffer buffer,
            boolean partial,
            long nowNanos) {
        final int protocol = packet.protocol();
        int verdict = ConnectionTracker.mayOpen(
                tally,
                protocol,
                packet.tcpFlags(),
                protocol == Ipv6Packet.NEXT_HEADER_ICMPV6,
                packet.icmpType(),
                Icmpv6Packet.TYPE_ECHO_REQUEST);
        if (verdict == ACCEPT) {
            verdict = ConnectionTracker.makeRoom(table, tally, nowNanos);
        }
        if (verdict != ACCEPT) {
            return verdict;
        }
        // One reference per address in each of the four places of the two tuples, given back when the
        // connection leaves the table (Ipv6Connections).
        final int client = ids.acquire(packet.sourceHigh(), packet.sourceLow());
        final int cameTo = published
                ? ids.acquire(cameToHigh, cameToLow)
                : ids.acquire(packet.destinationHigh(), packet.destinationLow());
        final int target = ids.acquire(packet.destinationHigh(), packet.destinationLow());
        final int replyTo = masquerade
                ? ids.acquire(policy.masqueradeHigh(), policy.masqueradeLow())
                : ids.acquire(packet.sourceHigh(), packet.sourceLow());
        if (client < 0 || cameTo < 0 || target < 0 || replyTo < 0) {
            verdict = tally.drop(NatDrop.TABLE_FULL);
        } else {
            verdict = insert(
                    fromNetwork,
                    toNetwork,
                    masquerade,
                    published,
                    client,
                    cameTo,
                    target,
                    replyTo,
                    buffer,
                    partial,
                    nowNanos);
        }
        if (verdict != ACCEPT) {
            ids.release(client);
            ids.release(cameTo);
            ids.release(target);
            ids.release(replyTo);
        }
        return verdict;
    }

    /** The connection's tuples, its place in the table, and the masquerade; the ids are held by the caller. */
    private int insert(
            int fromNetwork,
            int toNetwork,
            boolean masquerade,
            boolean published,
            int client,
            int cameTo,
            int target,
            int replyTo,
            MutableDirectBuffer buffer,
            boolean partial,
            long nowNanos) {
        final int protocol = packet.protocol();
        final long originalA = ConnectionTable.tupleA(protocol, fromNetwork, client);
        final long replyA = ConnectionTable.tupleA(protocol, toNetwork, target);
        final long owner = EndpointConnections.keyOf(fromNetwork == HOST_LINK ? replyA : originalA);
        final int admitted = ConnectionTracker.admits(perEndpoint, owner, endpointLimit, tally);
        if (admitted != ACCEPT) {
            return admitted;
        }
        final int sourcePort = packet.sourcePort();
        final int targetPort = packet.destinationPort();
        final int replyPort = masquerade
                ? ports.freePort(protocol, replyA, replyTo, targetPort, sourcePort)
                : ports.originalIfFree(protocol, replyA, replyTo, targetPort, sourcePort);
        if (replyPort < 0) {
            return tally.drop(NatDrop.PORTS_EXHAUSTED);
        }
        final long originalB = ConnectionTable.tupleB(cameTo, sourcePort, published ? cameToPort : targetPort);
        final long replyB = PortAllocator.replyTupleB(protocol, replyTo, targetPort, replyPort);
        final int status = (masquerade ? ConnectionTracker.SOURCE_NAT : 0)
                | (published ? ConnectionTracker.DESTINATION_NAT : 0)
                | (protocol == Ipv6Packet.NEXT_HEADER_TCP ? TcpStates.SYN_SENT : 0);
        final int connection = table.insert(
                originalA, originalB, replyA, replyB, status, nowNanos + ConnectionTracker.firstTimeout(ctx, protocol));
        perEndpoint.add(owner);
        table.countPacket(connection, ConnectionTable.ORIGINAL);
        tally.count(NatCounter.CREATED);
        if (masquerade || published) {
            tally.count(NatCounter.TRANSLATED);
        }
        if (masquerade) {
            Ipv6PacketRewriter.setSource(buffer, packet, ids.high(replyTo), ids.low(replyTo), partial);
            Ipv6PacketRewriter.setSourcePort(buffer, packet, replyPort, partial);
        }
        return ACCEPT;
    }
}
