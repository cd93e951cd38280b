package io.jvswitch.nat;

import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.Ipv6Packet;

import java.util.function.IntFunction;

/**
 * One tracked connection as {@code jvs conntrack} shows it: both tuples, the state and the time
 * left before it expires.
 *
 * @param network the network (or -1, the host link) the first packet came from
 * @param replyNetwork the network (or -1, the host link) replies come from
 */
public record Connection(
        String protocol,
        int network,
        String source,
        int sourcePort,
        String destination,
        int destinationPort,
        int replyNetwork,
        String replySource,
        int replySourcePort,
        String replyDestination,
        int replyDestinationPort,
        String state,
        boolean seenReply,
        boolean sourceNat,
        boolean destinationNat,
        long secondsLeft,
        long packetsOriginal,
        long packetsReply) {

    static Connection of(ConnectionTable table, int c, long nowNanos) {
        return of(table, c, nowNanos, Ipv4Address::format);
    }

    /**
     * @param address the text of an address as the table holds it: an IPv4 address, or the id an
     *     IPv6 address has in {@link Ipv6AddressIds}
     */
    static Connection of(ConnectionTable table, int c, long nowNanos, IntFunction<String> address) {
        final long oa = table.tupleA(c, ConnectionTable.ORIGINAL);
        final long ob = table.tupleB(c, ConnectionTable.ORIGINAL);
        final long ra = table.tupleA(c, ConnectionTable.REPLY);
        final long rb = table.tupleB(c, ConnectionTable.REPLY);
        final int status = table.status(c);
        final int protocol = ConnectionTable.protocolOf(oa);
        final String state = switch (protocol) {
            case Ipv4Packet.PROTOCOL_TCP -> TcpStates.label(status & ConnectionTracker.STATE_MASK);
            case Ipv4Packet.PROTOCOL_UDP -> (status & ConnectionTracker.SEEN_REPLY) != 0 ? "assured" : "unreplied";
            default -> (status & ConnectionTracker.SEEN_REPLY) != 0 ? "replied" : "unreplied";
        };
        final long left = Math.max(0, (table.deadline(c) - nowNanos + 999_999_999L) / 1_000_000_000L);
        return new Connection(
                switch (protocol) {
                    case Ipv4Packet.PROTOCOL_TCP -> "tcp";
                    case Ipv4Packet.PROTOCOL_UDP -> "udp";
                    case Ipv6Packet.NEXT_HEADER_ICMPV6 -> "icmpv6";
                    default -> "icmp";
                },
                ConnectionTable.networkOf(oa),
                address.apply(ConnectionTable.sourceOf(oa)),
                ConnectionTable.sourcePortOf(ob),
                address.apply(ConnectionTable.destinationOf(ob)),
                ConnectionTable.destinationPortOf(ob),
                ConnectionTable.networkOf(ra),
                address.apply(ConnectionTable.sourceOf(ra)),
                ConnectionTable.sourcePortOf(rb),
                address.apply(ConnectionTable.destinationOf(rb)),
                ConnectionTable.destinationPortOf(rb),
                state,
                (status & ConnectionTracker.SEEN_REPLY) != 0,
                (status & ConnectionTracker.SOURCE_NAT) != 0,
                (status & ConnectionTracker.DESTINATION_NAT) != 0,
                left,
                table.packets(c, ConnectionTable.ORIGINAL),
                table.packets(c, ConnectionTable.REPLY));
    }
}
