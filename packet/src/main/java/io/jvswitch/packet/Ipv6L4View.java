package io.jvswitch.packet;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Read-only view of an IPv6 packet's transport header, as a connection tracker reads it: the
 * IPv6 counterpart of {@link L4View}, sharing its reads ({@link IpL4View}). The protocol is the
 * fixed header's next header: a packet with extension headers shows the first of them, which a
 * tracker does not follow (it passes untracked). The ports (an ICMPv6 echo's identifier stands for
 * both), the TCP flags, the ICMPv6 type, and where the checksum is: in IPv6 TCP's, UDP's and
 * ICMPv6's all cover the pseudo-header (RFC 8200 8.1), so an address change touches each of them.
 *
 * <p>{@link #wrap} takes a packet as routed (the payload length bounds it); {@link #wrapQuoted} the
 * packet an ICMPv6 error quotes, cut short by design. Not thread-safe; reuse one per owner.
 */
public final class Ipv6L4View extends IpL4View {
    public Ipv6L4View() {
        super(Ipv6Packet.NEXT_HEADER_ICMPV6);
    }

    /**
     * @param ipLength bytes available from {@code ipOffset}
     * @return false, leaving this unwrapped, unless the fixed header fits; the L4 header may be cut
     *     short (see {@link #headerComplete})
     */
    public boolean wrap(final DirectBuffer buffer, final int ipOffset, final int ipLength) {
        if (!Flyweight.fits(buffer, ipOffset, ipLength, Ipv6Packet.HEADER_LENGTH)) {
            return reject();
        }
        final int payloadLength =
                buffer.getShort(ipOffset + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        return attach(buffer, ipOffset, Math.min(payloadLength, ipLength - Ipv6Packet.HEADER_LENGTH));
    }

    /**
     * @param quotedLength bytes of the quoted packet present
     * @return false, leaving this unwrapped, unless the quote is IPv6 with its fixed header and
     *     {@link #QUOTED_L4_LENGTH} bytes after it
     */
    public boolean wrapQuoted(final DirectBuffer buffer, final int ipOffset, final int quotedLength) {
        if (!Flyweight.fits(buffer, ipOffset, quotedLength, Ipv6Packet.HEADER_LENGTH + QUOTED_L4_LENGTH)
                || ((buffer.getByte(ipOffset + Ipv6Packet.VERSION_CLASS_FLOW_OFFSET) & 0xFF) >>> 4)
                        != Ipv6Packet.VERSION) {
            return reject();
        }
        return attach(buffer, ipOffset, quotedLength - Ipv6Packet.HEADER_LENGTH);
    }

    public long sourceHigh() {
        return buffer().getLong(ipOffset() + Ipv6Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long sourceLow() {
        return buffer().getLong(ipOffset() + Ipv6Packet.SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    public long destinationHigh() {
        return buffer().getLong(ipOffset() + Ipv6Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long destinationLow() {
        return buffer().getLong(ipOffset() + Ipv6Packet.DESTINATION_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    /** @return whether an ICMPv6 message of this type is an error (RFC 4443 2.1: types 0-127) */
    public static boolean isIcmpError(final int type) {
        return type < Icmpv6Packet.TYPE_ECHO_REQUEST;
    }

    public static int sourcePortOffset(final int protocol) {
        return sourcePortOffset(protocol, Ipv6Packet.NEXT_HEADER_ICMPV6);
    }

    public static int destinationPortOffset(final int protocol) {
        return destinationPortOffset(protocol, Ipv6Packet.NEXT_HEADER_ICMPV6);
    }

    /**
     * @return the offset of the checksum field from the start of the L4 header (TCP, UDP, ICMPv6:
     *     all cover the pseudo-header), or -1 for another next header
     */
    public static int checksumOffset(final int protocol) {
        return switch (protocol) {
            case Ipv6Packet.NEXT_HEADER_TCP -> TcpPacket.CHECKSUM_OFFSET;
            case Ipv6Packet.NEXT_HEADER_UDP -> UdpPacket.CHECKSUM_OFFSET;
            case Ipv6Packet.NEXT_HEADER_ICMPV6 -> Icmpv6Packet.CHECKSUM_OFFSET;
            default -> -1;
        };
    }

    private boolean attach(final DirectBuffer buffer, final int ipOffset, final int l4Length) {
        return attach(
                buffer,
                ipOffset,
                ipOffset + Ipv6Packet.HEADER_LENGTH,
                l4Length,
                buffer.getByte(ipOffset + Ipv6Packet.NEXT_HEADER_OFFSET) & 0xFF);
    }
}
