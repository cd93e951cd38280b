package io.jvswitch.nat;

import static io.jvswitch.nat.SlotNote.detailOf;
import static io.jvswitch.nat.SlotNote.done;
import static io.jvswitch.nat.SlotNote.kindOf;
import static io.jvswitch.nat.SlotNote.pending;

import io.jvswitch.packet.Icmpv6Packet;
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
 * <p>This class is the hook façade: it classifies the packet before routing and completes it after.
 * The connections at rest (table, address ids, expiry, removal, listing) are {@link Ipv6Connections};
 * opening one is {@link Ipv6ConnectionOpener}'s; the ICMPv6 errors are {@link Ipv6IcmpErrorTranslator}'s.
 *
 * <p>Runs on the dataplane thread; allocates nothing per packet.
 */
public final class Ipv6NatEngine implements RoutingHook {
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
    private final NatHookSteps steps;
    private final Ipv6Connections connections;
    private final ConnectionTable table;
    private final Ipv6AddressIds ids;
    private final Ipv6ConnectionOpener opener;
    private final Ipv6IcmpErrorTranslator icmpErrors;
    private final Ipv6NatExplainer explainer;
    private volatile Ipv6NatPolicy policy = Ipv6NatPolicy.empty();

    /** The packet in hand, read and rewritten here and, through the same view, by the opener and the ICMPv6 errors'. */
    private final Ipv6L4View packet = new Ipv6L4View();

    Ipv6NatEngine(NatContext ctx, NatTally tally) {
        this.ctx = ctx;
        this.tally = tally;
        this.steps = new NatHookSteps(tally, PENDING_TRACKED, PENDING_ICMP_ERROR, PENDING_NEW_PUBLISHED);
        this.connections = new Ipv6Connections(ctx, tally);
        this.table = connections.table();
        this.ids = connections.ids();
        this.opener = new Ipv6ConnectionOpener(ctx, tally, connections, packet);
        this.icmpErrors = new Ipv6IcmpErrorTranslator(connections, tally, packet);
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
        return steps.leave(classify(fromNetwork, buffer, ipOffset, ipLength, nowNanos), slot);
    }

    private long classify(int fromNetwork, MutableDirectBuffer buffer, int ipOffset, int ipLength, long nowNanos) {
        if (!packet.wrap(buffer, ipOffset, ipLength)) {
            return steps.truncated();
        }
        final int protocol = packet.protocol();
        if (protocol == Ipv6Packet.NEXT_HEADER_FRAGMENT) {
            return pending(PENDING_FRAGMENT, 0);
        }
        if (protocol != Ipv6Packet.NEXT_HEADER_TCP
                && protocol != Ipv6Packet.NEXT_HEADER_UDP
                && protocol != Ipv6Packet.NEXT_HEADER_ICMPV6) {
            return steps.untracked();
        }
        if (!packet.headerComplete()) {
            return steps.truncated();
        }
        final boolean partial = packet.partialChecksum(NatHookSteps.VIRTIO_HEADER);
        if (protocol == Ipv6Packet.NEXT_HEADER_ICMPV6) {
            final int type = packet.icmpType();
            if (Ipv6L4View.isIcmpError(type)) {
                final long found = icmpErrors.beforeRouting(fromNetwork, buffer, policy, nowNanos);
                return found < 0 ? found : pending(PENDING_ICMP_ERROR, found);
            }
            if (type != Icmpv6Packet.TYPE_ECHO_REQUEST && type != Icmpv6Packet.TYPE_ECHO_REPLY) {
                return steps.untracked();
            }
        }
        final int ref = connections.find(
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
            final long refused = steps.refuseUnopened(protocol == Ipv6Packet.NEXT_HEADER_TCP, packet.tcpFlags());
            if (refused < 0) {
                return refused;
            }
            opener.cameTo(packet.destinationHigh(), packet.destinationLow(), packet.destinationPort());
            Ipv6PacketRewriter.setDestination(buffer, packet, rule.containerHigh(), rule.containerLow(), partial);
            Ipv6PacketRewriter.setDestinationPort(buffer, packet, rule.containerPort(), partial);
            return pending(PENDING_NEW_PUBLISHED, 0);
        }
        return pending(fromNetwork == HOST_LINK ? PENDING_INBOUND : PENDING_NEW, 0);
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
        final long pending = NatHookSteps.take(slot);
        final int kind = kindOf(pending);
        if (kind == PENDING_NONE || !packet.wrap(buffer, ipOffset, ipLength)) {
            return ACCEPT;
        }
        final int ref = (int) detailOf(pending);
        final boolean partial = packet.partialChecksum(NatHookSteps.VIRTIO_HEADER);
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
                icmpErrors.afterRouting(buffer, ref);
                yield ACCEPT;
            }
            case PENDING_FRAGMENT -> fragment(fromNetwork, toNetwork);
            // Hairpin within one network: without a new source the server would answer its neighbour
            // directly, and the neighbour would drop the reply; the masquerade address is off the
            // subnet, so the answer comes back through the router.
            case PENDING_NEW_PUBLISHED ->
                opener.open(
                        fromNetwork,
                        toNetwork,
                        toNetwork == fromNetwork && policy.hasMasqueradeAddress(),
                        true,
                        policy,
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
            return steps.passUntracked();
        }
        return opener.open(fromNetwork, toNetwork, true, false, p, buffer, partial, nowNanos);
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
        return steps.passUntracked();
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
            return steps.passUntracked();
        }
        return opener.open(HOST_LINK, toNetwork, false, false, p, buffer, partial, nowNanos);
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

    /** A slice of expiry; {@link NatEngine#housekeeping} runs it with IPv4's, once per duty cycle. */
    int expire(long nowNanos, int budget) {
        return connections.expire(nowNanos, budget);
    }

    /**
     * Removes every connection of an endpoint that is gone (detached).
     *
     * @return the number removed
     */
    int removeEndpoint(int network, long high, long low) {
        return connections.removeEndpoint(network, high, low);
    }

    /** The live connections of {@code network} ({@link NatEngine#ALL_NETWORKS}: all), at most {@code limit}. */
    void connections(int network, long nowNanos, int limit, List<Connection> out) {
        connections.connections(network, nowNanos, limit, out);
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
