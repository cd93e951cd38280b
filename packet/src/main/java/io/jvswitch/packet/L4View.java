package io.jvswitch.packet;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Read-only view of an IPv4 packet's transport header, as a connection tracker reads it: the
 * protocol, where the L4 header starts and how many of its bytes are there, the ports (an ICMP
 * echo's identifier stands for both), the TCP flags, and whether a virtio-net partial checksum
 * covers it.
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
public final class L4View {
    /** L4 bytes an ICMP error must quote: the ports, or an echo's identifier (RFC 792 guarantees 8). */
    public static final int QUOTED_L4_LENGTH = 8;

    private DirectBuffer buffer;
    private int ip;
    private int l4;
    private int l4Length;
    private int protocol;

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

    public boolean isWrapped() {
        return buffer != null;
    }

    public void unwrap() {
        buffer = null;
    }

    public int ipOffset() {
        return ip;
    }

    public int protocol() {
        return protocol;
    }

    /** @return where the L4 header starts in the buffer */
    public int l4Offset() {
        return l4;
    }

    /** @return the L4 bytes present (header and payload; for a quote, as much as was quoted) */
    public int l4Length() {
        return l4Length;
    }

    public int source() {
        return buffer.getInt(ip + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public int destination() {
        return buffer.getInt(ip + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    /** @return true for any fragment, the first included */
    public boolean isFragment() {
        return (flagsAndFragmentOffset() & Ipv4Packet.FRAGMENT_BITS) != 0;
    }

    /** @return true for a fragment after the first: it carries no L4 header at all */
    public boolean isLaterFragment() {
        return (flagsAndFragmentOffset() & Ipv4Packet.FRAGMENT_OFFSET_MASK) != 0;
    }

    /**
     * @return true if the fixed L4 header is all there: {@link TcpPacket#MIN_HEADER_LENGTH} bytes
     *     for TCP, {@link UdpPacket#HEADER_LENGTH} (the size of UDP's and ICMP's) for any other
     */
    public boolean headerComplete() {
        return l4Length
                >= (protocol == Ipv4Packet.PROTOCOL_TCP ? TcpPacket.MIN_HEADER_LENGTH : UdpPacket.HEADER_LENGTH);
    }

    /** @return the TCP or UDP source port, or for ICMP the echo identifier; valid if {@link #headerComplete} */
    public int sourcePort() {
        return buffer.getShort(l4 + sourcePortOffset(protocol), ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** @return the TCP or UDP destination port, or for ICMP the echo identifier again */
    public int destinationPort() {
        return buffer.getShort(l4 + destinationPortOffset(protocol), ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** @return the TCP flags byte (FIN to CWR), 0 for other protocols */
    public int tcpFlags() {
        return protocol == Ipv4Packet.PROTOCOL_TCP ? buffer.getByte(l4 + TcpPacket.FLAGS_OFFSET) & 0xFF : 0;
    }

    /** @return the ICMP type; meaningful for ICMP only */
    public int icmpType() {
        return buffer.getByte(l4 + IcmpPacket.TYPE_OFFSET) & 0xFF;
    }

    /**
     * Whether the L4 checksum is partial: the frame's virtio-net header says {@code NEEDS_CSUM}
     * and its {@code csum_start} points at this L4 header, so the field holds the pseudo-header sum
     * and the rest is summed later (checksum offload). ICMP is never offloaded.
     *
     * @param virtioOffset where the frame's virtio-net header is; the Ethernet frame follows it
     */
    public boolean partialChecksum(final int virtioOffset) {
        return protocol != Ipv4Packet.PROTOCOL_ICMP
                && virtioOffset >= 0
                && ip - virtioOffset >= VirtioNetHeader.LENGTH
                && VirtioNetHeader.needsChecksum(buffer, virtioOffset)
                && VirtioNetHeader.checksumStart(buffer, virtioOffset) + virtioOffset + VirtioNetHeader.LENGTH == l4;
    }

    /** @return where the source port (an ICMP echo's identifier) is, from the start of the L4 header */
    public static int sourcePortOffset(final int protocol) {
        return protocol == Ipv4Packet.PROTOCOL_ICMP ? IcmpPacket.IDENTIFIER_OFFSET : TransportHeader.SOURCE_PORT_OFFSET;
    }

    /** @return where the destination port (an ICMP echo's identifier) is, from the start of the L4 header */
    public static int destinationPortOffset(final int protocol) {
        return protocol == Ipv4Packet.PROTOCOL_ICMP
                ? IcmpPacket.IDENTIFIER_OFFSET
                : TransportHeader.DESTINATION_PORT_OFFSET;
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
        return buffer.getShort(ip + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    private static int headerLength(final DirectBuffer buffer, final int ipOffset) {
        return (buffer.getByte(ipOffset + Ipv4Packet.VERSION_IHL_OFFSET) & 0x0F) << 2;
    }

    private boolean attach(final DirectBuffer buffer, final int ipOffset, final int ihl, final int l4Length) {
        this.buffer = buffer;
        this.ip = ipOffset;
        this.l4 = ipOffset + ihl;
        this.l4Length = l4Length;
        this.protocol = buffer.getByte(ipOffset + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF;
        return true;
    }

    private boolean reject() {
        buffer = null;
        return false;
    }
}
