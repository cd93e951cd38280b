package io.jvswitch.nat;

import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.UdpPacket;
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

    /** Replaces the source address; {@code l4}/{@code l4Length} locate the (maybe truncated) L4 header. */
    static void setSource(
            MutableDirectBuffer buffer, int ip, int protocol, int l4, int l4Length, int address, boolean partial) {
        setAddress(buffer, ip, ip + Ipv4Packet.SOURCE_OFFSET, protocol, l4, l4Length, address, partial);
    }

    static void setDestination(
            MutableDirectBuffer buffer, int ip, int protocol, int l4, int l4Length, int address, boolean partial) {
        setAddress(buffer, ip, ip + Ipv4Packet.DESTINATION_OFFSET, protocol, l4, l4Length, address, partial);
    }

    /** Replaces the TCP/UDP source port, or the ICMP echo identifier for ICMP. */
    static void setSourcePort(
            MutableDirectBuffer buffer, int protocol, int l4, int l4Length, int port, boolean partial) {
        setPort(buffer, protocol, l4, l4Length, 0, port, partial);
    }

    /** Replaces the TCP/UDP destination port, or the ICMP echo identifier for ICMP. */
    static void setDestinationPort(
            MutableDirectBuffer buffer, int protocol, int l4, int l4Length, int port, boolean partial) {
        setPort(buffer, protocol, l4, l4Length, 2, port, partial);
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

    private static void setPort(
            MutableDirectBuffer buffer, int protocol, int l4, int l4Length, int at, int port, boolean partial) {
        if (protocol == Ipv4Packet.PROTOCOL_ICMP) {
            if (l4Length < IcmpPacket.IDENTIFIER_OFFSET + 2) {
                return;
            }
            final int old = buffer.getShort(l4 + IcmpPacket.IDENTIFIER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (old == port) {
                return;
            }
            buffer.putShort(l4 + IcmpPacket.IDENTIFIER_OFFSET, (short) port, ByteOrder.BIG_ENDIAN);
            final int checksum = buffer.getShort(l4 + IcmpPacket.CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            buffer.putShort(
                    l4 + IcmpPacket.CHECKSUM_OFFSET,
                    (short) InternetChecksum.adjust16(checksum, old, port),
                    ByteOrder.BIG_ENDIAN);
            return;
        }
        if (l4Length < at + 2) {
            return;
        }
        final int old = buffer.getShort(l4 + at, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (old == port) {
            return;
        }
        buffer.putShort(l4 + at, (short) port, ByteOrder.BIG_ENDIAN);
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
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            return l4Length >= TcpPacket.CHECKSUM_OFFSET + 2 ? l4 + TcpPacket.CHECKSUM_OFFSET : -1;
        }
        if (protocol == Ipv4Packet.PROTOCOL_UDP) {
            return l4Length >= UdpPacket.CHECKSUM_OFFSET + 2 ? l4 + UdpPacket.CHECKSUM_OFFSET : -1;
        }
        return -1;
    }
}
