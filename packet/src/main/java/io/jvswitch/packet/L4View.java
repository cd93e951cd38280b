package io.jvswitch.packet;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Read-only view of an IPv4 packet's transport header, as a connection tracker reads it: what both
 * families share ({@link IpL4View}: the protocol, the L4 header's place and length, the ports, an
 * ICMP echo's identifier standing for both, the TCP flags, a virtio-net partial checksum) and
 * IPv4's own: its addresses and fragments.
 *
 * <p>Two ways in. {@link #wrap} takes a packet as routed: the total length bounds it (an Ethernet
 * frame may carry padding), the version is left to whoever routed it. {@link #wrapQuoted} takes the
 * packet an ICMP error quotes: that is cut short by design, so its total length (the original's)
 * says nothing about the bytes present; it must be version 4 and hold {@link #QUOTED_L4_LENGTH}
 * bytes of L4 header.
 *
 * <p>Wraps a {@link DirectBuffer}, not a mutable one: it only reads, and the hook's prefetch hint
 * and its trace explanation are handed read-only buffers. Not thread-safe; reuse one per owner.
 */
public final class L4View extends IpL4View {
    public L4View() {
        super(Ipv4Packet.PROTOCOL_ICMP);
    }

    /**
     * @param ipLength bytes available from {@code ipOffset}
     * @return false, leaving this unwrapped, unless the IPv4 header (IHL at least 20) fits in both
     *     {@code ipLength} and the total length; the L4 header itself may be cut short (see
     *     {@link #headerComplete})
     */
    public boolean wrap(final DirectBuffer buffer, final int ipOffset, final int ipLength) {
        if (!Flyweight.fits(buffer, ipOffset, ipLength, Ipv4Packet.MIN_HEADER_LENGTH)) {
            return reject();
        }
        final int ihl = headerLength(buffer, ipOffset);
        final int totalLength =
                buffer.getShort(ipOffset + Ipv4Packet.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int length = Math.min(ipLength, totalLength);
        if (ihl < Ipv4Packet.MIN_HEADER_LENGTH || ihl > length) {
            return reject();
        }
        return attach(buffer, ipOffset, ihl, length - ihl);
    }

    /**
     * @param quotedLength bytes of the quoted packet present, from {@code ipOffset} to the end of the error
     * @return false, leaving this unwrapped, unless the quote is IPv4 with a whole header (IHL at
     *     least 20) and {@link #QUOTED_L4_LENGTH} bytes of L4 header after it
     */
    public boolean wrapQuoted(final DirectBuffer buffer, final int ipOffset, final int quotedLength) {
        if (!Flyweight.fits(buffer, ipOffset, quotedLength, Ipv4Packet.MIN_HEADER_LENGTH)) {
            return reject();
        }
        final int version = (buffer.getByte(ipOffset + Ipv4Packet.VERSION_IHL_OFFSET) & 0xFF) >>> 4;
        final int ihl = headerLength(buffer, ipOffset);
        if (version != Ipv4Packet.VERSION
                || ihl < Ipv4Packet.MIN_HEADER_LENGTH
                || quotedLength < ihl + QUOTED_L4_LENGTH) {
            return reject();
        }
        return attach(buffer, ipOffset, ihl, quotedLength - ihl);
    }

    public int source() {
        return buffer().getInt(ipOffset() + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public int destination() {
        return buffer().getInt(ipOffset() + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    /** @return true for any fragment, the first included */
    public boolean isFragment() {
        return (flagsAndFragmentOffset() & Ipv4Packet.FRAGMENT_BITS) != 0;
    }

    /** @return true for a fragment after the first: it carries no L4 header at all */
    public boolean isLaterFragment() {
        return (flagsAndFragmentOffset() & Ipv4Packet.FRAGMENT_OFFSET_MASK) != 0;
    }

    /** @return where the source port (an ICMP echo's identifier) is, from the start of the L4 header */
    public static int sourcePortOffset(final int protocol) {
        return sourcePortOffset(protocol, Ipv4Packet.PROTOCOL_ICMP);
    }

    /** @return where the destination port (an ICMP echo's identifier) is, from the start of the L4 header */
    public static int destinationPortOffset(final int protocol) {
        return destinationPortOffset(protocol, Ipv4Packet.PROTOCOL_ICMP);
    }

    /**
     * @return the offset of the TCP or UDP checksum field from the start of the L4 header, or -1
     *     for a protocol without one in a fixed place (ICMP's covers no pseudo-header)
     */
    public static int pseudoHeaderChecksumOffset(final int protocol) {
        if (protocol == Ipv4Packet.PROTOCOL_TCP) {
            return TcpPacket.CHECKSUM_OFFSET;
        }
        return protocol == Ipv4Packet.PROTOCOL_UDP ? UdpPacket.CHECKSUM_OFFSET : -1;
    }

    private int flagsAndFragmentOffset() {
        return buffer().getShort(ipOffset() + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    private static int headerLength(final DirectBuffer buffer, final int ipOffset) {
        return (buffer.getByte(ipOffset + Ipv4Packet.VERSION_IHL_OFFSET) & 0x0F) << 2;
    }

    private boolean attach(final DirectBuffer buffer, final int ipOffset, final int ihl, final int l4Length) {
        return attach(
                buffer,
                ipOffset,
                ipOffset + ihl,
                l4Length,
                buffer.getByte(ipOffset + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF);
    }
}
