package io.jvswitch.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.testsupport.FrameBuilder;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Real IPv4 packets as the router hands them to the hook (virtio-net header, Ethernet, IPv4), the
 * headers from {@link FrameBuilder}, the transport checksums computed here from scratch, and checks
 * that recompute them from scratch.
 */
final class TestPackets {
    static final int IP = FrameBuilder.L3;

    private TestPackets() {}

    static int ip(String dotted) {
        return Ipv4Address.parse(dotted);
    }

    static UnsafeBuffer tcp(String src, int sport, String dst, int dport, int flags) {
        return tcp(src, sport, dst, dport, flags, 16);
    }

    static UnsafeBuffer tcp(String src, int sport, String dst, int dport, int flags, int payload) {
        final UnsafeBuffer b = ipv4(Ipv4Packet.PROTOCOL_TCP, src, dst, 20 + payload);
        final int l4 = IP + 20;
        b.putShort(l4, (short) sport, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 2, (short) dport, ByteOrder.BIG_ENDIAN);
        b.putInt(l4 + 4, 0x1000_0001, ByteOrder.BIG_ENDIAN);
        b.putInt(l4 + 8, (flags & TcpPacket.ACK) != 0 ? 0x2000_0001 : 0, ByteOrder.BIG_ENDIAN);
        b.putByte(l4 + 12, (byte) 0x50);
        b.putByte(l4 + 13, (byte) flags);
        b.putShort(l4 + 14, (short) 65535, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < payload; i++) {
            b.putByte(l4 + 20 + i, (byte) (i * 7 + 3));
        }
        final TcpPacket tcp = new TcpPacket();
        tcp.wrap(b, l4, 20 + payload);
        tcp.setChecksum(tcp.computeChecksum(pseudo(b)));
        return b;
    }

    /** A TCP segment as a container's kernel sends it with checksum offload: NEEDS_CSUM, partial checksum. */
    static UnsafeBuffer tcpPartial(String src, int sport, String dst, int dport, int flags) {
        final UnsafeBuffer b = tcp(src, sport, dst, dport, flags);
        final int l4 = IP + 20;
        b.putShort(l4 + 16, (short) InternetChecksum.fold(pseudo(b)), ByteOrder.BIG_ENDIAN);
        VirtioNetHeader.setFlags(b, 0, VirtioNetHeader.FLAG_NEEDS_CSUM);
        VirtioNetHeader.setChecksumStart(b, 0, l4 - VirtioNetHeader.LENGTH);
        VirtioNetHeader.setChecksumOffset(b, 0, 16);
        return b;
    }

    static UnsafeBuffer udp(String src, int sport, String dst, int dport, boolean zeroChecksum) {
        final int payload = 11;
        final UnsafeBuffer b = ipv4(Ipv4Packet.PROTOCOL_UDP, src, dst, 8 + payload);
        final int l4 = IP + 20;
        b.putShort(l4, (short) sport, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 2, (short) dport, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 4, (short) (8 + payload), ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < payload; i++) {
            b.putByte(l4 + 8 + i, (byte) (0xA0 + i));
        }
        if (!zeroChecksum) {
            final UdpPacket udp = new UdpPacket();
            udp.wrap(b, l4, 8 + payload);
            udp.setChecksum(udp.computeChecksum(pseudo(b)));
        }
        return b;
    }

    static UnsafeBuffer icmpEcho(String src, String dst, int type, int id) {
        final UnsafeBuffer b = ipv4(Ipv4Packet.PROTOCOL_ICMP, src, dst, 8 + 24);
        final int l4 = IP + 20;
        b.putByte(l4, (byte) type);
        b.putShort(l4 + 4, (short) id, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 6, (short) 1, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 24; i++) {
            b.putByte(l4 + 8 + i, (byte) i);
        }
        b.putShort(l4 + 2, (short) InternetChecksum.compute(b, l4, 32), ByteOrder.BIG_ENDIAN);
        return b;
    }

    /**
     * An ICMP error from {@code src} to {@code dst} quoting {@code quotedBytes} bytes of the IPv4
     * packet in {@code quoted} (as the kernel does: header plus the start of the payload).
     */
    static UnsafeBuffer icmpError(String src, String dst, int type, int code, UnsafeBuffer quoted, int quotedBytes) {
        final UnsafeBuffer b = ipv4(Ipv4Packet.PROTOCOL_ICMP, src, dst, 8 + quotedBytes);
        final int l4 = IP + 20;
        b.putByte(l4, (byte) type);
        b.putByte(l4 + 1, (byte) code);
        if (type == 3 && code == 4) {
            b.putShort(l4 + 6, (short) 1400, ByteOrder.BIG_ENDIAN);
        }
        b.putBytes(l4 + 8, quoted, IP, quotedBytes);
        b.putShort(l4 + 2, (short) InternetChecksum.compute(b, l4, 8 + quotedBytes), ByteOrder.BIG_ENDIAN);
        return b;
    }

    /** The IPv4 header (TTL 64, DF) before {@code l4Length} zero bytes that the caller fills in. */
    private static UnsafeBuffer ipv4(int protocol, String src, String dst, int l4Length) {
        return new UnsafeBuffer(FrameBuilder.ipv4Frame(0L, 0L, ip(src), ip(dst), protocol, new byte[l4Length])
                .rawTransport()
                .build());
    }

    static int ipLength(UnsafeBuffer b) {
        return b.capacity() - IP;
    }

    private static int pseudo(UnsafeBuffer b) {
        final Ipv4Packet ipv4 = new Ipv4Packet();
        ipv4.wrap(b, IP, b.capacity() - IP);
        return ipv4.pseudoHeaderSum();
    }

    static String source(UnsafeBuffer b) {
        return Ipv4Address.format(b.getInt(IP + 12, ByteOrder.BIG_ENDIAN));
    }

    static String destination(UnsafeBuffer b) {
        return Ipv4Address.format(b.getInt(IP + 16, ByteOrder.BIG_ENDIAN));
    }

    static int sourcePort(UnsafeBuffer b) {
        return b.getShort(IP + 20, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    static int destinationPort(UnsafeBuffer b) {
        return b.getShort(IP + 22, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    static int icmpId(UnsafeBuffer b) {
        return b.getShort(IP + 24, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** Every checksum of the packet, recomputed from scratch, must verify (a zero UDP checksum is "none"). */
    static void assertChecksums(UnsafeBuffer b) {
        final Ipv4Packet ipv4 = new Ipv4Packet();
        assertTrue(ipv4.wrap(b, IP, b.capacity() - IP));
        assertTrue(ipv4.isHeaderChecksumValid(), "IPv4 header checksum");
        final int l4 = ipv4.payloadOffset();
        final int l4Length = ipv4.payloadLength();
        switch (ipv4.protocol()) {
            case Ipv4Packet.PROTOCOL_TCP -> {
                final TcpPacket tcp = new TcpPacket();
                assertTrue(tcp.wrap(b, l4, l4Length));
                assertTrue(tcp.isChecksumValid(ipv4.pseudoHeaderSum()), "TCP checksum");
            }
            case Ipv4Packet.PROTOCOL_UDP -> {
                final UdpPacket udp = new UdpPacket();
                assertTrue(udp.wrap(b, l4, l4Length));
                assertTrue(udp.isChecksumValid(ipv4.pseudoHeaderSum()), "UDP checksum");
            }
            default -> assertEquals(0, InternetChecksum.compute(b, l4, l4Length), "ICMP checksum");
        }
    }
}
