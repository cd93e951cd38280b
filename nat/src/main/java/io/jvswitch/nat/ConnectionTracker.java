package io.jvswitch.nat;

import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.L4View;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.MutableDirectBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * The connections: finds a packet's, advances it (TCP state, timeout, packet counts), translates
 * the packet by it, opens new ones under the table's and the endpoints' limits, and expires and
 * removes them. A packet is translated by making it look like the inverse of the other
 * direction's tuple (the kernel's model). Runs on the dataplane thread; allocates nothing per
 * packet.
 */
final class ConnectionTracker {
    static final int STATE_MASK = 0xFF;
    static final int SEEN_REPLY = 0x100;
    static final int DESTINATION_NAT = 0x200;
    static final int SOURCE_NAT = 0x400;

    /** Connections examined for expiry before a new one is refused for want of room. */
    private static final int FULL_TABLE_SWEEP = 1024;

    private final NatContext ctx;
    private final ConnectionTable table;
    private final EndpointConnections perEndpoint;
    private final int endpointLimit;
    private final PortAllocator ports;
    private final ConnectionPrefetcher prefetcher;
    private final NatTally tally;

    ConnectionTracker(NatContext ctx, NatTally tally) {
        this.ctx = ctx;
        this.tally = tally;
        this.perEndpoint = new EndpointConnections(ctx.maxEndpoints());
        this.endpointLimit = ctx.endpointLimit();
        this.table = new ConnectionTable(
                ctx.tableCapacity(),
                (originalA, originalB, replyA, replyB) -> perEndpoint.remove(ownerOf(originalA, replyA)));
        this.ports = new PortAllocator(table, ctx.portRangeLow(), ctx.portRangeHigh());
        this.prefetcher = new ConnectionPrefetcher(table, tally);
    }

    ConnectionTable table() {
        return table;
    }

    ConnectionPrefetcher prefetcher() {
        return prefetcher;
    }

    /** @return the live connection of a tuple as a reference (connection * 2 + direction), or -1 */
    int find(long a, long b, long nowNanos) {
        final int ref = prefetcher.lookup(a, b);
        if (ref >= 0 && table.isExpired(ref >> 1, nowNanos)) {
            table.remove(ref >> 1);
            tally.count(NatCounter.EXPIRED);
            return -1;
        }
        return ref;
    }

    /** Advances a tracked connection for one of its packets; returns ACCEPT or a drop verdict. */
    int track(int ref, L4View packet, long nowNanos) {
        return advance(table, ctx, tally, ref, packet.protocol(), packet.tcpFlags(), nowNanos);
    }

    /**
     * Advances a connection of {@code table} for one of its packets (TCP state, timeout, packet
     * count); returns ACCEPT or a drop verdict. Shared by both families: TCP and UDP have the same
     * protocol numbers in IPv4 and IPv6, and anything else (ICMP, ICMPv6) is timed as ICMP.
     */
    static int advance(
            ConnectionTable table, NatContext ctx, NatTally tally, int ref, int protocol, int tcpFlags, long nowNanos) {
        final int connection = ref >> 1;
        final boolean reply = (ref & 1) == ConnectionTable.REPLY;
        int status = table.status(connection);
        final long timeout;
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            if (!TcpStates.validFlags(tcpFlags)) {
                return tally.drop(NatDrop.TCP_BAD_FLAGS);
            }
            final int state = status & STATE_MASK;
            final int next = TcpStates.next(state, reply, tcpFlags);
            if (next == TcpStates.INVALID) {
                return tally.drop(NatDrop.TCP_INVALID_TRANSITION);
            }
            final int now = next == TcpStates.IGNORE ? state : next;
            status = (status & ~STATE_MASK) | now;
            timeout = ctx.tcpTimeoutNanos(now);
        } else if (protocol == Ipv4Packet.PROTOCOL_UDP) {
            timeout =
                    reply || (status & SEEN_REPLY) != 0 ? ctx.udpAssuredTimeoutNanos() : ctx.udpUnrepliedTimeoutNanos();
        } else {
            timeout = ctx.icmpTimeoutNanos();
        }
        if (reply) {
            status |= SEEN_REPLY;
        }
        table.status(connection, status);
        table.deadline(connection, nowNanos + timeout);
        table.countPacket(connection, ref & 1);
        return RoutingHook.ACCEPT;
    }

    /**
     * Whether a first packet may open a connection (a TCP SYN, a UDP datagram, an echo request): ACCEPT,
     * or the drop verdict, counted. Shared by both families.
     *
     * @param icmp whether the protocol is the family's ICMP, whose {@code icmpType} then counts
     * @param echoRequest the family's echo request type
     */
    static int mayOpen(NatTally tally, int protocol, int tcpFlags, boolean icmp, int icmpType, int echoRequest) {
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            if (!TcpStates.validFlags(tcpFlags)) {
                return tally.drop(NatDrop.TCP_BAD_FLAGS);
            }
            if (!TcpStates.opensConnection(tcpFlags)) {
                return tally.drop(NatDrop.TCP_NO_CONNECTION);
            }
        } else if (icmp && icmpType != echoRequest) {
            return tally.drop(NatDrop.NO_CONNECTION);
        }
        return RoutingHook.ACCEPT;
    }

    /**
     * Room in the table for one more connection: when full, a larger slice of it is examined for
     * expired ones first (the overflow policy: new connections are refused, existing ones kept).
     */
    static int makeRoom(ConnectionTable table, NatTally tally, long nowNanos) {
        if (table.isFull()) {
            tally.add(NatCounter.EXPIRED, table.expire(nowNanos, FULL_TABLE_SWEEP));
            if (table.isFull()) {
                return tally.drop(NatDrop.TABLE_FULL);
            }
        }
        return RoutingHook.ACCEPT;
    }

    /** Whether the endpoint may have one more connection: under its share of the table, and room in the map. */
    static int admits(EndpointConnections perEndpoint, long owner, int limit, NatTally tally) {
        if (perEndpoint.count(owner) >= limit) {
            return tally.drop(NatDrop.ENDPOINT_LIMIT);
        }
        if (!perEndpoint.canAdd(owner)) {
            return tally.drop(NatDrop.ENDPOINT_MAP_FULL);
        }
        return RoutingHook.ACCEPT;
    }

    /** The timeout of a new connection's first packet, and its first TCP state in {@code status}. */
    static long firstTimeout(NatContext ctx, int protocol) {
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            return ctx.tcpTimeoutNanos(TcpStates.SYN_SENT);
        }
        return protocol == Ipv4Packet.PROTOCOL_UDP ? ctx.udpUnrepliedTimeoutNanos() : ctx.icmpTimeoutNanos();
    }

    /** Before routing: the destination becomes the other direction's source. */
    void translateDestination(int ref, MutableDirectBuffer buffer, L4View packet, boolean partial) {
        final int connection = ref >> 1;
        final int other = ConnectionTable.REPLY - (ref & 1);
        PacketRewriter.setDestination(
                buffer, packet, ConnectionTable.sourceOf(table.tupleA(connection, other)), partial);
        PacketRewriter.setDestinationPort(
                buffer, packet, ConnectionTable.sourcePortOf(table.tupleB(connection, other)), partial);
    }

    /** After routing: the source becomes the other direction's destination. */
    void translateSource(int ref, MutableDirectBuffer buffer, L4View packet, boolean partial) {
        final long otherB = table.tupleB(ref >> 1, ConnectionTable.REPLY - (ref & 1));
        PacketRewriter.setSource(buffer, packet, ConnectionTable.destinationOf(otherB), partial);
        PacketRewriter.setSourcePort(buffer, packet, ConnectionTable.destinationPortOf(otherB), partial);
    }

    /** @return whether the packet may open a connection: a TCP SYN, any UDP datagram, an ICMP echo request */
    static boolean opens(L4View packet) {
        final int protocol = packet.protocol();
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            final int flags = packet.tcpFlags();
            return TcpStates.validFlags(flags) && TcpStates.opensConnection(flags);
        }
        return protocol == Ipv4Packet.PROTOCOL_UDP || packet.icmpType() == IcmpPacket.TYPE_ECHO_REQUEST;
    }

    /**
     * Creates the connection of a first packet that needs translation, and translates its source
     * to {@code sourceNat} if that is not 0.
     *
     * @param originalA the packet's tuple as it arrived (before any destination translation)
     * @param published whether the destination was translated to a published port's container
     * @return ACCEPT, or a drop verdict
     */
    int open(
            long originalA,
            long originalB,
            boolean published,
            int sourceNat,
            int fromNetwork,
            int toNetwork,
            MutableDirectBuffer buffer,
            L4View packet,
            boolean partial,
            long nowNanos) {
        final int protocol = packet.protocol();
        int verdict = mayOpen(
                tally,
                protocol,
                packet.tcpFlags(),
                protocol == Ipv4Packet.PROTOCOL_ICMP,
                packet.icmpType(),
                IcmpPacket.TYPE_ECHO_REQUEST);
        if (verdict != RoutingHook.ACCEPT) {
            return verdict;
        }
        final int destination = packet.destination();
        final long owner = fromNetwork == RoutingHook.HOST_LINK
                ? EndpointConnections.keyOf(ConnectionTable.tupleA(protocol, toNetwork, destination))
                : ownerOf(originalA, 0);
        verdict = makeRoom(table, tally, nowNanos);
        if (verdict == RoutingHook.ACCEPT) {
            verdict = admits(perEndpoint, owner, endpointLimit, tally);
        }
        if (verdict != RoutingHook.ACCEPT) {
            return verdict;
        }
        final int destinationPort = packet.destinationPort();
        final int originalSourcePort = ConnectionTable.sourcePortOf(originalB);
        final int replyDestination = sourceNat != 0 ? sourceNat : ConnectionTable.sourceOf(originalA);
        final long replyA = ConnectionTable.tupleA(protocol, toNetwork, destination);
        final int replyPort = sourceNat != 0
                ? ports.freePort(protocol, replyA, replyDestination, destinationPort, originalSourcePort)
                : ports.originalIfFree(protocol, replyA, replyDestination, destinationPort, originalSourcePort);
        if (replyPort < 0) {
            return tally.drop(NatDrop.PORTS_EXHAUSTED);
        }
        final long replyB = PortAllocator.replyTupleB(protocol, replyDestination, destinationPort, replyPort);
        int status = (published ? DESTINATION_NAT : 0) | (sourceNat != 0 ? SOURCE_NAT : 0);
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            status |= TcpStates.SYN_SENT;
        }
        final long timeout = firstTimeout(ctx, protocol);
        final int connection = table.insert(originalA, originalB, replyA, replyB, status, nowNanos + timeout);
        perEndpoint.add(owner);
        table.countPacket(connection, ConnectionTable.ORIGINAL);
        tally.count(NatCounter.CREATED);
        tally.count(NatCounter.TRANSLATED);
        if (sourceNat != 0) {
            PacketRewriter.setSource(buffer, packet, sourceNat, partial);
            PacketRewriter.setSourcePort(buffer, packet, replyPort, partial);
        }
        return RoutingHook.ACCEPT;
    }

    /** Examines a slice of the table for expired connections; for a periodic call when traffic is idle. */
    int expire(long nowNanos, int budget) {
        final int removed = table.expire(nowNanos, budget);
        tally.add(NatCounter.EXPIRED, removed);
        return removed;
    }

    /**
     * Expiry on the packet path: a small slice per packet, so a busy table frees room without
     * waiting for housekeeping. Its removals are not added to {@link NatCounter#EXPIRED}.
     */
    void expireSlice(long nowNanos) {
        table.expire(nowNanos, ctx.expirySlice());
    }

    /**
     * Removes every connection of an endpoint: a full pass over the table, for a rare
     * control-plane event.
     *
     * @return the number removed
     */
    int removeEndpoint(int network, int address) {
        final long owner = EndpointConnections.keyOf(ConnectionTable.tupleA(0, network, address));
        if (perEndpoint.count(owner) == 0) {
            return 0;
        }
        int removed = 0;
        for (int c = 0; c < table.capacity(); c++) {
            if (table.inUse(c)
                    && ownerOf(table.tupleA(c, ConnectionTable.ORIGINAL), table.tupleA(c, ConnectionTable.REPLY))
                            == owner) {
                table.remove(c);
                removed++;
            }
        }
        return removed;
    }

    int connectionsOf(int network, int address) {
        return perEndpoint.count(EndpointConnections.keyOf(ConnectionTable.tupleA(0, network, address)));
    }

    /** @return the live connections of {@code network} ({@link NatEngine#ALL_NETWORKS}: all), at most {@code limit} */
    List<Connection> connections(int network, long nowNanos, int limit) {
        final List<Connection> out = new ArrayList<>();
        for (int c = 0; c < table.capacity() && out.size() < limit; c++) {
            if (!table.inUse(c) || table.isExpired(c, nowNanos)) {
                continue;
            }
            final long oa = table.tupleA(c, ConnectionTable.ORIGINAL);
            final long ra = table.tupleA(c, ConnectionTable.REPLY);
            if (network != NatEngine.ALL_NETWORKS
                    && ConnectionTable.networkOf(oa) != network
                    && ConnectionTable.networkOf(ra) != network) {
                continue;
            }
            out.add(Connection.of(table, c, nowNanos));
        }
        return out;
    }

    /**
     * The endpoint a connection counts against: the container that opened it, or for one opened
     * from the host link (a published port, the host itself) the container it leads to.
     */
    private static long ownerOf(long originalA, long replyA) {
        return EndpointConnections.keyOf(
                ConnectionTable.networkOf(originalA) == RoutingHook.HOST_LINK ? replyA : originalA);
    }
}
