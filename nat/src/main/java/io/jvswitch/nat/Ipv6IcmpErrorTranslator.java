package io.jvswitch.nat;

import static io.jvswitch.nat.SlotNote.done;
import static io.jvswitch.switching.service.RoutingHook.ACCEPT;
import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;

import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.Ipv6L4View;
import io.jvswitch.packet.Ipv6Packet;
import org.agrona.MutableDirectBuffer;

/**
 * Translates the ICMPv6 errors about tracked IPv6 connections, as {@link IcmpErrorTranslator} does
 * IPv4's. An error quotes the packet that caused it, as it was then: translated. So the inverse of
 * the quote is looked up, and the error is translated as a packet of the opposite direction: the
 * outer destination and quoted source before routing, the quoted destination and outer source
 * after. Reads the error through the engine's view of the packet in hand, given once at
 * construction; runs on the dataplane thread and allocates nothing.
 */
final class Ipv6IcmpErrorTranslator {
    private final Ipv6Connections connections;
    private final ConnectionTable table;
    private final Ipv6AddressIds ids;
    private final NatTally tally;

    /** The packet in hand (the error), shared with the engine; and the packet the error quotes. */
    private final Ipv6L4View packet;

    private final Ipv6L4View quoted = new Ipv6L4View();

    Ipv6IcmpErrorTranslator(Ipv6Connections connections, NatTally tally, Ipv6L4View packet) {
        this.connections = connections;
        this.table = connections.table();
        this.ids = connections.ids();
        this.tally = tally;
        this.packet = packet;
    }

    /**
     * @return the connection's table reference (0 or more) when translated ({@link #afterRouting}
     *     must follow with it), else a negative {@link SlotNote#done} note with the verdict
     */
    long beforeRouting(int fromNetwork, MutableDirectBuffer buffer, Ipv6NatPolicy policy, long nowNanos) {
        final int quoteStart = packet.l4Offset() + Icmpv6Packet.HEADER_LENGTH;
        if (!quoted.wrapQuoted(buffer, quoteStart, packet.l4Offset() + packet.l4Length() - quoteStart)) {
            return done(unknownError(fromNetwork, policy, NatDrop.ICMP_ERROR_MALFORMED));
        }
        final int protocol = quoted.protocol();
        if (protocol != Ipv6Packet.NEXT_HEADER_TCP
                && protocol != Ipv6Packet.NEXT_HEADER_UDP
                && protocol != Ipv6Packet.NEXT_HEADER_ICMPV6) {
            return done(unknownError(fromNetwork, policy, NatDrop.ICMP_ERROR_UNKNOWN));
        }
        final long innerSourceHigh = quoted.sourceHigh();
        final long innerSourceLow = quoted.sourceLow();
        final int found = connections.find(
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
            return done(unknownError(fromNetwork, policy, NatDrop.ICMP_ERROR_UNKNOWN));
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
        return found;
    }

    void afterRouting(MutableDirectBuffer buffer, int ref) {
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
    private int unknownError(int fromNetwork, Ipv6NatPolicy policy, NatDrop reason) {
        if (fromNetwork == HOST_LINK && policy.isMasqueradeAddress(packet.destinationHigh(), packet.destinationLow())) {
            return tally.drop(reason);
        }
        tally.count(NatCounter.UNTRACKED);
        return ACCEPT;
    }
}
