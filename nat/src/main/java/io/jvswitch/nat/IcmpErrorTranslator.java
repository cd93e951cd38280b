package io.jvswitch.nat;

import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.L4View;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Translates the ICMP errors about tracked connections. An error quotes the packet that caused
 * it, as that packet was when it met the error: already translated. The quoted packet is the
 * inverse of a tuple of ours, so that is looked up, and the error is translated like a packet of
 * the opposite direction: outer destination and quoted source before routing, quoted destination
 * and outer source after. Nothing is kept between the two calls but the connection, which the
 * caller carries ({@link #translated}); runs on the dataplane thread.
 */
final class IcmpErrorTranslator {
    private final ConnectionTable table;
    private final NatTally tally;
    private final L4View quoted = new L4View();
    private int translated;

    IcmpErrorTranslator(ConnectionTable table, NatTally tally) {
        this.table = table;
        this.tally = tally;
    }

    /** @return whether an ICMP message of this type quotes a packet this translator follows */
    static boolean isError(int type) {
        return type == IcmpPacket.TYPE_DESTINATION_UNREACHABLE
                || type == IcmpPacket.TYPE_TIME_EXCEEDED
                || type == IcmpPacket.TYPE_PARAMETER_PROBLEM;
    }

    /**
     * @param error the ICMP error's own packet
     * @param ipLength bytes from the error's IPv4 header to the end of the frame
     * @return ACCEPT_TRACKED when translated ({@link #afterRouting} must follow, given
     *     {@link #translated}), ACCEPT for an error about no connection of ours that may pass, or DROP
     */
    int beforeRouting(
            int fromNetwork, MutableDirectBuffer buffer, L4View error, int ipLength, NatPolicy policy, long nowNanos) {
        final int destination = error.destination();
        final int quoteStart = error.l4Offset() + IcmpPacket.HEADER_LENGTH;
        if (!quoted.wrapQuoted(buffer, quoteStart, error.ipOffset() + ipLength - quoteStart)) {
            return unknownError(fromNetwork, destination, policy, NatDrop.ICMP_ERROR_MALFORMED);
        }
        final int protocol = quoted.protocol();
        if (protocol != Ipv4Packet.PROTOCOL_TCP
                && protocol != Ipv4Packet.PROTOCOL_UDP
                && protocol != Ipv4Packet.PROTOCOL_ICMP) {
            return unknownError(fromNetwork, destination, policy, NatDrop.ICMP_ERROR_UNKNOWN);
        }
        final int innerSource = quoted.source();
        final int innerDestination = quoted.destination();
        final int found = table.lookup(
                ConnectionTable.tupleA(protocol, fromNetwork, innerDestination),
                ConnectionTable.tupleB(innerSource, quoted.destinationPort(), quoted.sourcePort()));
        if (found < 0 || table.isExpired(found >> 1, nowNanos)) {
            return unknownError(fromNetwork, destination, policy, NatDrop.ICMP_ERROR_UNKNOWN);
        }
        if (InternetChecksum.compute(buffer, error.l4Offset(), error.l4Length()) != 0) {
            return tally.drop(NatDrop.ICMP_ERROR_MALFORMED);
        }
        final int connection = found >> 1;
        final int other = ConnectionTable.REPLY - (found & 1);
        final int newInnerSource = ConnectionTable.sourceOf(table.tupleA(connection, other));
        if (destination == innerSource) {
            PacketRewriter.setHeaderDestination(buffer, error.ipOffset(), newInnerSource);
        }
        PacketRewriter.setSource(buffer, quoted, newInnerSource, false);
        PacketRewriter.setSourcePort(
                buffer, quoted, ConnectionTable.sourcePortOf(table.tupleB(connection, other)), false);
        completeChecksum(buffer, error);
        translated = found;
        tally.count(NatCounter.TRANSLATED);
        return RoutingHook.ACCEPT_TRACKED;
    }

    /** The connection and direction (a table reference) of the error {@link #beforeRouting} just translated. */
    int translated() {
        return translated;
    }

    /**
     * The second half, for an error {@link #beforeRouting} translated.
     *
     * @param ref what {@link #translated} said then
     */
    void afterRouting(MutableDirectBuffer buffer, L4View error, int ipLength, int ref) {
        final int quoteStart = error.l4Offset() + IcmpPacket.HEADER_LENGTH;
        if (!quoted.wrapQuoted(buffer, quoteStart, error.ipOffset() + ipLength - quoteStart)) {
            return; // wrapped before routing, and routing changes no header length: cannot happen
        }
        // The quoted destination is as it came: before routing translated the quoted source only.
        final int quotedDestination = quoted.destination();
        final long otherB = table.tupleB(ref >> 1, ConnectionTable.REPLY - (ref & 1));
        final int newInnerDestination = ConnectionTable.destinationOf(otherB);
        if (error.source() == quotedDestination) {
            // The error came from the peer itself (port unreachable, say), not from a router on the way.
            PacketRewriter.setHeaderSource(buffer, error.ipOffset(), newInnerDestination);
        }
        PacketRewriter.setDestination(buffer, quoted, newInnerDestination, false);
        PacketRewriter.setDestinationPort(buffer, quoted, ConnectionTable.destinationPortOf(otherB), false);
        completeChecksum(buffer, error);
    }

    /**
     * The quoted header changed in several places (addresses, ports, its own checksum, maybe its
     * L4 checksum); errors are rare, so the ICMP checksum, verified on the way in, is recomputed.
     */
    private static void completeChecksum(MutableDirectBuffer buffer, L4View error) {
        final int field = error.l4Offset() + IcmpPacket.CHECKSUM_OFFSET;
        buffer.putShort(field, (short) 0);
        buffer.putShort(
                field,
                (short) InternetChecksum.compute(buffer, error.l4Offset(), error.l4Length()),
                ByteOrder.BIG_ENDIAN);
    }

    /** An error about no connection of ours: dropped if it is addressed to the masquerade address. */
    private int unknownError(int fromNetwork, int destination, NatPolicy policy, NatDrop reason) {
        if (fromNetwork == RoutingHook.HOST_LINK && destination == policy.masqueradeAddress() && destination != 0) {
            return tally.drop(reason);
        }
        tally.count(NatCounter.UNTRACKED);
        return RoutingHook.ACCEPT;
    }
}
