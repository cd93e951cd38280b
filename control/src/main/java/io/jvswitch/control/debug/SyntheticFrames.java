package io.jvswitch.control.debug;

import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.NeighborDiscovery;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.UdpPacket;
import org.agrona.concurrent.UnsafeBuffer;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Ethernet frames a {@link SyntheticPacket} stands for, with valid checksums so that every stage
 * sees what a container would send. Built once per {@code jvs trace}, off the packet path.
 */
final class SyntheticFrames {
    private static final int DEFAULT_SOURCE_PORT = 40000;
    private static final int HOP_LIMIT = 64;

    private SyntheticFrames() {}

    static byte[] ipv4(SyntheticPacket p, long srcMac, long dstMac, int srcIp) {
        final int l4 = l4Length(p.protocol());
        final ByteBuffer b = ethernet(Ipv4Packet.MIN_HEADER_LENGTH + l4, dstMac, srcMac, EthernetFrame.ETHERTYPE_IPV4);
        final int ipStart = b.position();
        b.put((byte) 0x45)
                .put((byte) 0)
                .putShort((short) (Ipv4Packet.MIN_HEADER_LENGTH + l4))
                .putShort((short) 1)
                .putShort((short) Ipv4Packet.FLAG_DONT_FRAGMENT)
                .put((byte) HOP_LIMIT)
                .put((byte) ipProtocol(p.protocol(), Ipv4Packet.PROTOCOL_ICMP))
                .putShort((short) 0)
                .putInt(srcIp)
                .putInt(p.dstIp());
        final int l4Start = b.position();
        writeL4(b, p, IcmpPacket.TYPE_ECHO_REQUEST);
        final byte[] frame = b.array();
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        final Ipv4Packet ip = new Ipv4Packet();
        ip.wrap(view, ipStart, Ipv4Packet.MIN_HEADER_LENGTH + l4);
        ip.updateHeaderChecksum();
        // ICMP sums its own bytes only; TCP and UDP include the IPv4 pseudo-header.
        final int pseudo = p.protocol().equals("icmp")
                ? 0
                : InternetChecksum.pseudoHeaderIpv4(srcIp, p.dstIp(), ip.protocol(), l4);
        storeChecksum(view, l4Start, l4, pseudo, p.protocol());
        return frame;
    }

    static byte[] ipv6(SyntheticPacket p, long srcMac, long dstMac, BigInteger srcIp) {
        final int l4 = l4Length(p.protocol());
        final int nextHeader = ipProtocol(p.protocol(), Ipv6Packet.NEXT_HEADER_ICMPV6);
        final ByteBuffer b = ethernet(Ipv6Packet.HEADER_LENGTH + l4, dstMac, srcMac, EthernetFrame.ETHERTYPE_IPV6);
        final int ipStart = b.position();
        b.position(ipStart + Ipv6Packet.HEADER_LENGTH);
        final int l4Start = b.position();
        writeL4(b, p, Icmpv6Packet.TYPE_ECHO_REQUEST);
        final byte[] frame = b.array();
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        final Ipv6Packet ip = ipv6Header(view, ipStart, l4, nextHeader, HOP_LIMIT);
        ip.setSource(Ipv6Cidr.high(srcIp), Ipv6Cidr.low(srcIp));
        ip.setDestination(Ipv6Cidr.high(p.dstIp6()), Ipv6Cidr.low(p.dstIp6()));
        // Every IPv6 upper layer, ICMPv6 too, sums the pseudo-header.
        storeChecksum(view, l4Start, l4, ip.pseudoHeaderSum(nextHeader, l4), p.protocol());
        return frame;
    }

    /**
     * What a container's kernel sends to resolve {@code target}: a neighbor solicitation to its
     * solicited-node multicast group (RFC 4861 §7.2.2), with the asker's MAC as source link-layer
     * option.
     */
    static byte[] neighborSolicitation(long srcMac, BigInteger srcIp, BigInteger target) {
        final int l4 = Icmpv6Packet.ND_MIN_LENGTH + Icmpv6Packet.OPTION_LINK_LAYER_LENGTH;
        final long groupLow = NeighborDiscovery.solicitedNodeLow(Ipv6Cidr.low(target));
        final ByteBuffer b = ethernet(
                Ipv6Packet.HEADER_LENGTH + l4,
                NeighborDiscovery.multicastMac(groupLow),
                srcMac,
                EthernetFrame.ETHERTYPE_IPV6);
        final int ipStart = b.position();
        final int icmpStart = ipStart + Ipv6Packet.HEADER_LENGTH;
        final byte[] frame = b.array();
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        final Ipv6Packet ip = ipv6Header(view, ipStart, l4, Ipv6Packet.NEXT_HEADER_ICMPV6, Icmpv6Packet.ND_HOP_LIMIT);
        ip.setSource(Ipv6Cidr.high(srcIp), Ipv6Cidr.low(srcIp));
        ip.setDestination(NeighborDiscovery.SOLICITED_NODE_HIGH, groupLow);
        final Icmpv6Packet icmp = new Icmpv6Packet();
        icmp.wrap(view, icmpStart, l4);
        icmp.setType(Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION);
        icmp.setCode(0);
        icmp.setWord(0);
        view.putLong(icmpStart + Icmpv6Packet.TARGET_OFFSET, Ipv6Cidr.high(target), ByteOrder.BIG_ENDIAN);
        view.putLong(icmpStart + Icmpv6Packet.TARGET_OFFSET + 8, Ipv6Cidr.low(target), ByteOrder.BIG_ENDIAN);
        final int option = icmpStart + Icmpv6Packet.ND_OPTIONS_OFFSET;
        view.putByte(option, (byte) Icmpv6Packet.OPTION_SOURCE_LINK_LAYER);
        view.putByte(option + 1, (byte) 1); // in units of 8 bytes
        MacAddress.write(view, option + Icmpv6Packet.OPTION_LINK_LAYER_ADDRESS_OFFSET, srcMac);
        icmp.setChecksum(icmp.computeChecksum(ip, l4));
        return frame;
    }

    /** The IPv6 header but its addresses. */
    private static Ipv6Packet ipv6Header(UnsafeBuffer view, int ipStart, int l4, int nextHeader, int hopLimit) {
        view.putInt(ipStart, Ipv6Packet.VERSION_WORD, ByteOrder.BIG_ENDIAN);
        view.putShort(ipStart + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) l4, ByteOrder.BIG_ENDIAN);
        final Ipv6Packet ip = new Ipv6Packet();
        ip.wrap(view, ipStart, Ipv6Packet.HEADER_LENGTH + l4);
        ip.setNextHeader(nextHeader);
        ip.setHopLimit(hopLimit);
        return ip;
    }

    private static ByteBuffer ethernet(int ipLength, long dstMac, long srcMac, int etherType) {
        final ByteBuffer b = ByteBuffer.allocate(EthernetFrame.HEADER_LENGTH + ipLength);
        b.putShort((short) (dstMac >>> 32))
                .putInt((int) dstMac)
                .putShort((short) (srcMac >>> 32))
                .putInt((int) srcMac);
        return b.putShort((short) etherType);
    }

    private static int l4Length(String protocol) {
        return switch (protocol) {
            case "tcp" -> TcpPacket.MIN_HEADER_LENGTH;
            case "udp" -> UdpPacket.HEADER_LENGTH;
            default -> IcmpPacket.HEADER_LENGTH;
        };
    }

    private static int ipProtocol(String protocol, int icmp) {
        return switch (protocol) {
            case "tcp" -> Ipv4Packet.PROTOCOL_TCP;
            case "udp" -> Ipv4Packet.PROTOCOL_UDP;
            default -> icmp;
        };
    }

    /** The TCP, UDP or echo-request header, checksum zero; the same bytes in both families but the echo type. */
    private static void writeL4(ByteBuffer b, SyntheticPacket p, int echoType) {
        final short sport = (short) (p.srcPort() != null ? p.srcPort() : DEFAULT_SOURCE_PORT);
        switch (p.protocol()) {
            case "tcp" ->
                b.putShort(sport)
                        .putShort(p.dstPort().shortValue())
                        .putInt(1)
                        .putInt(0)
                        .put((byte) 0x50) // data offset: 5 words, no options
                        .put((byte) tcpFlagBits(p.tcpFlags()))
                        .putShort((short) 64240)
                        .putShort((short) 0)
                        .putShort((short) 0);
            case "udp" ->
                b.putShort(sport)
                        .putShort(p.dstPort().shortValue())
                        .putShort((short) UdpPacket.HEADER_LENGTH)
                        .putShort((short) 0);
            default ->
                b.put((byte) echoType)
                        .put((byte) 0)
                        .putShort((short) 0)
                        .putShort((short) 1)
                        .putShort((short) 1);
        }
    }

    private static void storeChecksum(UnsafeBuffer view, int l4Start, int l4, int pseudo, String protocol) {
        final int sum = ~InternetChecksum.fold(InternetChecksum.partialSum(view, l4Start, l4, pseudo)) & 0xFFFF;
        final int checksumOffset = switch (protocol) {
            case "tcp" -> TcpPacket.CHECKSUM_OFFSET;
            case "udp" -> UdpPacket.CHECKSUM_OFFSET;
            default -> IcmpPacket.CHECKSUM_OFFSET;
        };
        view.putShort(l4Start + checksumOffset, (short) sum, ByteOrder.BIG_ENDIAN);
    }

    static int tcpFlagBits(String flags) {
        int bits = 0;
        for (char c : flags.toCharArray()) {
            bits |= switch (c) {
                case 'f' -> TcpPacket.FIN;
                case 's' -> TcpPacket.SYN;
                case 'r' -> TcpPacket.RST;
                case 'p' -> TcpPacket.PSH;
                case 'a' -> TcpPacket.ACK;
                default -> throw new IllegalArgumentException("unknown TCP flag '" + c + "' (use F S R P A)");
            };
        }
        return bits;
    }
}
