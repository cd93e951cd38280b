package io.jvswitch.switching;

import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.NeighborDiscovery;
import io.jvswitch.packet.UdpPacket;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Port security for IPv6: what an endpoint may send is what a host on its own addresses may send.
 * Its source must be its link-local address (the modified EUI-64 one its MAC gives, as Linux
 * configures by default), the IPv6 address jvs gave it on a dual-stack network, or unspecified
 * (duplicate address detection); it may not
 * advertise routes or send redirects (RA guard, RFC 6105), may advertise no neighbour but itself and
 * name no MAC but its own in Neighbor Discovery, and may not answer as a DHCPv6 server. Extension
 * headers are walked (at most {@link #MAX_EXTENSION_HEADERS}), so an advertisement cannot hide
 * behind them (RFC 7113); a first fragment must carry the upper-layer header (RFC 7112).
 *
 * <p>Stateless and allocation-free: one instance on the dataplane thread.
 */
final class Ipv6PortSecurity {
    static final int MAX_EXTENSION_HEADERS = 4;

    /**
     * @param l3 the IPv6 header's offset; the caller checked that the fixed header fits
     * @param end the end of the frame's bytes in {@code buffer}
     * @return null when the packet may pass, else why it is dropped
     */
    DropReason check(DirectBuffer buffer, int l3, int end, long mac) {
        return check(buffer, l3, end, mac, 0, 0);
    }

    /**
     * As {@link #check(DirectBuffer, int, int, long)} for an endpoint that also has the address
     * {@code assignedHigh}:{@code assignedLow} (both 0: none).
     */
    DropReason check(DirectBuffer buffer, int l3, int end, long mac, long assignedHigh, long assignedLow) {
        final long high = buffer.getLong(l3 + Ipv6Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final long low = buffer.getLong(l3 + Ipv6Packet.SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
        final long ownLow = NeighborDiscovery.linkLocalLow(mac);
        final boolean assigned = (assignedHigh | assignedLow) != 0 && high == assignedHigh && low == assignedLow;
        if ((high | low) != 0 && !assigned && (high != NeighborDiscovery.LINK_LOCAL_HIGH || low != ownLow)) {
            return DropReason.SPOOFED_SOURCE_IP;
        }
        final int payloadEnd = Math.min(
                end,
                l3
                        + Ipv6Packet.HEADER_LENGTH
                        + (buffer.getShort(l3 + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF));
        int next = buffer.getByte(l3 + Ipv6Packet.NEXT_HEADER_OFFSET) & 0xFF;
        int offset = l3 + Ipv6Packet.HEADER_LENGTH;
        for (int headers = 0; ; headers++) {
            final boolean extension = next == Ipv6Packet.NEXT_HEADER_HOP_BY_HOP
                    || next == Ipv6Packet.NEXT_HEADER_ROUTING
                    || next == Ipv6Packet.NEXT_HEADER_DESTINATION_OPTIONS
                    || next == Ipv6Packet.NEXT_HEADER_FRAGMENT;
            if (!extension) {
                break;
            }
            if (headers == MAX_EXTENSION_HEADERS || offset + Ipv6Packet.FRAGMENT_HEADER_LENGTH > payloadEnd) {
                return DropReason.IPV6_HEADER_CHAIN;
            }
            final int following = buffer.getByte(offset) & 0xFF;
            if (next == Ipv6Packet.NEXT_HEADER_FRAGMENT) {
                final int fragmentOffset =
                        (buffer.getShort(offset + Ipv6Packet.FRAGMENT_OFFSET_FIELD, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                                >>> 3;
                if (fragmentOffset != 0) {
                    return null; // a later fragment: its upper-layer header came, and was checked, in the first
                }
                offset += Ipv6Packet.FRAGMENT_HEADER_LENGTH;
            } else {
                offset += ((buffer.getByte(offset + 1) & 0xFF) + 1) * 8;
            }
            next = following;
        }
        if (next == Ipv6Packet.NEXT_HEADER_ICMPV6) {
            if (offset + NeighborDiscovery.ICMPV6_HEADER_LENGTH > payloadEnd) {
                return DropReason.IPV6_HEADER_CHAIN;
            }
            return checkIcmpv6(buffer, offset, payloadEnd, mac, ownLow, assignedHigh, assignedLow);
        }
        if (next == Ipv6Packet.NEXT_HEADER_UDP) {
            if (offset + UdpPacket.HEADER_LENGTH > payloadEnd) {
                return DropReason.IPV6_HEADER_CHAIN;
            }
            final int sourcePort =
                    buffer.getShort(offset + UdpPacket.SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            final int destinationPort =
                    buffer.getShort(offset + UdpPacket.DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (sourcePort == UdpPacket.DHCPV6_SERVER_PORT && destinationPort == UdpPacket.DHCPV6_CLIENT_PORT) {
                return DropReason.DHCPV6_SERVER;
            }
        }
        return null;
    }

    private static DropReason checkIcmpv6(
            DirectBuffer buffer, int icmp, int end, long mac, long ownLow, long assignedHigh, long assignedLow) {
        final int type = buffer.getByte(icmp + NeighborDiscovery.TYPE_OFFSET) & 0xFF;
        switch (type) {
            case NeighborDiscovery.TYPE_ROUTER_ADVERTISEMENT -> {
                return DropReason.ROUTER_ADVERTISEMENT;
            }
            case NeighborDiscovery.TYPE_REDIRECT -> {
                return DropReason.ICMPV6_REDIRECT;
            }
            case NeighborDiscovery.TYPE_NEIGHBOR_ADVERTISEMENT -> {
                if (icmp + NeighborDiscovery.OPTIONS_OFFSET > end) {
                    return DropReason.SPOOFED_NEIGHBOR_DISCOVERY;
                }
                final int target = icmp + NeighborDiscovery.TARGET_OFFSET;
                final long targetHigh = buffer.getLong(target, ByteOrder.BIG_ENDIAN);
                final long targetLow = buffer.getLong(target + 8, ByteOrder.BIG_ENDIAN);
                final boolean ownLinkLocal = targetHigh == NeighborDiscovery.LINK_LOCAL_HIGH && targetLow == ownLow;
                final boolean ownAssigned =
                        (assignedHigh | assignedLow) != 0 && targetHigh == assignedHigh && targetLow == assignedLow;
                if (!ownLinkLocal && !ownAssigned) {
                    return DropReason.SPOOFED_NEIGHBOR_DISCOVERY; // advertises an address not its own
                }
                return linkAddressOptionsAreOwn(buffer, icmp + NeighborDiscovery.OPTIONS_OFFSET, end, mac)
                        ? null
                        : DropReason.SPOOFED_NEIGHBOR_DISCOVERY;
            }
            case NeighborDiscovery.TYPE_NEIGHBOR_SOLICITATION -> {
                if (icmp + NeighborDiscovery.OPTIONS_OFFSET > end) {
                    return DropReason.SPOOFED_NEIGHBOR_DISCOVERY;
                }
                // A solicitation's source link-layer option is cached by whoever it asks.
                return linkAddressOptionsAreOwn(buffer, icmp + NeighborDiscovery.OPTIONS_OFFSET, end, mac)
                        ? null
                        : DropReason.SPOOFED_NEIGHBOR_DISCOVERY;
            }
            default -> {
                return null;
            }
        }
    }

    /** Whether every link-layer address option names {@code mac}, and the options are well formed. */
    private static boolean linkAddressOptionsAreOwn(DirectBuffer buffer, int offset, int end, long mac) {
        int option = offset;
        while (option + 2 <= end) {
            final int type = buffer.getByte(option) & 0xFF;
            final int length = (buffer.getByte(option + 1) & 0xFF) * NeighborDiscovery.OPTION_UNIT;
            if (length == 0 || option + length > end) {
                return false; // RFC 4861: a zero-length option makes the whole message invalid
            }
            if (type == NeighborDiscovery.OPTION_SOURCE_LINK_ADDRESS
                    || type == NeighborDiscovery.OPTION_TARGET_LINK_ADDRESS) {
                final int at = option + NeighborDiscovery.OPTION_LINK_ADDRESS_OFFSET;
                if (length < NeighborDiscovery.OPTION_UNIT
                        || ((long) (buffer.getShort(at, ByteOrder.BIG_ENDIAN) & 0xFFFF) << 32
                                        | (buffer.getInt(at + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL))
                                != mac) {
                    return false;
                }
            }
            option += length;
        }
        return true;
    }
}
