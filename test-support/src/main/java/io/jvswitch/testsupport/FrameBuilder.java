package io.jvswitch.testsupport;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Frames for tests and benchmarks as a port hands them to the switch: a virtio-net header (zeroed:
 * no offload request, unless said otherwise) followed by an untagged Ethernet frame without FCS.
 * Headers are written at the packet module's offsets and checksums computed with its
 * {@link InternetChecksum}, so no test carries its own checksum code. {@link #withoutVnet} gives
 * the bare Ethernet frame (what a capture file holds).
 *
 * <p>Built in setup, never on a measured path: every call allocates its array.
 */
public final class FrameBuilder {
    /** Where the Ethernet header starts: after the virtio-net header. */
    public static final int ETH = VirtioNetHeader.LENGTH;
    /** Where the network header of an untagged frame starts. */
    public static final int L3 = ETH + EthernetFrame.HEADER_LENGTH;
    /** Where the transport header starts behind an IPv4 header without options. */
    public static final int IPV4_L4 = L3 + Ipv4Packet.MIN_HEADER_LENGTH;
    /** Where the transport header starts behind an IPv6 header without extension headers. */
    public static final int IPV6_L4 = L3 + Ipv6Packet.HEADER_LENGTH;
    /** The smallest Ethernet frame that holds an IPv4 and a UDP header. */
    public static final int MIN_UDP_FRAME =
            EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH;

    /** The identifier of every ICMP and ICMPv6 echo request built here. */
    private static final int ECHO_IDENTIFIER = 0x1234;
    /** The first sequence number of a TCP super-frame, unless a test gives one. */
    private static final int SUPER_FRAME_SEQUENCE = 0x1000_0000;
    /** A TCP header with the timestamps option, as Linux sends: 20 bytes + NOP NOP + 10 bytes. */
    private static final int TCP_TIMESTAMPS_HEADER = 32;

    private FrameBuilder() {}

    public static long mac(String text) {
        return MacAddress.parse(text);
    }

    public static int ip(String text) {
        return Ipv4Address.parse(text);
    }

    /** The 48-bit MAC at {@code offset} of a built frame. */
    public static long readMac(byte[] frame, int offset) {
        return MacAddress.read(new UnsafeBuffer(frame), offset);
    }

    /** The Ethernet frame of a built frame, without its virtio-net header. */
    public static byte[] withoutVnet(byte[] frame) {
        return Arrays.copyOfRange(frame, ETH, frame.length);
    }

    /** An Ethernet frame carrying {@code payload}. */
    public static byte[] ethernet(long dst, long src, int etherType, byte[] payload) {
        final byte[] frame = new byte[L3 + payload.length];
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        MacAddress.write(b, ETH + EthernetFrame.DESTINATION_OFFSET, dst);
        MacAddress.write(b, ETH + EthernetFrame.SOURCE_OFFSET, src);
        b.putShort(ETH + EthernetFrame.ETHERTYPE_OFFSET, (short) etherType, ByteOrder.BIG_ENDIAN);
        b.putBytes(L3, payload);
        return frame;
    }

    /** An Ethernet frame whose {@code payloadLength} payload bytes count up from 0. */
    public static byte[] ethernet(long dst, long src, int etherType, int payloadLength) {
        final byte[] payload = new byte[payloadLength];
        for (int i = 0; i < payloadLength; i++) {
            payload[i] = (byte) i;
        }
        return ethernet(dst, src, etherType, payload);
    }

    /**
     * A minimum-size frame that says IPv4 (EtherType and version byte) and is nothing more: for tests
     * of switching, which never read past that.
     */
    public static byte[] ipv4Shaped(long dst, long src) {
        final byte[] frame = ethernet(dst, src, EthernetFrame.ETHERTYPE_IPV4, 46);
        frame[L3] = (byte) ((Ipv4Packet.VERSION << 4) | (Ipv4Packet.MIN_HEADER_LENGTH / 4));
        return frame;
    }

    /** An ARP frame with every field given. */
    public static byte[] arp(
            long ethDst, long ethSrc, int op, long senderMac, int senderIp, long targetMac, int targetIp) {
        final byte[] frame = new byte[ETH + ArpPacket.FRAME_LENGTH];
        ArpPacket.encode(new UnsafeBuffer(frame), ETH, ethDst, ethSrc, op, senderMac, senderIp, targetMac, targetIp);
        return frame;
    }

    /** A broadcast ARP request: who has {@code targetIp}? tell {@code senderIp}. */
    public static byte[] arpRequest(long senderMac, int senderIp, int targetIp) {
        return arp(MacAddress.BROADCAST, senderMac, ArpPacket.OP_REQUEST, senderMac, senderIp, 0L, targetIp);
    }

    /**
     * An IPv4 packet (no options, TTL 64, don't fragment) carrying {@code l4}, with a valid header
     * checksum, and a valid UDP, TCP or ICMP checksum when {@code protocol} is one of those.
     */
    public static byte[] ipv4(long dstMac, long srcMac, int srcIp, int dstIp, int protocol, byte[] l4) {
        return ipv4Frame(dstMac, srcMac, srcIp, dstIp, protocol, l4).build();
    }

    /** As {@link #ipv4(long, long, int, int, int, byte[])} with the TTL and the DF flag given. */
    public static byte[] ipv4(
            long dstMac, long srcMac, int srcIp, int dstIp, int protocol, int ttl, boolean dontFragment, byte[] l4) {
        return ipv4Frame(dstMac, srcMac, srcIp, dstIp, protocol, l4)
                .ttl(ttl)
                .dontFragment(dontFragment)
                .build();
    }

    /** An IPv4 frame whose every header field a test may still set ({@link Ipv4Frame}). */
    public static Ipv4Frame ipv4Frame(long dstMac, long srcMac, int srcIp, int dstIp, int protocol, byte[] l4) {
        return new Ipv4Frame(dstMac, srcMac, srcIp, dstIp, protocol, l4);
    }

    /**
     * A UDP datagram's bytes, header and {@code data}, for an IP packet to carry: no checksum (0),
     * which the IPv4 builders fill in unless told to keep the bytes raw.
     */
    public static byte[] udpDatagram(int srcPort, int dstPort, byte[] data) {
        final byte[] l4 = new byte[UdpPacket.HEADER_LENGTH + data.length];
        final UnsafeBuffer b = new UnsafeBuffer(l4);
        b.putShort(UdpPacket.SOURCE_PORT_OFFSET, (short) srcPort, ByteOrder.BIG_ENDIAN);
        b.putShort(UdpPacket.DESTINATION_PORT_OFFSET, (short) dstPort, ByteOrder.BIG_ENDIAN);
        b.putShort(UdpPacket.LENGTH_OFFSET, (short) l4.length, ByteOrder.BIG_ENDIAN);
        b.putBytes(UdpPacket.HEADER_LENGTH, data);
        return l4;
    }

    /**
     * An ICMP echo request's bytes (identifier 0x1234, sequence 1, {@code payload} zero bytes of
     * data) with its checksum: valid however the packet around it is built.
     */
    public static byte[] icmpEchoRequest(int payload) {
        final byte[] icmp = new byte[IcmpPacket.HEADER_LENGTH + payload];
        final UnsafeBuffer b = new UnsafeBuffer(icmp);
        b.putByte(IcmpPacket.TYPE_OFFSET, (byte) IcmpPacket.TYPE_ECHO_REQUEST);
        b.putShort(IcmpPacket.IDENTIFIER_OFFSET, (short) ECHO_IDENTIFIER, ByteOrder.BIG_ENDIAN);
        b.putShort(IcmpPacket.SEQUENCE_OFFSET, (short) 1, ByteOrder.BIG_ENDIAN);
        b.putShort(
                IcmpPacket.CHECKSUM_OFFSET, (short) InternetChecksum.compute(b, 0, icmp.length), ByteOrder.BIG_ENDIAN);
        return icmp;
    }

    /**
     * A virtio-net header as a TAP hands one over: flags ({@code VirtioNetHeader.FLAG_*}), the GSO
     * type, the header length, the GSO size, and where the checksum to complete starts and sits.
     */
    public static byte[] vnetHeader(
            int flags, int gsoType, int headerLength, int gsoSize, int checksumStart, int checksumOffset) {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[VirtioNetHeader.LENGTH]);
        VirtioNetHeader.setFlags(b, 0, flags);
        VirtioNetHeader.setGsoType(b, 0, gsoType);
        VirtioNetHeader.setHeaderLength(b, 0, headerLength);
        VirtioNetHeader.setGsoSize(b, 0, gsoSize);
        VirtioNetHeader.setChecksumStart(b, 0, checksumStart);
        VirtioNetHeader.setChecksumOffset(b, 0, checksumOffset);
        return b.byteArray();
    }

    /** A UDP datagram in IPv4, both checksums valid. */
    public static byte[] udp(long dstMac, long srcMac, int srcIp, int dstIp, int srcPort, int dstPort, byte[] data) {
        return ipv4(dstMac, srcMac, srcIp, dstIp, Ipv4Packet.PROTOCOL_UDP, udpDatagram(srcPort, dstPort, data));
    }

    /**
     * An IPv4/UDP frame (port 40000 to 5001) of exactly {@code ethernetLength} bytes, Ethernet header
     * included: the size benchmarks are run at. Payload byte {@code i} of the array is {@code (byte) i}.
     */
    public static byte[] udpOfLength(long dstMac, long srcMac, int srcIp, int dstIp, int ethernetLength) {
        if (ethernetLength < MIN_UDP_FRAME) {
            throw new IllegalArgumentException("an IPv4/UDP frame needs at least " + MIN_UDP_FRAME + " bytes");
        }
        final byte[] data = new byte[ethernetLength - MIN_UDP_FRAME];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (IPV4_L4 + UdpPacket.HEADER_LENGTH + i);
        }
        return udp(dstMac, srcMac, srcIp, dstIp, 40000, 5001, data);
    }

    /**
     * A TCP/IPv4 TSO super-frame as a container's TAP hands it over with offloads on: a virtio-net
     * GSO_TCPV4 header asking for segments of {@code mss} bytes, a 32-byte TCP header (timestamps,
     * as Linux sends) with ACK|PSH, {@code payload} bytes, and NEEDS_CSUM (the checksum field holds
     * the pseudo-header sum only).
     */
    public static byte[] tcpSuperFrame(long dstMac, long srcMac, int srcIp, int dstIp, int payload, int mss) {
        return tcpSuperFrame(
                dstMac, srcMac, srcIp, dstIp, SUPER_FRAME_SEQUENCE, TcpPacket.ACK | TcpPacket.PSH, payload, mss);
    }

    /**
     * As {@link #tcpSuperFrame(long, long, int, int, int, int)} with the first sequence number
     * (one near 2^32 wraps around within the super-frame) and the TCP flags given.
     */
    public static byte[] tcpSuperFrame(
            long dstMac, long srcMac, int srcIp, int dstIp, int sequence, int flags, int payload, int mss) {
        final int ipLength = Ipv4Packet.MIN_HEADER_LENGTH + TCP_TIMESTAMPS_HEADER + payload;
        if (ipLength > 65_535) {
            throw new IllegalArgumentException("an IPv4 super-frame holds at most "
                    + (65_535 - Ipv4Packet.MIN_HEADER_LENGTH - TCP_TIMESTAMPS_HEADER) + " payload bytes");
        }
        final byte[] tcp = new byte[TCP_TIMESTAMPS_HEADER + payload];
        final UnsafeBuffer b = new UnsafeBuffer(tcp);
        b.putShort(TcpPacket.SOURCE_PORT_OFFSET, (short) 40000, ByteOrder.BIG_ENDIAN);
        b.putShort(TcpPacket.DESTINATION_PORT_OFFSET, (short) 5201, ByteOrder.BIG_ENDIAN);
        b.putInt(TcpPacket.SEQUENCE_OFFSET, sequence, ByteOrder.BIG_ENDIAN);
        b.putInt(TcpPacket.ACKNOWLEDGMENT_OFFSET, 77, ByteOrder.BIG_ENDIAN);
        b.putByte(TcpPacket.DATA_OFFSET_OFFSET, (byte) ((TCP_TIMESTAMPS_HEADER / 4) << 4));
        b.putByte(TcpPacket.FLAGS_OFFSET, (byte) flags);
        b.putShort(TcpPacket.WINDOW_OFFSET, (short) 512, ByteOrder.BIG_ENDIAN);
        final int pseudo = InternetChecksum.pseudoHeaderIpv4(srcIp, dstIp, Ipv4Packet.PROTOCOL_TCP, tcp.length);
        // NEEDS_CSUM: the checksum field holds the folded pseudo-header sum (not complemented)
        b.putShort(TcpPacket.CHECKSUM_OFFSET, (short) InternetChecksum.fold(pseudo), ByteOrder.BIG_ENDIAN);
        b.putInt(TcpPacket.MIN_HEADER_LENGTH, 0x0101_080A, ByteOrder.BIG_ENDIAN); // NOP NOP, timestamps (8, 10)
        b.putInt(TcpPacket.MIN_HEADER_LENGTH + 4, 1, ByteOrder.BIG_ENDIAN);
        b.putInt(TcpPacket.MIN_HEADER_LENGTH + 8, 2, ByteOrder.BIG_ENDIAN);
        for (int i = TCP_TIMESTAMPS_HEADER; i < tcp.length; i++) {
            tcp[i] = (byte) ((IPV4_L4 + i) * 7); // byte i of the frame is (byte) (i * 7)
        }
        final int l4FromEthernet = EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH;
        final UnsafeBuffer vnet = new UnsafeBuffer(new byte[VirtioNetHeader.LENGTH]);
        VirtioNetHeader.setTcpSegmentation(
                vnet, 0, VirtioNetHeader.GSO_TCPV4, l4FromEthernet, l4FromEthernet + TCP_TIMESTAMPS_HEADER, mss);
        return ipv4Frame(dstMac, srcMac, srcIp, dstIp, Ipv4Packet.PROTOCOL_TCP, tcp)
                .vnetHeader(vnet.byteArray())
                .rawTransport()
                .build();
    }

    /**
     * An IPv6 packet carrying {@code l4} after a fixed header; the ICMPv6 checksum is filled in when
     * {@code nextHeader} is ICMPv6.
     */
    public static byte[] ipv6(
            long dstMac,
            long srcMac,
            long srcHigh,
            long srcLow,
            long dstHigh,
            long dstLow,
            int nextHeader,
            int hopLimit,
            byte[] l4) {
        final byte[] payload = new byte[Ipv6Packet.HEADER_LENGTH + l4.length];
        final UnsafeBuffer p = new UnsafeBuffer(payload);
        p.putInt(Ipv6Packet.VERSION_CLASS_FLOW_OFFSET, Ipv6Packet.VERSION_WORD, ByteOrder.BIG_ENDIAN);
        p.putShort(Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) l4.length, ByteOrder.BIG_ENDIAN);
        p.putByte(Ipv6Packet.NEXT_HEADER_OFFSET, (byte) nextHeader);
        p.putByte(Ipv6Packet.HOP_LIMIT_OFFSET, (byte) hopLimit);
        p.putLong(Ipv6Packet.SOURCE_OFFSET, srcHigh, ByteOrder.BIG_ENDIAN);
        p.putLong(Ipv6Packet.SOURCE_OFFSET + 8, srcLow, ByteOrder.BIG_ENDIAN);
        p.putLong(Ipv6Packet.DESTINATION_OFFSET, dstHigh, ByteOrder.BIG_ENDIAN);
        p.putLong(Ipv6Packet.DESTINATION_OFFSET + 8, dstLow, ByteOrder.BIG_ENDIAN);
        p.putBytes(Ipv6Packet.HEADER_LENGTH, l4);
        final byte[] frame = ethernet(dstMac, srcMac, EthernetFrame.ETHERTYPE_IPV6, payload);
        if (nextHeader == Ipv6Packet.NEXT_HEADER_ICMPV6 && l4.length >= 4) {
            final UnsafeBuffer b = new UnsafeBuffer(frame);
            final int checksum = IPV6_L4 + Icmpv6Packet.CHECKSUM_OFFSET;
            b.putShort(checksum, (short) 0);
            final int sum = InternetChecksum.partialSum(
                    b,
                    IPV6_L4,
                    l4.length,
                    InternetChecksum.pseudoHeaderIpv6(
                            b,
                            L3 + Ipv6Packet.SOURCE_OFFSET,
                            L3 + Ipv6Packet.DESTINATION_OFFSET,
                            nextHeader,
                            l4.length));
            b.putShort(checksum, (short) ~InternetChecksum.fold(sum), ByteOrder.BIG_ENDIAN);
        }
        return frame;
    }

    /**
     * A neighbor solicitation for the target, to its solicited-node group, with a source link-layer
     * address option.
     */
    public static byte[] neighborSolicitation(long srcMac, long srcHigh, long srcLow, long targetHigh, long targetLow) {
        final UnsafeBuffer m =
                new UnsafeBuffer(new byte[Icmpv6Packet.ND_OPTIONS_OFFSET + Icmpv6Packet.OPTION_LINK_LAYER_LENGTH]);
        m.putByte(Icmpv6Packet.TYPE_OFFSET, (byte) Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION);
        m.putLong(Icmpv6Packet.TARGET_OFFSET, targetHigh, ByteOrder.BIG_ENDIAN);
        m.putLong(Icmpv6Packet.TARGET_OFFSET + 8, targetLow, ByteOrder.BIG_ENDIAN);
        m.putByte(Icmpv6Packet.ND_OPTIONS_OFFSET, (byte) Icmpv6Packet.OPTION_SOURCE_LINK_LAYER);
        m.putByte(Icmpv6Packet.ND_OPTIONS_OFFSET + 1, (byte) 1); // its length, in units of 8 bytes
        MacAddress.write(m, Icmpv6Packet.ND_OPTIONS_OFFSET + Icmpv6Packet.OPTION_LINK_LAYER_ADDRESS_OFFSET, srcMac);
        final long group = 0xFF02_0000_0000_0000L;
        final long groupLow = 0x0000_0001_FF00_0000L | (targetLow & 0xFF_FFFFL);
        final long groupMac = 0x3333_0000_0000L | (groupLow & 0xFFFF_FFFFL);
        return ipv6(
                groupMac,
                srcMac,
                srcHigh,
                srcLow,
                group,
                groupLow,
                Ipv6Packet.NEXT_HEADER_ICMPV6,
                Icmpv6Packet.ND_HOP_LIMIT,
                m.byteArray());
    }

    /**
     * An unsolicited neighbor advertisement of {@code target} (override flag) from it to all nodes,
     * with a target link-layer address option of {@code optionMac}.
     */
    public static byte[] neighborAdvertisement(long srcMac, long targetHigh, long targetLow, long optionMac) {
        final UnsafeBuffer m = new UnsafeBuffer(new byte[Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH]);
        final Icmpv6Packet icmp = new Icmpv6Packet();
        icmp.wrap(m, 0, Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH);
        icmp.writeNeighborAdvertisement(targetHigh, targetLow, optionMac, Icmpv6Packet.NA_FLAG_OVERRIDE);
        final long allNodesLow = 1;
        return ipv6(
                0x3333_0000_0001L,
                srcMac,
                targetHigh,
                targetLow,
                0xFF02_0000_0000_0000L,
                allNodesLow,
                Ipv6Packet.NEXT_HEADER_ICMPV6,
                Icmpv6Packet.ND_HOP_LIMIT,
                m.byteArray());
    }

    /** An ICMPv6 echo request (identifier 0x1234, sequence 1) with {@code payload} zero bytes of data. */
    public static byte[] echoRequestV6(
            long dstMac, long srcMac, long srcHigh, long srcLow, long dstHigh, long dstLow, int hopLimit, int payload) {
        final UnsafeBuffer m = new UnsafeBuffer(new byte[Icmpv6Packet.HEADER_LENGTH + payload]);
        m.putByte(Icmpv6Packet.TYPE_OFFSET, (byte) Icmpv6Packet.TYPE_ECHO_REQUEST);
        m.putShort(Icmpv6Packet.IDENTIFIER_OFFSET, (short) ECHO_IDENTIFIER, ByteOrder.BIG_ENDIAN);
        m.putShort(Icmpv6Packet.SEQUENCE_OFFSET, (short) 1, ByteOrder.BIG_ENDIAN);
        return ipv6(
                dstMac,
                srcMac,
                srcHigh,
                srcLow,
                dstHigh,
                dstLow,
                Ipv6Packet.NEXT_HEADER_ICMPV6,
                hopLimit,
                m.byteArray());
    }
}
