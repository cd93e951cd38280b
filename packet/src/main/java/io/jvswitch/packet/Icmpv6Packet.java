package io.jvswitch.packet;

import java.nio.ByteOrder;

/**
 * Flyweight over an ICMPv6 message (RFC 4443) and the Neighbor Discovery messages carried in it
 * (RFC 4861). The checksum covers the IPv6 pseudo-header and the whole message
 * ({@link #computeChecksum}), so wrap it with the IPv6 payload length.
 *
 * <p>Bytes 4-7 mean different things per type: identifier and sequence of an echo, the MTU of
 * "packet too big", the flags of a neighbor advertisement, unused elsewhere. Neighbor solicitations
 * and advertisements carry their target address at {@link #TARGET_OFFSET} and options (type,
 * length in units of 8 bytes, value) from {@link #ND_OPTIONS_OFFSET}.
 */
public final class Icmpv6Packet extends IcmpHeader {
    /** "Packet too big": the next hop's MTU, 32 bits. */
    public static final int MTU_OFFSET = 4;
    /** Neighbor advertisement: router, solicited and override flags in the first byte of 4-7. */
    public static final int NA_FLAGS_OFFSET = 4;
    /** Neighbor solicitation and advertisement: the address asked about or advertised. */
    public static final int TARGET_OFFSET = 8;
    /** Neighbor solicitation and advertisement: where the options begin. */
    public static final int ND_OPTIONS_OFFSET = 24;
    /** The smallest neighbor solicitation or advertisement: header, reserved/flags and target. */
    public static final int ND_MIN_LENGTH = 24;

    public static final int TYPE_DESTINATION_UNREACHABLE = 1;
    public static final int TYPE_PACKET_TOO_BIG = 2;
    public static final int TYPE_TIME_EXCEEDED = 3;
    public static final int TYPE_PARAMETER_PROBLEM = 4;
    public static final int TYPE_ECHO_REQUEST = 128;
    public static final int TYPE_ECHO_REPLY = 129;
    public static final int TYPE_ROUTER_SOLICITATION = 133;
    public static final int TYPE_ROUTER_ADVERTISEMENT = 134;
    public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    public static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
    public static final int TYPE_REDIRECT = 137;

    /** Destination unreachable codes (RFC 4443 3.1). */
    public static final int UNREACHABLE_NO_ROUTE = 0;

    public static final int UNREACHABLE_ADMIN_PROHIBITED = 1;
    public static final int UNREACHABLE_ADDRESS = 3;
    public static final int UNREACHABLE_PORT = 4;
    /** Time exceeded: hop limit exceeded in transit. */
    public static final int TIME_EXCEEDED_HOP_LIMIT = 0;

    /** Neighbor advertisement flags, in the byte at {@link #NA_FLAGS_OFFSET}. */
    public static final int NA_FLAG_ROUTER = 0x80;

    public static final int NA_FLAG_SOLICITED = 0x40;
    public static final int NA_FLAG_OVERRIDE = 0x20;

    /** ND option types (RFC 4861 4.6); a link-layer address option is 8 bytes: type, length 1, MAC. */
    public static final int OPTION_SOURCE_LINK_LAYER = 1;

    public static final int OPTION_TARGET_LINK_LAYER = 2;
    public static final int OPTION_LINK_LAYER_LENGTH = 8;
    /** Offset of the MAC within a link-layer address option. */
    public static final int OPTION_LINK_LAYER_ADDRESS_OFFSET = 2;

    /** A neighbor advertisement with one target link-layer address option. */
    public static final int NEIGHBOR_ADVERTISEMENT_LENGTH = ND_MIN_LENGTH + OPTION_LINK_LAYER_LENGTH;

    /** Neighbor Discovery messages are sent with hop limit 255 and only accepted so (RFC 4861 7.1). */
    public static final int ND_HOP_LIMIT = 255;

    /** Whether this is long enough to be a neighbor solicitation or advertisement. */
    public boolean holdsTarget() {
        return length >= ND_MIN_LENGTH;
    }

    public long targetHigh() {
        return buffer.getLong(offset + TARGET_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long targetLow() {
        return buffer.getLong(offset + TARGET_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    /**
     * The MAC of this solicitation's or advertisement's first link-layer address option of {@code
     * type} ({@link #OPTION_SOURCE_LINK_LAYER} or {@link #OPTION_TARGET_LINK_LAYER}), or -1 when it
     * has none or its options are malformed (one of length 0 or running past the message, which RFC
     * 4861 4.6 makes the whole message invalid).
     */
    public long linkLayerOption(final int type) {
        final int end = offset + length;
        int option = offset + ND_OPTIONS_OFFSET;
        long found = -1;
        while (option + 2 <= end) {
            final int optionLength = (buffer.getByte(option + 1) & 0xFF) * NeighborDiscovery.OPTION_UNIT;
            if (optionLength == 0 || option + optionLength > end) {
                return -1;
            }
            if (found < 0 && (buffer.getByte(option) & 0xFF) == type) {
                found = MacAddress.read(buffer, option + OPTION_LINK_LAYER_ADDRESS_OFFSET);
            }
            option += optionLength;
        }
        return found;
    }

    /** Bytes 4-7 as one word: the MTU of "packet too big", zero (unused) for other errors. */
    public void setWord(final int value) {
        buffer.putInt(offset + IDENTIFIER_OFFSET, value, ByteOrder.BIG_ENDIAN);
    }

    /**
     * Writes a neighbor advertisement for {@code target} over this message, with a target
     * link-layer address option of {@code mac}: {@link #NEIGHBOR_ADVERTISEMENT_LENGTH} bytes. The
     * checksum is left to {@link #computeChecksum}.
     */
    public void writeNeighborAdvertisement(
            final long targetHigh, final long targetLow, final long mac, final int flags) {
        buffer.putByte(offset + TYPE_OFFSET, (byte) TYPE_NEIGHBOR_ADVERTISEMENT);
        buffer.putByte(offset + CODE_OFFSET, (byte) 0);
        buffer.putInt(offset + NA_FLAGS_OFFSET, (flags & 0xFF) << 24, ByteOrder.BIG_ENDIAN);
        buffer.putLong(offset + TARGET_OFFSET, targetHigh, ByteOrder.BIG_ENDIAN);
        buffer.putLong(offset + TARGET_OFFSET + 8, targetLow, ByteOrder.BIG_ENDIAN);
        buffer.putByte(offset + ND_OPTIONS_OFFSET, (byte) OPTION_TARGET_LINK_LAYER);
        buffer.putByte(offset + ND_OPTIONS_OFFSET + 1, (byte) 1);
        MacAddress.write(buffer, offset + ND_OPTIONS_OFFSET + OPTION_LINK_LAYER_ADDRESS_OFFSET, mac);
    }

    /**
     * The checksum of {@code icmpLength} bytes of this message under the pseudo-header of {@code ip}
     * (source, destination, length, next header 58), with the checksum field taken as zero: the value
     * to store. Over a message whose field is already right, {@link #checksumValid} is the cheaper test.
     */
    public int computeChecksum(final Ipv6Packet ip, final int icmpLength) {
        setChecksum(0);
        final int sum = InternetChecksum.partialSum(
                buffer, offset, icmpLength, ip.pseudoHeaderSum(Ipv6Packet.NEXT_HEADER_ICMPV6, icmpLength));
        return ~InternetChecksum.fold(sum) & 0xFFFF;
    }

    /** Whether the message's checksum is right under {@code ip}'s pseudo-header. */
    public boolean checksumValid(final Ipv6Packet ip, final int icmpLength) {
        final int sum = InternetChecksum.partialSum(
                buffer, offset, icmpLength, ip.pseudoHeaderSum(Ipv6Packet.NEXT_HEADER_ICMPV6, icmpLength));
        return InternetChecksum.fold(sum) == 0xFFFF;
    }
}
