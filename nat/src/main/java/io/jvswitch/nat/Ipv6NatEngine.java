package io.jvswitch.nat;

import static io.jvswitch.nat.SlotNote.detailOf;
import static io.jvswitch.nat.SlotNote.done;
import static io.jvswitch.nat.SlotNote.kindOf;
import static io.jvswitch.nat.SlotNote.pending;
import static io.jvswitch.nat.SlotNote.verdictOf;

import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.Ipv6L4View;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.switching.service.ConnectionSlot;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.List;

/**
 * Stateful NAT for IPv6 in the switch's IPv6 router: masquerade of connections a network opens
 * beyond the host link (as Docker does for IPv6 since 27.0), DNAT of ports published on IPv6 host
 * addresses (with hairpin masquerade within one network), tracking of connections reaching a
 * masquerading network from the host link (so their answers are not taken for new connections),
 * and translation of the ICMPv6 errors about them. The {@link RoutingHook} the IPv6 router calls,
 * with the same model as {@link NatEngine}: destinations are rewritten before the route lookup,
 * sources after, each packet made to look like the inverse of the other direction's tuple.
 *
 * <p>The connections are IPv4's: the same {@link ConnectionTable} (a table of its own, bounded by
 * the same capacity, with the same overflow policy), {@link PortAllocator}, TCP states, timeouts,
 * per-endpoint limit and counters ({@link NatTally}, shared with IPv4's engine). A 128-bit address
 * does not fit the table's two-long tuples, so each address a connection uses gets a small id
 * ({@link Ipv6AddressIds}) that stands in the tuple where an IPv4 address goes; a separate table
 * rather than IPv4's keeps an id from ever matching an IPv4 address. Extension headers are not
 * followed: such packets pass untracked, as do IPv6 fragments.
 *
 * <p>Runs on the dataplane thread; allocates nothing per packet.
 */
public final class Ipv6NatEngine implements RoutingHook {
    /** Where the frames the router hands over hold their virtio-net header: before the Ethernet frame. */
    private static final int VIRTIO_HEADER = 0;

    // What beforeRouting leaves the packet's afterRouting (a SlotNote in the ConnectionSlot): the case,
    // with the connection's table reference as its detail.
    private static final int PENDING_NONE = SlotNote.NONE;
    private static final int PENDING_TRACKED = 1;
    private static final int PENDING_NEW = 2;
    private static final int PENDING_INBOUND = 3;
    private static final int PENDING_ICMP_ERROR = 4;
    private static final int PENDING_FRAGMENT = 5;
    private static final int PENDING_NEW_PUBLISHED = 6;

    private final NatContext ctx;
    private final NatTally tally;
    private final ConnectionTable table;
    private final Ipv6AddressIds ids;
    private final PortAllocator ports;
    private final EndpointConnections perEndpoint;
    private final int endpointLimit;
    private final Ipv6NatExplainer explainer;
    private volatile Ipv6NatPolicy policy = Ipv6NatPolicy.empty();

    /** Where the packet in hand was addressed before a published port's translation (classify to afterRouting). */
    private long cameToHigh;

    private long cameToLow;
    private int cameToPort;

    // The packet in hand, and the packet an ICMPv6 error quotes.
    private final Ipv6L4View packet = new Ipv6L4View();
    private final Ipv6L4View quoted = new Ipv6L4View();

    Ipv6NatEngine(NatContext ctx, NatTally tally) {
        this.ctx = ctx;
        this.tally = tally;
        // Every connection has one endpoint (its container; at most maxEndpoints of them) and one
        // other address (the peer), besides the masquerade address and the host's addresses that
        // published ports are reached at: room for all at a full table, the host's few included.
        this.ids = new Ipv6AddressIds(ctx.tableCapacity() + Math.min(ctx.maxEndpoints(), ctx.tableCapacity()) + 256);
        this.perEndpoint = new EndpointConnections(ctx.maxEndpoints());
        this.endpointLimit = ctx.endpointLimit();
        this.table = new ConnectionTable(ctx.tableCapacity(), this::removed);
        this.ports = new PortAllocator(table, ctx.portRangeLow(), ctx.portRangeHigh());
        this.explainer = new Ipv6NatExplainer(table, ids);
    }

    void policy(Ipv6NatPolicy policy) {
        this.policy = policy;
    }

    Ipv6NatPolicy policy() {
        return policy;
    }

    @Override
    public int beforeRouting(
            int fromNetwork,
            MutableDirectBuffer buffer,
            int ipOffset,
            int ipLength,
            long nowNanos,
            ConnectionSlot slot) {
        table.expire(nowNanos, ctx.expirySlice());
        final long outcome = classify(fromNetwork, buffer, ipOffset, ipLength, nowNanos);
        slot.set(outcome >= 0 ? outcome : ConnectionSlot.EMPTY);
        if (outcome < 0) {
            return verdictOf(outcome);
        }
        final int kind = kindOf(outcome);
        return kind == PENDING_TRACKED || kind == PENDING_ICMP_ERROR || kind == PENDING_NEW_PUBLISHED
                ? ACCEPT_TRACKED
                : ACCEPT;
    }

    private long classify(int fromNetwork, MutableDirectBuffer buffer, int ipOffset, int ipLength, long nowNanos) {
        if (!packet.wrap(buffer, ipOffset, ipLength)) {
            return done(tally.drop(NatDrop.TRUNCATED));
        }
        final int protocol = packet.protocol();
        if (protocol == Ipv6Packet.NEXT_HEADER_FRAGMENT) {
            return pending(PENDING_FRAGMENT, 0);
        }
        if (protocol != Ipv6Packet.NEXT_HEADER_TCP
                && protocol != Ipv6Packet.NEXT_HEADER_UDP
                && protocol != Ipv6Packet.NEXT_HEADER_ICMPV6) {
            tally.count(NatCounter.UNTRACKED);
            return done(ACCEPT);
        }
        if (!packet.headerComplete()) {
            return done(tally.drop(NatDrop.TRUNCATED));
        }
        final boolean partial = packet.partialChecksum(VIRTIO_HEADER);
        if (protocol == Ipv6Packet.NEXT_HEADER_ICMPV6) {
            final int type = packet.icmpType();
            if (Ipv6L4View.isIcmpError(type)) {
                return icmpErrorBeforeRouting(fromNetwork, buffer, nowNanos);
            }
            if (type != Icmpv6Packet.TYPE_ECHO_REQUEST && type != Icmpv6Packet.TYPE_ECHO_REPLY) {
                tally.count(NatCounter.UNTRACKED);
                return done(ACCEPT);
            }
        }
        final int ref = find(
                protocol,
                fromNetwork,
                packet.sourceHigh(),
                packet.sourceLow(),
                packet.destinationHigh(),
                packet.destinationLow(),
                packet.sourcePort(),
                packet.destinationPort(),
                nowNanos);
        if (ref >= 0) {
            final int verdict =
                    ConnectionTracker.advance(table, ctx, tally, ref, protocol, packet.tcpFlags(), nowNanos);
            if (verdict != ACCEPT) {
                return done(verdict);
            }
            final int other = ConnectionTable.REPLY - (ref & 1);
            final int connection = ref >> 1;
            final int destination = ConnectionTable.sourceOf(table.tupleA(connection, other));
            Ipv6PacketRewriter.setDestination(buffer, packet, ids.high(destination), ids.low(destination), partial);
            Ipv6PacketRewriter.setDestinationPort(
                    buffer, packet, ConnectionTable.sourcePortOf(table.tupleB(connection, other)), partial);
            tally.count(NatCounter.TRANSLATED);
            return pending(PENDING_TRACKED, ref);
        }
        // A published port, reached from a network (hairpin) or from beyond the host: the container is
        // the destination.
        final Ipv6NatPolicy.PublishedPort rule = protocol == Ipv6Packet.NEXT_HEADER_ICMPV6
                ? null
                : policy.published(
                        protocol, packet.destinationHigh(), packet.destinationLow(), packet.destinationPort());
        if (rule != null) {
            final int flags = packet.tcpFlags();
            if (protocol == Ipv6Packet.NEXT_HEADER_TCP && !TcpStates.opensConnection(flags)) {
                return done(
                        tally.drop(TcpStates.validFlags(flags) ? NatDrop.TCP_NO_CONNECTION : NatDrop.TCP_BAD_FLAGS));
            }
            cameToHigh = packet.destinationHigh();
            cameToLow = packet.destinationLow();
            cameToPort = packet.destinationPort();
            Ipv6PacketRewriter.setDestination(buffer, packet, rule.containerHigh(), rule.containerLow(), partial);
            Ipv6PacketRewriter.setDestinationPort(buffer, packet, rule.containerPort(), partial);
            return pending(PENDING_NEW_PUBLISHED, 0);
        }
        return pending(fromNetwork == HOST_LINK ? PENDING_INBOUND : PENDING_NEW, 0);
    }

    /** The live connection of a tuple as a table reference, or -1; an expired one found is removed. */
    private int find(
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

    @Override
    public int afterRouting(
            int fromNetwork,
            int toNetwork,
            MutableDirectBuffer buffer,
            int ipOffset,
            int ipLength,
            long nowNanos,
            ConnectionSlot slot) {
        final long pending = slot.get();
        slot.clear();
        final int kind = kindOf(pending);
        if (kind == PENDING_NONE || !packet.wrap(buffer, ipOffset, ipLength)) {
            return ACCEPT;
        }
        final int ref = (int) detailOf(pending);
        final boolean partial = packet.partialChecksum(VIRTIO_HEADER);
        return switch (kind) {
            case PENDING_TRACKED -> {
                final long otherB = table.tupleB(ref >> 1, ConnectionTable.REPLY - (ref & 1));
                final int source = ConnectionTable.destinationOf(otherB);
                Ipv6PacketRewriter.setSource(buffer, packet, ids.high(source), ids.low(source), partial);
                Ipv6PacketRewriter.setSourcePort(buffer, packet, ConnectionTable.destinationPortOf(otherB), partial);
                yield ACCEPT;
            }
            case PENDING_NEW -> outbound(fromNetwork, toNetwork, buffer, partial, nowNanos);
            case PENDING_INBOUND -> inbound(toNetwork, buffer, partial, nowNanos);
            case PENDING_ICMP_ERROR -> {
                icmpErrorAfterRouting(buffer, ref);
                yield ACCEPT;
            }
            case PENDING_FRAGMENT -> fragment(fromNetwork, toNetwork);
            // Hairpin within one network: without a new source the server would answer its neighbour
            // directly, and the neighbour would drop the reply; the masquerade address is off the
            // subnet, so the answer comes back through the router.
            case PENDING_NEW_PUBLISHED ->
                open(
                        fromNetwork,
                        toNetwork,
                        toNetwork == fromNetwork && policy.hasMasqueradeAddress(),
                        true,
                        buffer,
                        partial,
                        nowNanos);
            default -> ACCEPT;
        };
    }

    /** Says what {@link #beforeRouting} and {@link #afterRouting} would do with the packet, changing nothing. */
    @Override
    public String explain(
            int fromNetwork, int toNetwork, DirectBuffer buffer, int ipOffset, int ipLength, long nowNanos) {
        return explainer.explain(policy, fromNetwork, toNetwork, buffer, ipOffset, ipLength, nowNanos);
    }

    /** A first packet from a network: masqueraded if it leaves by the host link for beyond the host. */
    private int outbound(int fromNetwork, int toNetwork, MutableDirectBuffer buffer, boolean partial, long nowNanos) {
        final Ipv6NatPolicy p = policy;
        if (toNetwork != HOST_LINK
                || !p.masquerades(fromNetwork)
                || p.isHostAddress(packet.destinationHigh(), packet.destinationLow())) {
            tally.count(NatCounter.UNTRACKED);
            return ACCEPT;
        }
        return open(fromNetwork, toNetwork, true, false, buffer, partial, nowNanos);
    }

    /**
     * A fragment carries no ports to masquerade it with (only the first has the L4 header, after the
     * fragment header), so one that would need it is dropped rather than sent with the container's
     * own address; the others pass as they are.
     */
    private int fragment(int fromNetwork, int toNetwork) {
        final Ipv6NatPolicy p = policy;
        if (toNetwork == HOST_LINK
                && fromNetwork != HOST_LINK
                && p.masquerades(fromNetwork)
                && !p.isHostAddress(packet.destinationHigh(), packet.destinationLow())) {
            return tally.drop(NatDrop.FRAGMENT);
        }
        tally.count(NatCounter.UNTRACKED);
        return ACCEPT;
    }

    /**
     * From the host link into a masquerading network: tracked untranslated, so the container's
     * answers are known as such and not masqueraded. Not from a host address (the gateway, say):
     * the answers go to the gateway, which the router hands to the host past this hook.
     */
    private int inbound(int toNetwork, MutableDirectBuffer buffer, boolean partial, long nowNanos) {
        final Ipv6NatPolicy p = policy;
        if (toNetwork == HOST_LINK
                || !p.masquerades(toNetwork)
                || !opens()
                || p.isHostAddress(packet.sourceHigh(), packet.sourceLow())) {
            tally.count(NatCounter.UNTRACKED);
            return ACCEPT;
        }
        return open(HOST_LINK, toNetwork, false, false, buffer, partial, nowNanos);
    }

    /** Whether the packet in hand may open a connection: a TCP SYN, any UDP datagram, an echo request. */
    private boolean opens() {
        return switch (packet.protocol()) {
            case Ipv6Packet.NEXT_HEADER_TCP ->
                TcpStates.validFlags(packet.tcpFlags()) && TcpStates.opensConnection(packet.tcpFlags());
            case Ipv6Packet.NEXT_HEADER_UDP -> true;
            default -> packet.icmpType() == Icmpv6Packet.TYPE_ECHO_REQUEST;
        };
    }

    /**
     * Opens the connection of the packet in hand, translating its source to the masquerade address
     * if asked. {@code published}: its destination was translated to a published port's container
     * before routing, from {@link #cameToHigh}, {@link #cameToLow}, {@link #cameToPort}.
     */
    private int open(
            int fromNetwork,
            int toNetwork,
            boolean masquerade,
            boolean published,
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
        final Ipv6NatPolicy p = policy;
        // One reference per address in each of the four places of the two tuples, given back by removed().
        final int client = ids.acquire(packet.sourceHigh(), packet.sourceLow());
        final int cameTo = published
                ? ids.acquire(cameToHigh, cameToLow)
                : ids.acquire(packet.destinationHigh(), packet.destinationLow());
        final int target = ids.acquire(packet.destinationHigh(), packet.destinationLow());
        final int replyTo = masquerade
                ? ids.acquire(p.masqueradeHigh(), p.masqueradeLow())
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

    // ---- ICMPv6 errors ----------------------------------------------------------------------------

    /**
     * An error quotes the packet that caused it, as it was then: translated. So the inverse of the
     * quote is looked up, and the error is translated as a packet of the opposite direction: the
     * outer destination and quoted source now, the quoted destination and outer source after routing.
     */
    private long icmpErrorBeforeRouting(int fromNetwork, MutableDirectBuffer buffer, long nowNanos) {
        final int quoteStart = packet.l4Offset() + Icmpv6Packet.HEADER_LENGTH;
        if (!quoted.wrapQuoted(buffer, quoteStart, packet.l4Offset() + packet.l4Length() - quoteStart)) {
            return done(unknownError(fromNetwork, NatDrop.ICMP_ERROR_MALFORMED));
        }
        final int protocol = quoted.protocol();
        if (protocol != Ipv6Packet.NEXT_HEADER_TCP
                && protocol != Ipv6Packet.NEXT_HEADER_UDP
                && protocol != Ipv6Packet.NEXT_HEADER_ICMPV6) {
            return done(unknownError(fromNetwork, NatDrop.ICMP_ERROR_UNKNOWN));
        }
        final long innerSourceHigh = quoted.sourceHigh();
        final long innerSourceLow = quoted.sourceLow();
        final int found = find(
                protocol,
                fromNetwork,
                quoted.destinationHigh(),
                quoted.destinationLow(),
                innerSourceHigh,
                innerSourceLow,
                quoted.destinationPort(),
                quoted.sourcePort(),
                nowNanos);
        if (found < 0) {
            return done(unknownError(fromNetwork, NatDrop.ICMP_ERROR_UNKNOWN));
        }
        if (!Ipv6PacketRewriter.icmpChecksumValid(buffer, packet)) {
            return done(tally.drop(NatDrop.ICMP_ERROR_MALFORMED));
        }
        final int connection = found >> 1;
        final int other = ConnectionTable.REPLY - (found & 1);
        final int newSource = ConnectionTable.sourceOf(table.tupleA(connection, other));
        if (packet.destinationHigh() == innerSourceHigh && packet.destinationLow() == innerSourceLow) {
            Ipv6PacketRewriter.setHeaderAddress(
                    buffer, packet.ipOffset() + Ipv6Packet.DESTINATION_OFFSET, ids.high(newSource), ids.low(newSource));
        }
        Ipv6PacketRewriter.setSource(buffer, quoted, ids.high(newSource), ids.low(newSource), false);
        Ipv6PacketRewriter.setSourcePort(
                buffer, quoted, ConnectionTable.sourcePortOf(table.tupleB(connection, other)), false);
        Ipv6PacketRewriter.recomputeIcmpChecksum(buffer, packet);
        tally.count(NatCounter.TRANSLATED);
        return pending(PENDING_ICMP_ERROR, found);
    }

    private void icmpErrorAfterRouting(MutableDirectBuffer buffer, int ref) {
        final int quoteStart = packet.l4Offset() + Icmpv6Packet.HEADER_LENGTH;
        if (!quoted.wrapQuoted(buffer, quoteStart, packet.l4Offset() + packet.l4Length() - quoteStart)) {
            return; // wrapped before routing, and routing changes no length: cannot happen
        }
        final long otherB = table.tupleB(ref >> 1, ConnectionTable.REPLY - (ref & 1));
        final int newDestination = ConnectionTable.destinationOf(otherB);
        if (packet.sourceHigh() == quoted.destinationHigh() && packet.sourceLow() == quoted.destinationLow()) {
            // The error came from the peer itself (port unreachable, say), not from a router on the way.
            Ipv6PacketRewriter.setHeaderAddress(
                    buffer,
                    packet.ipOffset() + Ipv6Packet.SOURCE_OFFSET,
                    ids.high(newDestination),
                    ids.low(newDestination));
        }
        Ipv6PacketRewriter.setDestination(buffer, quoted, ids.high(newDestination), ids.low(newDestination), false);
        Ipv6PacketRewriter.setDestinationPort(buffer, quoted, ConnectionTable.destinationPortOf(otherB), false);
        Ipv6PacketRewriter.recomputeIcmpChecksum(buffer, packet);
    }

    /** An error about no connection of ours: dropped if addressed to the masquerade address, else routed. */
    private int unknownError(int fromNetwork, NatDrop reason) {
        if (fromNetwork == HOST_LINK && policy.isMasqueradeAddress(packet.destinationHigh(), packet.destinationLow())) {
            return tally.drop(reason);
        }
        tally.count(NatCounter.UNTRACKED);
        return ACCEPT;
    }

    // ---- housekeeping and views ----------------------------------------------------------------------

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

    /** The table, for tests. */
    ConnectionTable table() {
        return table;
    }

    /** The address ids, for tests. */
    Ipv6AddressIds ids() {
        return ids;
    }
}
