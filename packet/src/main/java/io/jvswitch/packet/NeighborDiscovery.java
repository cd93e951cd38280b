package io.jvswitch.packet;

/**
 * ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861) wire facts the port security reads, and the
 * modified EUI-64 link-local address a MAC gives an interface (RFC 4291 appendix A), which is what
 * Linux configures by default ({@code addr_gen_mode} 0).
 */
public final class NeighborDiscovery {
    public static final int TYPE_OFFSET = 0;
    public static final int ICMPV6_HEADER_LENGTH = 4;

    public static final int TYPE_ROUTER_SOLICITATION = 133;
    public static final int TYPE_ROUTER_ADVERTISEMENT = 134;
    public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    public static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
    public static final int TYPE_REDIRECT = 137;

    /** Neighbor solicitation and advertisement: the target address after type, code, checksum and 4 bytes. */
    public static final int TARGET_OFFSET = 8;
    /** Where a neighbor solicitation's or advertisement's options start. */
    public static final int OPTIONS_OFFSET = TARGET_OFFSET + Ipv6Packet.ADDRESS_LENGTH;

    /** An option: type, then its length in units of 8 bytes (0 is invalid), then its data. */
    public static final int OPTION_UNIT = 8;

    public static final int OPTION_SOURCE_LINK_ADDRESS = 1;
    public static final int OPTION_TARGET_LINK_ADDRESS = 2;
    /** A link-layer address option's MAC, after the option's type and length. */
    public static final int OPTION_LINK_ADDRESS_OFFSET = 2;

    /** fe80::/64, the high half of every link-local address an interface configures. */
    public static final long LINK_LOCAL_HIGH = 0xFE80_0000_0000_0000L;

    /** ff02::/16 with ::1:ff00:0/104: the high half of every solicited-node multicast address (RFC 4291 §2.7.1). */
    public static final long SOLICITED_NODE_HIGH = 0xFF02_0000_0000_0000L;
    /** The low half of a solicited-node address but its last 24 bits, which are the target's. */
    public static final long SOLICITED_NODE_LOW = 0x0000_0001_FF00_0000L;
    /** 33:33 then the multicast address's last 32 bits: the MAC of an IPv6 multicast group (RFC 2464 §7). */
    public static final long MULTICAST_MAC_PREFIX = 0x3333_0000_0000L;

    private NeighborDiscovery() {}

    /** The low half of the solicited-node group a solicitation for an address with this low half goes to. */
    public static long solicitedNodeLow(long targetLow) {
        return SOLICITED_NODE_LOW | (targetLow & 0xFF_FFFFL);
    }

    /** The MAC of the IPv6 multicast group whose address ends in {@code groupLow}. */
    public static long multicastMac(long groupLow) {
        return MULTICAST_MAC_PREFIX | (groupLow & 0xFFFF_FFFFL);
    }

    /** The low half (interface identifier) of the link-local address a MAC gives: modified EUI-64. */
    public static long linkLocalLow(long mac) {
        final long upper = (mac >>> 24) ^ 0x02_0000; // the universal/local bit flipped
        return (upper << 40) | (0xFFFEL << 24) | (mac & 0xFF_FFFF);
    }
}
