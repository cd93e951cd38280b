package io.jvswitch.nat;

import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv6L4View;
import io.jvswitch.packet.Ipv6Packet;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Rewrites an IPv6 packet's addresses and ports in place, keeping the L4 checksum right with RFC
 * 1624 incremental updates: the {@link PacketRewriter} of IPv6. IPv6 has no header checksum, and
 * TCP's, UDP's and ICMPv6's checksums all cover the pseudo-header, so an address change updates
 * whichever of them the packet carries (four 32-bit steps for the 128 bits); a port (or an echo's
 * identifier) changes the same field as one 16-bit step.
 *
 * <p>The same rules as IPv4 for a partial checksum (the field holds the uncomplemented pseudo-header
 * sum: an address change is applied to it as a sum, a port change not at all), for a UDP checksum
 * of 0 (left alone), and for a quote cut short (a field outside the bytes given is not touched).
 */
final class Ipv6PacketRewriter {

    private Ipv6PacketRewriter() {}

    static void setSource(MutableDirectBuffer buffer, Ipv6L4View packet, long high, long low, boolean partial) {
        setAddress(buffer, packet, Ipv6Packet.SOURCE_OFFSET, high, low, partial);
    }

    static void setDestination(MutableDirectBuffer buffer, Ipv6L4View packet, long high, long low, boolean partial) {
        setAddress(buffer, packet, Ipv6Packet.DESTINATION_OFFSET, high, low, partial);
    }

    /**
     * Replaces an address of the IPv6 header without touching any checksum: for an ICMPv6 error,
     * whose checksum the caller recomputes ({@link #recomputeIcmpChecksum}).
     */
    static void setHeaderAddress(MutableDirectBuffer buffer, int field, long high, long low) {
        buffer.putLong(field, high, ByteOrder.BIG_ENDIAN);
        buffer.putLong(field + 8, low, ByteOrder.BIG_ENDIAN);
    }

    /** Replaces the TCP/UDP source port, or the ICMPv6 echo identifier. */
    static void setSourcePort(MutableDirectBuffer buffer, Ipv6L4View packet, int port, boolean partial) {
        setPort(buffer, packet, Ipv6L4View.sourcePortOffset(packet.protocol()), port, partial);
    }

    static void setDestinationPort(MutableDirectBuffer buffer, Ipv6L4View packet, int port, boolean partial) {
        setPort(buffer, packet, Ipv6L4View.destinationPortOffset(packet.protocol()), port, partial);
    }

    /**
     * Recomputes an ICMPv6 message's checksum under its packet's pseudo-header (as the addresses are
     * now): for an error whose quote changed in several places; errors are rare.
     */
    static void recomputeIcmpChecksum(MutableDirectBuffer buffer, Ipv6L4View message) {
        final int field = message.l4Offset() + Icmpv6Packet.CHECKSUM_OFFSET;
        buffer.putShort(field, (short) 0);
        buffer.putShort(field, (short) (~icmpSum(buffer, message) & 0xFFFF), ByteOrder.BIG_ENDIAN);
    }

    /** Whether an ICMPv6 message's checksum is right under its packet's pseudo-header. */
    static boolean icmpChecksumValid(MutableDirectBuffer buffer, Ipv6L4View message) {
        return icmpSum(buffer, message) == 0xFFFF;
    }

    /** The folded sum of the message (as far as it is there) and its pseudo-header. */
    private static int icmpSum(MutableDirectBuffer buffer, Ipv6L4View message) {
        final int ip = message.ipOffset();
        return InternetChecksum.fold(InternetChecksum.partialSum(
                buffer,
                message.l4Offset(),
                message.l4Length(),
                InternetChecksum.pseudoHeaderIpv6(
                        buffer,
                        ip + Ipv6Packet.SOURCE_OFFSET,
                        ip + Ipv6Packet.DESTINATION_OFFSET,
                        Ipv6Packet.NEXT_HEADER_ICMPV6,
                        message.l4Length())));
    }

    private static void setAddress(
            MutableDirectBuffer buffer, Ipv6L4View packet, int fieldOffset, long high, long low, boolean partial) {
        final int field = packet.ipOffset() + fieldOffset;
        final long oldHigh = buffer.getLong(field, ByteOrder.BIG_ENDIAN);
        final long oldLow = buffer.getLong(field + 8, ByteOrder.BIG_ENDIAN);
        if (oldHigh == high && oldLow == low) {
            return;
        }
        setHeaderAddress(buffer, field, high, low);
        final int checksumField = checksumField(packet, packet.protocol());
        if (checksumField < 0) {
            return;
        }
        final int checksum = buffer.getShort(checksumField, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (partial) {
            // The field holds the pseudo-header sum, uncomplemented: update it as a sum.
            final int sum = ~adjust128(~checksum & 0xFFFF, oldHigh, oldLow, high, low) & 0xFFFF;
            buffer.putShort(checksumField, (short) sum, ByteOrder.BIG_ENDIAN);
        } else if (packet.protocol() != Ipv6Packet.NEXT_HEADER_UDP || checksum != 0) {
            putChecksum(buffer, checksumField, packet.protocol(), adjust128(checksum, oldHigh, oldLow, high, low));
        }
    }

    private static void setPort(MutableDirectBuffer buffer, Ipv6L4View packet, int at, int port, boolean partial) {
        final int l4 = packet.l4Offset();
        if (packet.l4Length() < at + 2) {
            return;
        }
        final int old = buffer.getShort(l4 + at, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (old == port) {
            return;
        }
        buffer.putShort(l4 + at, (short) port, ByteOrder.BIG_ENDIAN);
        final int checksumField = checksumField(packet, packet.protocol());
        if (checksumField < 0 || partial) {
            return; // a partial checksum is completed over the port as it is now
        }
        final int checksum = buffer.getShort(checksumField, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (packet.protocol() != Ipv6Packet.NEXT_HEADER_UDP || checksum != 0) {
            putChecksum(buffer, checksumField, packet.protocol(), InternetChecksum.adjust16(checksum, old, port));
        }
    }

    /** RFC 1624 over a 128-bit field: four 32-bit steps. */
    private static int adjust128(int checksum, long oldHigh, long oldLow, long high, long low) {
        int c = InternetChecksum.adjust32(checksum, (int) (oldHigh >>> 32), (int) (high >>> 32));
        c = InternetChecksum.adjust32(c, (int) oldHigh, (int) high);
        c = InternetChecksum.adjust32(c, (int) (oldLow >>> 32), (int) (low >>> 32));
        return InternetChecksum.adjust32(c, (int) oldLow, (int) low);
    }

    private static void putChecksum(MutableDirectBuffer buffer, int field, int protocol, int checksum) {
        final int stored = protocol == Ipv6Packet.NEXT_HEADER_UDP && checksum == 0 ? 0xFFFF : checksum;
        buffer.putShort(field, (short) stored, ByteOrder.BIG_ENDIAN);
    }

    /** @return the checksum field's offset in the buffer if it lies within the L4 bytes given, else -1 */
    private static int checksumField(Ipv6L4View packet, int protocol) {
        final int at = Ipv6L4View.checksumOffset(protocol);
        return at >= 0 && packet.l4Length() >= at + 2 ? packet.l4Offset() + at : -1;
    }
}
