package io.jvswitch.nat;

import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.L4View;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Rewrites an IPv4 packet's addresses and ports in place and keeps every checksum right with
 * RFC 1624 incremental updates, never a recomputation: the IPv4 header checksum for an address,
 * the TCP or UDP checksum for an address (it is in the pseudo-header) or a port, the ICMP
 * checksum for an echo identifier.
 *
 * <p>Rules that differ from a naive update:
 * <ul>
 * <li>A UDP checksum of 0 means "none" (RFC 768) and stays 0; an updated UDP checksum that comes
 *     out 0 is stored as 0xFFFF, its ones' complement twin.
 * <li>A <em>partial</em> L4 checksum (a virtio-net {@code NEEDS_CSUM} frame, as a container's
 *     kernel hands over with checksum offload on) holds the uncomplemented pseudo-header sum, and
 *     whoever completes it later sums the L4 header and payload as they are then. So an address
 *     change is applied to that field uncomplemented ({@code P' = P - old + new}), and a port
 *     change is not applied to it at all: the port is in the bytes summed later.
 * <li>The quoted packet inside an ICMP error may be cut short: an L4 checksum is only updated
 *     when its field lies within the bytes given ({@code l4Length}).
 * </ul>
 */
final class PacketRewriter {

    private PacketRewriter() {}

    /** Replaces the source address; {@code packet} locates the (maybe truncated) L4 header. */
    static void setSource(MutableDirectBuffer buffer, L4View packet, int address, boolean partial) {
        setAddress(buffer, packet, Ipv4Packet.SOURCE_OFFSET, address, partial);
    }

    static void setDestination(MutableDirectBuffer buffer, L4View packet, int address, boolean partial) {
        setAddress(buffer, packet, Ipv4Packet.DESTINATION_OFFSET, address, partial);
    }

    /**
     * Replaces the source address in the IPv4 header only: for an ICMP error, whose checksum does
     * not cover the outer addresses.
     */
    static void setHeaderSource(MutableDirectBuffer buffer, int ip, int address) {
        setAddress(buffer, ip, ip + Ipv4Packet.SOURCE_OFFSET, Ipv4Packet.PROTOCOL_ICMP, 0, 0, address, false);
    }

    static void setHeaderDestination(MutableDirectBuffer buffer, int ip, int address) {
        setAddress(buffer, ip, ip + Ipv4Packet.DESTINATION_OFFSET, Ipv4Packet.PROTOCOL_ICMP, 0, 0, address, false);
    }

    /** Replaces the TCP/UDP source port, or the ICMP echo identifier for ICMP. */
    static void setSourcePort(MutableDirectBuffer buffer, L4View packet, int port, boolean partial) {
        setPort(buffer, packet, L4View.sourcePortOffset(packet.protocol()), port, partial);
    }

    /** Replaces the TCP/UDP destination port, or the ICMP echo identifier for ICMP. */
    static void setDestinationPort(MutableDirectBuffer buffer, L4View packet, int port, boolean partial) {
        setPort(buffer, packet, L4View.destinationPortOffset(packet.protocol()), port, partial);
    }

    private static void setAddress(
            MutableDirectBuffer buffer, L4View packet, int fieldOffset, int address, boolean partial) {
        final int ip = packet.ipOffset();
        setAddress(
                buffer,
                ip,
                ip + fieldOffset,
                packet.protocol(),
                packet.l4Offset(),
                packet.l4Length(),
                address,
                partial);
    }

    private static void setAddress(
            MutableDirectBuffer buffer,
            int ip,
            int field,
            int protocol,
            int l4,
            int l4Length,
            int address,
            boolean partial) {
        final int old = buffer.getInt(field, ByteOrder.BIG_ENDIAN);
        if (old == address) {
            return;
        }
        buffer.putInt(field, address, ByteOrder.BIG_ENDIAN);
        final int ipChecksum = ip + Ipv4Packet.CHECKSUM_OFFSET;
        buffer.putShort(
                ipChecksum,
                (short) InternetChecksum.adjust32(
                        buffer.getShort(ipChecksum, ByteOrder.BIG_ENDIAN) & 0xFFFF, old, address),
                ByteOrder.BIG_ENDIAN);
        final int l4Checksum = l4ChecksumField(protocol, l4, l4Length);
        if (l4Checksum < 0) {
            return;
        }
        final int checksum = buffer.getShort(l4Checksum, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (partial) {
            // The field holds the pseudo-header sum, uncomplemented: update it as a sum.
            final int sum = ~InternetChecksum.adjust32(~checksum & 0xFFFF, old, address) & 0xFFFF;
            buffer.putShort(l4Checksum, (short) sum, ByteOrder.BIG_ENDIAN);
        } else if (protocol != Ipv4Packet.PROTOCOL_UDP || checksum != 0) {
            putL4Checksum(buffer, l4Checksum, protocol, InternetChecksum.adjust32(checksum, old, address));
        }
    }

    private static void setPort(MutableDirectBuffer buffer, L4View packet, int at, int port, boolean partial) {
        final int protocol = packet.protocol();
        final int l4 = packet.l4Offset();
        final int l4Length = packet.l4Length();
        if (l4Length < at + 2) {
            return;
        }
        final int old = buffer.getShort(l4 + at, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (old == port) {
            return;
        }
        buffer.putShort(l4 + at, (short) port, ByteOrder.BIG_ENDIAN);
        if (protocol == Ipv4Packet.PROTOCOL_ICMP) {
            // The echo identifier: ICMP's checksum covers the message, not a pseudo-header.
            final int checksum = buffer.getShort(l4 + IcmpPacket.CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            buffer.putShort(
                    l4 + IcmpPacket.CHECKSUM_OFFSET,
                    (short) InternetChecksum.adjust16(checksum, old, port),
                    ByteOrder.BIG_ENDIAN);
            return;
        }
        final int l4Checksum = l4ChecksumField(protocol, l4, l4Length);
        if (l4Checksum < 0 || partial) {
            return; // a partial checksum is completed over the port as it is now
        }
        final int checksum = buffer.getShort(l4Checksum, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (protocol != Ipv4Packet.PROTOCOL_UDP || checksum != 0) {
            putL4Checksum(buffer, l4Checksum, protocol, InternetChecksum.adjust16(checksum, old, port));
        }
    }

    private static void putL4Checksum(MutableDirectBuffer buffer, int field, int protocol, int checksum) {
        final int stored = protocol == Ipv4Packet.PROTOCOL_UDP && checksum == 0 ? 0xFFFF : checksum;
        buffer.putShort(field, (short) stored, ByteOrder.BIG_ENDIAN);
    }

    /** @return the offset of the TCP/UDP checksum field if it lies within {@code l4Length}, else -1 */
    private static int l4ChecksumField(int protocol, int l4, int l4Length) {
        final int at = L4View.pseudoHeaderChecksumOffset(protocol);
        return at >= 0 && l4Length >= at + 2 ? l4 + at : -1;
    }
}
