package io.jvswitch.bench;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * Frames as a port hands them to the switch: a zeroed 10-byte virtio-net header (no offload
 * request) followed by an Ethernet frame. Built once in setup, never on the measured path.
 */
final class BenchFrames {
    static final int ETH_HEADER = EthernetFrame.HEADER_LENGTH;
    private static final int IPV4_HEADER = 20;
    private static final int UDP_HEADER = 8;
    /** Smallest Ethernet frame that holds an IPv4 and a UDP header. */
    static final int MIN_UDP_FRAME = ETH_HEADER + IPV4_HEADER + UDP_HEADER;

    private BenchFrames() {}

    /**
     * An untagged IPv4/UDP frame of exactly {@code ethernetLength} bytes (Ethernet header included,
     * no FCS: a TAP device carries none), with valid IPv4 and UDP checksums.
     */
    static byte[] udp(long dstMac, long srcMac, int srcIp, int dstIp, int ethernetLength) {
        if (ethernetLength < MIN_UDP_FRAME) {
            throw new IllegalArgumentException("an IPv4/UDP frame needs at least " + MIN_UDP_FRAME + " bytes");
        }
        final int ipLength = ethernetLength - ETH_HEADER;
        final int udpLength = ipLength - IPV4_HEADER;
        final ByteBuffer b = ByteBuffer.allocate(VirtioNetHeader.LENGTH + ethernetLength); // big-endian
        final int udp = putEthernetAndIpv4(b, dstMac, srcMac, srcIp, dstIp, 17, ipLength);
        b.putShort((short) 40000)
                .putShort((short) 5001)
                .putShort((short) udpLength)
                .putShort((short) 0);
        for (int i = udp + UDP_HEADER; i < b.capacity(); i++) {
            b.put(i, (byte) i);
        }
        final int pseudo = InternetChecksum.pseudoHeaderIpv4(srcIp, dstIp, 17, udpLength);
        final int udpSum = checksum(b.array(), udp, udpLength, pseudo);
        b.putShort(udp + 6, (short) (udpSum == 0 ? 0xFFFF : udpSum));
        return b.array();
    }

    /**
     * A TCP/IPv4 TSO super-frame as a container's TAP hands it over with offloads on: a virtio-net
     * GSO_TCPV4 header asking for segments of {@code mss} bytes, a 32-byte TCP header (timestamps,
     * as Linux sends), {@code payload} bytes of payload, and NEEDS_CSUM (the checksum field holds
     * the pseudo-header sum only).
     */
    static byte[] tcpSuperFrame(long dstMac, long srcMac, int srcIp, int dstIp, int payload, int mss) {
        final int tcpHeader = 32;
        final int ipLength = IPV4_HEADER + tcpHeader + payload;
        if (ipLength > 65_535) {
            throw new IllegalArgumentException(
                    "an IPv4 super-frame holds at most " + (65_535 - IPV4_HEADER - tcpHeader) + " payload bytes");
        }
        final ByteBuffer b = ByteBuffer.allocate(VirtioNetHeader.LENGTH + ETH_HEADER + ipLength); // big-endian
        VirtioNetHeader.setTcpSegmentation(
                new UnsafeBuffer(b.array()),
                0,
                VirtioNetHeader.GSO_TCPV4,
                ETH_HEADER + IPV4_HEADER,
                ETH_HEADER + IPV4_HEADER + tcpHeader,
                mss);
        final int tcp = putEthernetAndIpv4(b, dstMac, srcMac, srcIp, dstIp, 6, ipLength);
        b.putShort((short) 40000).putShort((short) 5201).putInt(0x1000_0000).putInt(77);
        b.put((byte) ((tcpHeader / 4) << 4)).put((byte) 0x18).putShort((short) 512); // ACK|PSH, window
        final int pseudo = InternetChecksum.pseudoHeaderIpv4(srcIp, dstIp, 6, tcpHeader + payload);
        // NEEDS_CSUM: the checksum field holds the folded pseudo-header sum (not complemented)
        b.putShort((short) ~checksum(b.array(), 0, 0, pseudo)).putShort((short) 0); // urgent pointer
        b.put((byte) 1).put((byte) 1).put((byte) 8).put((byte) 10).putInt(1).putInt(2); // NOP NOP timestamps
        for (int i = tcp + tcpHeader; i < b.capacity(); i++) {
            b.put(i, (byte) (i * 7));
        }
        return b.array();
    }

    /**
     * Writes an untagged Ethernet header and an IPv4 header (no options, don't fragment, TTL 64,
     * a valid header checksum) behind the virtio-net header; returns where the IPv4 payload starts,
     * which is also the buffer's position.
     */
    private static int putEthernetAndIpv4(
            ByteBuffer b, long dstMac, long srcMac, int srcIp, int dstIp, int protocol, int ipLength) {
        b.position(VirtioNetHeader.LENGTH);
        putMac(b, dstMac);
        putMac(b, srcMac);
        b.putShort((short) EthernetFrame.ETHERTYPE_IPV4);
        final int ip = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) ipLength);
        b.putShort((short) 0x1234).putShort((short) 0x4000); // id, don't fragment
        b.put((byte) 64).put((byte) protocol).putShort((short) 0); // ttl, protocol, checksum below
        b.putInt(srcIp).putInt(dstIp);
        b.putShort(ip + 10, (short) checksum(b.array(), ip, IPV4_HEADER, 0));
        return b.position();
    }

    /** A 42-byte broadcast ARP request: who has {@code targetIp}? tell {@code senderIp}. */
    static byte[] arpRequest(long senderMac, int senderIp, int targetIp) {
        final byte[] frame = new byte[VirtioNetHeader.LENGTH + ArpPacket.FRAME_LENGTH];
        ArpPacket.encode(
                new UnsafeBuffer(frame),
                VirtioNetHeader.LENGTH,
                0xFFFF_FFFF_FFFFL,
                senderMac,
                ArpPacket.OP_REQUEST,
                senderMac,
                senderIp,
                0L,
                targetIp);
        return frame;
    }

    /**
     * An IPv6 frame with an ICMPv6 message {@code icmp} (its checksum filled in here), hop limit
     * {@code hopLimit}: {@code src} and {@code dst} are {high, low} halves of the addresses.
     */
    static byte[] icmpv6(long dstMac, long srcMac, long[] src, long[] dst, int hopLimit, byte[] icmp) {
        final ByteBuffer b = ByteBuffer.allocate(VirtioNetHeader.LENGTH + ETH_HEADER + 40 + icmp.length);
        b.position(VirtioNetHeader.LENGTH);
        putMac(b, dstMac);
        putMac(b, srcMac);
        b.putShort((short) EthernetFrame.ETHERTYPE_IPV6);
        final int l3 = b.position();
        b.putInt(0x6000_0000).putShort((short) icmp.length).put((byte) 58).put((byte) hopLimit);
        b.putLong(src[0]).putLong(src[1]).putLong(dst[0]).putLong(dst[1]);
        final int l4 = b.position();
        b.put(icmp);
        final UnsafeBuffer u = new UnsafeBuffer(b.array());
        final int pseudo = InternetChecksum.pseudoHeaderIpv6(u, l3 + 8, l3 + 24, 58, icmp.length);
        b.putShort(l4 + 2, (short) checksum(b.array(), l4, icmp.length, InternetChecksum.fold(pseudo)));
        return b.array();
    }

    /** A neighbor solicitation for {@code target} to its solicited-node group, with a source link-layer option. */
    static byte[] neighborSolicitation(long senderMac, long[] sender, long[] target) {
        final ByteBuffer m = ByteBuffer.allocate(32);
        m.put((byte) 135)
                .put((byte) 0)
                .putShort((short) 0)
                .putInt(0)
                .putLong(target[0])
                .putLong(target[1]);
        m.put((byte) 1).put((byte) 1);
        putMac(m, senderMac);
        final long[] group = {0xFF02_0000_0000_0000L, 0x0000_0001_FF00_0000L | (target[1] & 0xFF_FFFFL)};
        return icmpv6(0x3333_0000_0000L | (group[1] & 0xFFFF_FFFFL), senderMac, sender, group, 255, m.array());
    }

    /** An ICMPv6 echo request with {@code payload} bytes of data. */
    static byte[] echoRequestV6(long dstMac, long srcMac, long[] src, long[] dst, int payload) {
        final byte[] m = new byte[8 + payload];
        m[0] = (byte) 128;
        m[5] = 1;
        return icmpv6(dstMac, srcMac, src, dst, 64, m);
    }

    /** RFC 1071 checksum of {@code length} bytes at {@code offset}, starting from a partial sum. */
    private static int checksum(byte[] data, int offset, int length, int initial) {
        long sum = initial & 0xFFFF_FFFFL;
        int i = offset;
        for (; i + 1 < offset + length; i += 2) {
            sum += ((data[i] & 0xFF) << 8) | (data[i + 1] & 0xFF);
        }
        if (i < offset + length) {
            sum += (data[i] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    private static void putMac(ByteBuffer b, long mac) {
        for (int shift = 40; shift >= 0; shift -= 8) {
            b.put((byte) (mac >>> shift));
        }
    }
}
