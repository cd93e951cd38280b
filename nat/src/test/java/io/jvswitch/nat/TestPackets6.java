package io.jvswitch.nat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteOrder;

/**
 * Real IPv6 packets as the IPv6 router hands them to the hook (virtio-net header, Ethernet, IPv6),
 * with checksums computed from scratch, and checks that recompute them from scratch: the IPv6
 * counterpart of {@link TestPackets}.
 */
final class TestPackets6 {
    static final int IP = VirtioNetHeader.LENGTH + 14;
    static final int L4 = IP + Ipv6Packet.HEADER_LENGTH;

    private TestPackets6() {}

    static long high(String address) {
        return bytes(address).getLong(0, ByteOrder.BIG_ENDIAN);
    }

    static long low(String address) {
        return bytes(address).getLong(8, ByteOrder.BIG_ENDIAN);
    }

    private static UnsafeBuffer bytes(String address) {
        final InetAddress parsed = InetAddress.ofLiteral(address);
        assertTrue(parsed instanceof Inet6Address, address);
        return new UnsafeBuffer(parsed.getAddress());
    }

    static UnsafeBuffer tcp(String src, int sport, String dst, int dport, int flags) {
        final int payload = 16;
        final UnsafeBuffer b = ipv6(Ipv6Packet.NEXT_HEADER_TCP, src, dst, 20 + payload);
        b.putShort(L4, (short) sport, ByteOrder.BIG_ENDIAN);
        b.putShort(L4 + 2, (short) dport, ByteOrder.BIG_ENDIAN);
        b.putInt(L4 + 4, 0x1000_0001, ByteOrder.BIG_ENDIAN);
        b.putInt(L4 + 8, (flags & TcpPacket.ACK) != 0 ? 0x2000_0001 : 0, ByteOrder.BIG_ENDIAN);
        b.putByte(L4 + 12, (byte) 0x50);
        b.putByte(L4 + 13, (byte) flags);
        b.putShort(L4 + 14, (short) 65535, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < payload; i++) {
            b.putByte(L4 + 20 + i, (byte) (i * 7 + 3));
        }
        final TcpPacket tcp = new TcpPacket();
        tcp.wrap(b, L4, 20 + payload);
        tcp.setChecksum(tcp.computeChecksum(pseudo(b)));
        return b;
    }

    /** A TCP segment as a container's kernel sends it with checksum offload: NEEDS_CSUM, partial checksum. */
    static UnsafeBuffer tcpPartial(String src, int sport, String dst, int dport, int flags) {
        final UnsafeBuffer b = tcp(src, sport, dst, dport, flags);
        b.putShort(L4 + 16, (short) InternetChecksum.fold(pseudo(b)), ByteOrder.BIG_ENDIAN);
        VirtioNetHeader.setFlags(b, 0, VirtioNetHeader.FLAG_NEEDS_CSUM);
        VirtioNetHeader.setChecksumStart(b, 0, L4 - VirtioNetHeader.LENGTH);
        VirtioNetHeader.setChecksumOffset(b, 0, 16);
        return b;
    }

    static UnsafeBuffer udp(String src, int sport, String dst, int dport) {
        final int payload = 11;
        final UnsafeBuffer b = ipv6(Ipv6Packet.NEXT_HEADER_UDP, src, dst, 8 + payload);
        b.putShort(L4, (short) sport, ByteOrder.BIG_ENDIAN);
        b.putShort(L4 + 2, (short) dport, ByteOrder.BIG_ENDIAN);
        b.putShort(L4 + 4, (short) (8 + payload), ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < payload; i++) {
            b.putByte(L4 + 8 + i, (byte) (0xA0 + i));
        }
        final UdpPacket udp = new UdpPacket();
        udp.wrap(b, L4, 8 + payload);
        udp.setChecksum(udp.computeChecksum(pseudo(b)));
        return b;
    }

    static UnsafeBuffer echo(String src, String dst, int type, int id) {
        final UnsafeBuffer b = ipv6(Ipv6Packet.NEXT_HEADER_ICMPV6, src, dst, 8 + 24);
        b.putByte(L4, (byte) type);
        b.putShort(L4 + 4, (short) id, ByteOrder.BIG_ENDIAN);
        b.putShort(L4 + 6, (short) 1, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 24; i++) {
            b.putByte(L4 + 8 + i, (byte) i);
        }
        icmpChecksum(b);
        return b;
    }

    /** An ICMPv6 error from {@code src} to {@code dst} quoting {@code quotedBytes} bytes of the packet in {@code quoted}. */
    static UnsafeBuffer icmpError(String src, String dst, int type, int code, UnsafeBuffer quoted, int quotedBytes) {
        final UnsafeBuffer b = ipv6(Ipv6Packet.NEXT_HEADER_ICMPV6, src, dst, 8 + quotedBytes);
        b.putByte(L4, (byte) type);
        b.putByte(L4 + 1, (byte) code);
        b.putBytes(L4 + 8, quoted, IP, quotedBytes);
        icmpChecksum(b);
        return b;
    }

    /** A first fragment: a fragment header before the UDP header. */
    static UnsafeBuffer fragment(String src, String dst) {
        final UnsafeBuffer b = ipv6(Ipv6Packet.NEXT_HEADER_FRAGMENT, src, dst, 8 + 16);
        b.putByte(L4, (byte) Ipv6Packet.NEXT_HEADER_UDP);
        b.putShort(L4 + 2, (short) 1, ByteOrder.BIG_ENDIAN); // offset 0, more fragments
        return b;
    }

    private static UnsafeBuffer ipv6(int nextHeader, String src, String dst, int l4Length) {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[L4 + l4Length]);
        b.putShort(VirtioNetHeader.LENGTH + 12, (short) 0x86DD, ByteOrder.BIG_ENDIAN);
        final Ipv6Packet ip = new Ipv6Packet();
        b.putInt(IP, Ipv6Packet.VERSION_WORD, ByteOrder.BIG_ENDIAN);
        b.putShort(IP + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) l4Length, ByteOrder.BIG_ENDIAN);
        ip.wrap(b, IP, Ipv6Packet.HEADER_LENGTH + l4Length);
        ip.setNextHeader(nextHeader);
        ip.setHopLimit(64);
        ip.setSource(high(src), low(src));
        ip.setDestination(high(dst), low(dst));
        return b;
    }

    private static void icmpChecksum(UnsafeBuffer b) {
        final Ipv6Packet ip = new Ipv6Packet();
        ip.wrap(b, IP, b.capacity() - IP);
        final Icmpv6Packet icmp = new Icmpv6Packet();
        icmp.wrap(b, L4, ip.payloadLength());
        icmp.setChecksum(icmp.computeChecksum(ip, ip.payloadLength()));
    }

    static int ipLength(UnsafeBuffer b) {
        return b.capacity() - IP;
    }

    private static int pseudo(UnsafeBuffer b) {
        final Ipv6Packet ip = new Ipv6Packet();
        ip.wrap(b, IP, b.capacity() - IP);
        return ip.pseudoHeaderSum(ip.nextHeader(), ip.payloadLength());
    }

    static String source(UnsafeBuffer b) {
        return Ipv6Address.format(
                b.getLong(IP + Ipv6Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
                b.getLong(IP + Ipv6Packet.SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN));
    }

    static String destination(UnsafeBuffer b) {
        return Ipv6Address.format(
                b.getLong(IP + Ipv6Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN),
                b.getLong(IP + Ipv6Packet.DESTINATION_OFFSET + 8, ByteOrder.BIG_ENDIAN));
    }

    static int sourcePort(UnsafeBuffer b) {
        return b.getShort(L4, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    static int destinationPort(UnsafeBuffer b) {
        return b.getShort(L4 + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    static int echoId(UnsafeBuffer b) {
        return b.getShort(L4 + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** The L4 checksum, recomputed from scratch under the pseudo-header, must verify. */
    static void assertChecksums(UnsafeBuffer b) {
        final Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(b, IP, b.capacity() - IP));
        final int sum = InternetChecksum.partialSum(
                b, L4, ip.payloadLength(), ip.pseudoHeaderSum(ip.nextHeader(), ip.payloadLength()));
        assertTrue(InternetChecksum.fold(sum) == 0xFFFF, "checksum of next header " + ip.nextHeader());
    }
}
