package io.jvswitch.nat;

import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.L4View;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.DirectBuffer;

/**
 * Says in words what the translator would do with a packet, changing nothing (no lookup
 * statistics, no drop counted): the tracked connection it belongs to and how that translates it,
 * else the connection it would open. For traces of synthetic packets, off the packet path: it
 * allocates.
 */
final class NatExplainer {
    /** Said of a packet whose L4 header is cut short, by either family's explainer. */
    static final String TOO_SHORT = "too short to track";

    private final ConnectionTable table;
    private final L4View packet = new L4View();

    NatExplainer(ConnectionTable table) {
        this.table = table;
    }

    String explain(
            NatPolicy policy,
            int fromNetwork,
            int toNetwork,
            DirectBuffer buffer,
            int ipOffset,
            int ipLength,
            long nowNanos) {
        if (!packet.wrap(buffer, ipOffset, ipLength)) {
            return TOO_SHORT;
        }
        final int protocol = packet.protocol();
        if (protocol != Ipv4Packet.PROTOCOL_TCP
                && protocol != Ipv4Packet.PROTOCOL_UDP
                && protocol != Ipv4Packet.PROTOCOL_ICMP) {
            return "protocol " + protocol + " is not tracked: passes untranslated";
        }
        if (!packet.headerComplete()) {
            return TOO_SHORT;
        }
        final int source = packet.source();
        final int destination = packet.destination();
        final int sourcePort = packet.sourcePort();
        final int destinationPort = packet.destinationPort();
        final String name =
                protocol == Ipv4Packet.PROTOCOL_TCP ? "tcp" : protocol == Ipv4Packet.PROTOCOL_UDP ? "udp" : "icmp";
        final int ref = table.lookup(
                ConnectionTable.tupleA(protocol, fromNetwork, source),
                ConnectionTable.tupleB(destination, sourcePort, destinationPort));
        if (ref >= 0 && !table.isExpired(ref >> 1, nowNanos)) {
            return tracked(table, name, ref, NatExplainer::endpoint);
        }
        final String flow = name + " " + endpoint(source, sourcePort) + " -> " + endpoint(destination, destinationPort);
        if (fromNetwork != RoutingHook.HOST_LINK && protocol != Ipv4Packet.PROTOCOL_ICMP) {
            final PublishedPorts.Rule rule = policy.published().find(protocol, destination, destinationPort, policy);
            if (rule != null) {
                return toPublishedPort(flow, endpoint(rule.containerIp(), rule.containerPort()));
            }
        }
        final boolean masquerades = toNetwork == RoutingHook.HOST_LINK
                && fromNetwork != RoutingHook.HOST_LINK
                && policy.masquerades(fromNetwork)
                && !policy.isHostAddress(destination);
        return untracked(flow, toNetwork, masquerades ? Ipv4Address.format(policy.masqueradeAddress()) : null);
    }

    /** A first packet to a published port: the connection it would open, to {@code container}. */
    static String toPublishedPort(String flow, String container) {
        return "no tracked connection: would open " + flow + " to the published port, destination translated to "
                + container;
    }

    /**
     * A packet of no tracked connection nor published port, as either family says it.
     *
     * @param toNetwork where it is routed ({@link RoutingHook#UNROUTED} before the route is known)
     * @param masqueradedAs the address it would be masqueraded as, or null if it would not be
     */
    static String untracked(String flow, int toNetwork, String masqueradedAs) {
        if (toNetwork == RoutingHook.UNROUTED) {
            return "no tracked connection for " + flow + " and no published port: destination unchanged";
        }
        if (masqueradedAs != null) {
            return "no tracked connection: would open " + flow + ", source masqueraded as " + masqueradedAs
                    + " with a free port";
        }
        return "no tracked connection for " + flow + ": none to open, passes untranslated";
    }

    /** How an explainer writes an address as the table holds it (IPv4 itself, or an IPv6 address's id) and a port. */
    @FunctionalInterface
    interface EndpointText {
        String of(int address, int port);
    }

    /** The tracked connection {@code ref}, and the packet as the translation leaves it: the other direction turned round. */
    static String tracked(ConnectionTable table, String name, int ref, EndpointText endpoint) {
        final int connection = ref >> 1;
        final int other = ConnectionTable.REPLY - (ref & 1);
        final long otherA = table.tupleA(connection, other);
        final long otherB = table.tupleB(connection, other);
        final long originalA = table.tupleA(connection, ConnectionTable.ORIGINAL);
        final long originalB = table.tupleB(connection, ConnectionTable.ORIGINAL);
        return "matches the tracked connection " + name + " "
                + endpoint.of(ConnectionTable.sourceOf(originalA), ConnectionTable.sourcePortOf(originalB)) + " -> "
                + endpoint.of(ConnectionTable.destinationOf(originalB), ConnectionTable.destinationPortOf(originalB))
                + " (" + ((ref & 1) == ConnectionTable.ORIGINAL ? "original" : "reply") + " direction): "
                + "translated to "
                + endpoint.of(ConnectionTable.destinationOf(otherB), ConnectionTable.destinationPortOf(otherB))
                + " -> " + endpoint.of(ConnectionTable.sourceOf(otherA), ConnectionTable.sourcePortOf(otherB));
    }

    private static String endpoint(int address, int port) {
        return Ipv4Address.format(address) + ":" + port;
    }
}
