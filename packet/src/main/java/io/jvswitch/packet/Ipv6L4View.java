package io.jvswitch.packet;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Read-only view of an IPv6 packet's transport header, as a connection tracker reads it: the
 * IPv6 counterpart of {@link L4View}. The protocol is the fixed header's next header: a packet with
 * extension headers shows the first of them, which a tracker does not follow (it passes untracked).
 * The ports (an ICMPv6 echo's identifier stands for both), the TCP flags, the ICMPv6 type, and
 * where the checksum is: in IPv6 TCP's, UDP's and ICMPv6's all cover the pseudo-header (RFC 8200
 * 8.1), so an address change touches each of them.
 *
 * <p>{@link #wrap} takes a packet as routed (the payload length bounds it); {@link #wrapQuoted} the
 * packet an ICMPv6 error quotes, cut short by design. Not thread-safe; reuse one per owner.
 */
public final class Ipv6L4View {
    /** L4 bytes an ICMPv6 error's quote must hold for a tracker: the ports, or an echo's identifier. */
    public static final int QUOTED_L4_LENGTH = 8;

    private DirectBuffer buffer;
    private int ip;
    private int l4;
    private int l4Length;
    private int protocol;

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

    public boolean isWrapped() {
        return buffer != null;
    }

    public int ipOffset() {
        return ip;
    }

    /** @return the fixed header's next header: TCP, UDP, ICMPv6, or an extension header */
    public int protocol() {
        return protocol;
    }

    public int l4Offset() {
        return l4;
    }

    /** @return the L4 bytes present (for a quote, as much as was quoted) */
    public int l4Length() {
        return l4Length;
    }

    public long sourceHigh() {
        return buffer.getLong(ip + Ipv6Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long sourceLow() {
        return buffer.getLong(ip + Ipv6Packet.SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    public long destinationHigh() {
        return buffer.getLong(ip + Ipv6Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long destinationLow() {
        return buffer.getLong(ip + Ipv6Packet.DESTINATION_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    /** @return true if the fixed L4 header is all there: 20 bytes for TCP, 8 for UDP and ICMPv6 */
    public boolean headerComplete() {
        return l4Length
                >= (protocol == Ipv6Packet.NEXT_HEADER_TCP ? TcpPacket.MIN_HEADER_LENGTH : UdpPacket.HEADER_LENGTH);
    }

    /** @return the TCP or UDP source port, or for ICMPv6 the echo identifier */
    public int sourcePort() {
        return buffer.getShort(l4 + sourcePortOffset(protocol), ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int destinationPort() {
        return buffer.getShort(l4 + destinationPortOffset(protocol), ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** @return the TCP flags byte, 0 for other protocols */
    public int tcpFlags() {
        return protocol == Ipv6Packet.NEXT_HEADER_TCP ? buffer.getByte(l4 + TcpPacket.FLAGS_OFFSET) & 0xFF : 0;
    }

    /** @return the ICMPv6 type; meaningful for ICMPv6 only */
    public int icmpType() {
        return buffer.getByte(l4 + Icmpv6Packet.TYPE_OFFSET) & 0xFF;
    }

    /**
     * Whether the L4 checksum is partial (virtio-net {@code NEEDS_CSUM} with {@code csum_start} at this
     * L4 header): the field then holds the pseudo-header sum. ICMPv6 is never offloaded.
     */
    public boolean partialChecksum(final int virtioOffset) {
        return protocol != Ipv6Packet.NEXT_HEADER_ICMPV6
                && virtioOffset >= 0
                && ip - virtioOffset >= VirtioNetHeader.LENGTH
                && VirtioNetHeader.needsChecksum(buffer, virtioOffset)
                && VirtioNetHeader.checksumStart(buffer, virtioOffset) + virtioOffset + VirtioNetHeader.LENGTH == l4;
    }

    /** @return whether an ICMPv6 message of this type is an error (RFC 4443 2.1: types 0-127) */
    public static boolean isIcmpError(final int type) {
        return type < Icmpv6Packet.TYPE_ECHO_REQUEST;
    }

    public static int sourcePortOffset(final int protocol) {
        return protocol == Ipv6Packet.NEXT_HEADER_ICMPV6
                ? Icmpv6Packet.IDENTIFIER_OFFSET
                : TransportHeader.SOURCE_PORT_OFFSET;
    }

    public static int destinationPortOffset(final int protocol) {
        return protocol == Ipv6Packet.NEXT_HEADER_ICMPV6
                ? Icmpv6Packet.IDENTIFIER_OFFSET
                : TransportHeader.DESTINATION_PORT_OFFSET;
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
        this.buffer = buffer;
        this.ip = ipOffset;
        this.l4 = ipOffset + Ipv6Packet.HEADER_LENGTH;
        this.l4Length = l4Length;
        this.protocol = buffer.getByte(ipOffset + Ipv6Packet.NEXT_HEADER_OFFSET) & 0xFF;
        return true;
    }

    private boolean reject() {
        buffer = null;
        return false;
    }
}
