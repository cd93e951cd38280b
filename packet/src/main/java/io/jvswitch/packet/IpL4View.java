package io.jvswitch.packet;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Read-only view of an IP packet's transport header, as a connection tracker reads it, the part
 * that is the same in both families: the protocol, where the L4 header starts and how many of its
 * bytes are there, the ports (an ICMP echo's identifier stands for both), the TCP flags, the ICMP
 * type, and whether a virtio-net partial checksum covers it. The ports, the flags and the ICMP
 * fields sit at the same offsets in IPv4 and IPv6 ({@link TransportHeader}, {@link IcmpHeader}), so
 * only the ICMP protocol number tells the families apart here.
 *
 * <p>{@link L4View} (IPv4) and {@link Ipv6L4View} add how a packet is wrapped and its addresses.
 * Both are final and their users hold the concrete type, so these accessors cost what they did
 * when each family wrote its own. Not thread-safe; reuse one per owner.
 */
public abstract sealed class IpL4View permits L4View, Ipv6L4View {
    /**
     * L4 bytes an ICMP error's quote must hold for a tracker: the ports, or an echo's identifier
     * (RFC 792 guarantees 8 for IPv4; RFC 4443 quotes as much as fits).
     */
    public static final int QUOTED_L4_LENGTH = 8;

    /** TCP: 6 in IPv4's protocol field and in IPv6's next header alike (one IANA registry). */
    private static final int TCP = Ipv4Packet.PROTOCOL_TCP;

    /** The family's ICMP: its port reads take the echo identifier, and it is never checksum-offloaded. */
    private final int icmpProtocol;

    private DirectBuffer buffer;
    private int ip;
    private int l4;
    private int l4Length;
    private int protocol;

    IpL4View(final int icmpProtocol) {
        this.icmpProtocol = icmpProtocol;
    }

    public final boolean isWrapped() {
        return buffer != null;
    }

    public final void unwrap() {
        buffer = null;
    }

    public final int ipOffset() {
        return ip;
    }

    /** @return IPv4's protocol, or IPv6's fixed header's next header (TCP, UDP, ICMPv6, or an extension header) */
    public final int protocol() {
        return protocol;
    }

    /** @return where the L4 header starts in the buffer */
    public final int l4Offset() {
        return l4;
    }

    /** @return the L4 bytes present (header and payload; for a quote, as much as was quoted) */
    public final int l4Length() {
        return l4Length;
    }

    /**
     * @return true if the fixed L4 header is all there: {@link TcpPacket#MIN_HEADER_LENGTH} bytes
     *     for TCP, {@link UdpPacket#HEADER_LENGTH} (the size of UDP's and ICMP's) for any other
     */
    public final boolean headerComplete() {
        return l4Length >= (protocol == TCP ? TcpPacket.MIN_HEADER_LENGTH : UdpPacket.HEADER_LENGTH);
    }

    /** @return the TCP or UDP source port, or for ICMP the echo identifier; valid if {@link #headerComplete} */
    public final int sourcePort() {
        return buffer.getShort(l4 + sourcePortOffset(protocol, icmpProtocol), ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** @return the TCP or UDP destination port, or for ICMP the echo identifier again */
    public final int destinationPort() {
        return buffer.getShort(l4 + destinationPortOffset(protocol, icmpProtocol), ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** @return the TCP flags byte (FIN to CWR), 0 for other protocols */
    public final int tcpFlags() {
        return protocol == TCP ? buffer.getByte(l4 + TcpPacket.FLAGS_OFFSET) & 0xFF : 0;
    }

    /** @return the ICMP type; meaningful for the family's ICMP only */
    public final int icmpType() {
        return buffer.getByte(l4 + IcmpHeader.TYPE_OFFSET) & 0xFF;
    }

    /**
     * Whether the L4 checksum is partial: the frame's virtio-net header says {@code NEEDS_CSUM}
     * and its {@code csum_start} points at this L4 header, so the field holds the pseudo-header sum
     * and the rest is summed later (checksum offload). ICMP is never offloaded.
     *
     * @param virtioOffset where the frame's virtio-net header is; the Ethernet frame follows it
     */
    public final boolean partialChecksum(final int virtioOffset) {
        return protocol != icmpProtocol
                && virtioOffset >= 0
                && ip - virtioOffset >= VirtioNetHeader.LENGTH
                && VirtioNetHeader.needsChecksum(buffer, virtioOffset)
                && VirtioNetHeader.checksumStart(buffer, virtioOffset) + virtioOffset + VirtioNetHeader.LENGTH == l4;
    }

    /** The buffer wrapped, for the families' own reads. */
    final DirectBuffer buffer() {
        return buffer;
    }

    /** @return where the source port (an ICMP echo's identifier) is, from the start of the L4 header */
    static int sourcePortOffset(final int protocol, final int icmpProtocol) {
        return protocol == icmpProtocol ? IcmpHeader.IDENTIFIER_OFFSET : TransportHeader.SOURCE_PORT_OFFSET;
    }

    /** @return where the destination port (an ICMP echo's identifier) is, from the start of the L4 header */
    static int destinationPortOffset(final int protocol, final int icmpProtocol) {
        return protocol == icmpProtocol ? IcmpHeader.IDENTIFIER_OFFSET : TransportHeader.DESTINATION_PORT_OFFSET;
    }

    /**
     * Takes the packet in: its L4 header at {@code l4Offset}, with {@code l4Length} bytes of it
     * there, of protocol {@code protocol}.
     *
     * @return true
     */
    final boolean attach(
            final DirectBuffer buffer, final int ipOffset, final int l4Offset, final int l4Length, final int protocol) {
        this.buffer = buffer;
        this.ip = ipOffset;
        this.l4 = l4Offset;
        this.l4Length = l4Length;
        this.protocol = protocol;
        return true;
    }

    /** @return false, leaving this unwrapped */
    final boolean reject() {
        buffer = null;
        return false;
    }
}
