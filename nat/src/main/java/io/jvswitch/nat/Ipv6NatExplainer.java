package io.jvswitch.nat;

import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.Ipv6L4View;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.DirectBuffer;

/**
 * As {@link NatExplainer} for IPv6: says in words what {@link Ipv6NatEngine} would do with a
 * packet, changing nothing (an expired connection found is left for the engine to remove). For
 * traces of synthetic packets, off the packet path: it allocates.
 */
final class Ipv6NatExplainer {
    private final ConnectionTable table;
    private final Ipv6AddressIds ids;
    private final Ipv6L4View packet = new Ipv6L4View();

    Ipv6NatExplainer(ConnectionTable table, Ipv6AddressIds ids) {
        this.table = table;
        this.ids = ids;
    }

    String explain(
            Ipv6NatPolicy policy,
            int fromNetwork,
            int toNetwork,
            DirectBuffer buffer,
            int ipOffset,
            int ipLength,
            long nowNanos) {
        if (!packet.wrap(buffer, ipOffset, ipLength)) {
            return NatExplainer.TOO_SHORT;
        }
        final int protocol = packet.protocol();
        final String name = switch (protocol) {
            case Ipv6Packet.NEXT_HEADER_TCP -> "tcp";
            case Ipv6Packet.NEXT_HEADER_UDP -> "udp";
            case Ipv6Packet.NEXT_HEADER_ICMPV6 -> "icmp6";
            default -> null;
        };
        if (name == null) {
            return "next header " + protocol + " is not tracked: passes untranslated";
        }
        if (!packet.headerComplete()) {
            return NatExplainer.TOO_SHORT;
        }
        if (protocol == Ipv6Packet.NEXT_HEADER_ICMPV6
                && packet.icmpType() != Icmpv6Packet.TYPE_ECHO_REQUEST
                && packet.icmpType() != Icmpv6Packet.TYPE_ECHO_REPLY) {
            return "ICMPv6 type " + packet.icmpType() + " is not tracked: passes untranslated";
        }
        final String flow = name + " " + endpoint(packet.sourceHigh(), packet.sourceLow(), packet.sourcePort()) + " -> "
                + endpoint(packet.destinationHigh(), packet.destinationLow(), packet.destinationPort());
        final int ref = lookup(protocol, fromNetwork);
        if (ref >= 0 && !table.isExpired(ref >> 1, nowNanos)) {
            return NatExplainer.tracked(table, name, ref, this::endpoint);
        }
        if (fromNetwork != RoutingHook.HOST_LINK && protocol != Ipv6Packet.NEXT_HEADER_ICMPV6) {
            final Ipv6NatPolicy.PublishedPort rule = policy.published(
                    protocol, packet.destinationHigh(), packet.destinationLow(), packet.destinationPort());
            if (rule != null) {
                return NatExplainer.toPublishedPort(
                        flow, endpoint(rule.containerHigh(), rule.containerLow(), rule.containerPort()));
            }
        }
        final boolean masquerades = toNetwork == RoutingHook.HOST_LINK
                && fromNetwork != RoutingHook.HOST_LINK
                && policy.masquerades(fromNetwork)
                && !policy.isHostAddress(packet.destinationHigh(), packet.destinationLow());
        return NatExplainer.untracked(
                flow,
                toNetwork,
                masquerades ? Ipv6Address.format(policy.masqueradeHigh(), policy.masqueradeLow()) : null);
    }

    /** An address of the table (by its id) and a port. */
    private String endpoint(int id, int port) {
        return endpoint(ids.high(id), ids.low(id), port);
    }

    /** The connection of the packet's tuple as a table reference, or -1; nothing is removed. */
    private int lookup(int protocol, int network) {
        final int source = ids.find(packet.sourceHigh(), packet.sourceLow());
        final int destination =
                source < 0 ? Ipv6AddressIds.NONE : ids.find(packet.destinationHigh(), packet.destinationLow());
        if (destination < 0) {
            return -1;
        }
        return table.lookup(
                ConnectionTable.tupleA(protocol, network, source),
                ConnectionTable.tupleB(destination, packet.sourcePort(), packet.destinationPort()));
    }

    private static String endpoint(long high, long low, int port) {
        return "[" + Ipv6Address.format(high, low) + "]:" + port;
    }
}
