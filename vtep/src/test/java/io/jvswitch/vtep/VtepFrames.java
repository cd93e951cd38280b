package io.jvswitch.vtep;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/** Frames for the VTEP tests, built with the packet module's encoders ([virtio-net header][Ethernet]). */
final class VtepFrames {
    static final long MAC_A = 0x02_4a_0a_0a_00_02L;
    static final long MAC_B = 0x02_4a_0a_0a_00_03L;
    static final int IP_A = 0x0a0a0002;
    static final int IP_B = 0x0a0a0003;

    private VtepFrames() {}

    /** A UDP/IPv4 frame of {@code payload} bytes from A to {@code dstMac}. */
    static byte[] udp(long dstMac, int payload) {
        final int ipLength = 20 + 8 + payload;
        final UnsafeBuffer b = new UnsafeBuffer(new byte[VirtioNetHeader.LENGTH + 14 + ipLength]);
        MacAddress.write(b, 10, dstMac);
        MacAddress.write(b, 16, MAC_A);
        b.putShort(22, (short) EthernetFrame.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        ipv4Header(b, 24, ipLength, Ipv4Packet.PROTOCOL_UDP, 7);
        b.putShort(44, (short) 5000, ByteOrder.BIG_ENDIAN);
        b.putShort(46, (short) 6000, ByteOrder.BIG_ENDIAN);
        b.putShort(48, (short) (8 + payload), ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < payload; i++) {
            b.putByte(52 + i, (byte) i);
        }
        return b.byteArray();
    }

    /** A gratuitous ARP (broadcast) from A. */
    static byte[] arpFromA() {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[VirtioNetHeader.LENGTH + 42]);
        ArpPacket.encode(b, 10, MacAddress.BROADCAST, MAC_A, ArpPacket.OP_REQUEST, MAC_A, IP_A, 0L, IP_A);
        return b.byteArray();
    }

    /**
     * A TCP/IPv4 super-frame from A to B as a container's kernel hands it over with TSO: GSO_TCPV4,
     * NEEDS_CSUM, the TCP checksum field holding the pseudo-header sum; 12 bytes of TCP options.
     */
    static byte[] tcpSuperFrame(int payload, int mss, int flags) {
        final int tcpHeader = 32;
        final int ipLength = 20 + tcpHeader + payload;
        final UnsafeBuffer b = new UnsafeBuffer(new byte[VirtioNetHeader.LENGTH + 14 + ipLength]);
        VirtioNetHeader.setTcpSegmentation(b, 0, VirtioNetHeader.GSO_TCPV4, 14 + 20, 14 + 20 + tcpHeader, mss);
        MacAddress.write(b, 10, MAC_B);
        MacAddress.write(b, 16, MAC_A);
        b.putShort(22, (short) EthernetFrame.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        ipv4Header(b, 24, Math.min(ipLength, 65_535), Ipv4Packet.PROTOCOL_TCP, 0x1234);
        final int tcp = 44;
        b.putShort(tcp, (short) 40000, ByteOrder.BIG_ENDIAN);
        b.putShort(tcp + 2, (short) 5201, ByteOrder.BIG_ENDIAN);
        b.putInt(tcp + 4, 0xFFFF_F000, ByteOrder.BIG_ENDIAN); // wraps around during the super-frame
        b.putInt(tcp + 8, 77, ByteOrder.BIG_ENDIAN);
        b.putByte(tcp + 12, (byte) ((tcpHeader / 4) << 4));
        b.putByte(tcp + 13, (byte) flags);
        b.putShort(tcp + 14, (short) 512, ByteOrder.BIG_ENDIAN);
        b.putByte(tcp + 20, (byte) 1);
        b.putByte(tcp + 21, (byte) 1);
        b.putByte(tcp + 22, (byte) 8);
        b.putByte(tcp + 23, (byte) 10);
        for (int i = 0; i < payload; i++) {
            b.putByte(tcp + tcpHeader + i, (byte) (i * 7));
        }
        b.putShort(
                tcp + TcpPacket.CHECKSUM_OFFSET,
                (short) InternetChecksum.fold(
                        InternetChecksum.pseudoHeaderIpv4(IP_A, IP_B, Ipv4Packet.PROTOCOL_TCP, tcpHeader + payload)),
                ByteOrder.BIG_ENDIAN);
        return b.byteArray();
    }

    private static void ipv4Header(UnsafeBuffer b, int at, int totalLength, int protocol, int id) {
        b.putByte(at, (byte) 0x45);
        b.putShort(at + 2, (short) totalLength, ByteOrder.BIG_ENDIAN);
        b.putShort(at + 4, (short) id, ByteOrder.BIG_ENDIAN);
        b.putShort(at + 6, (short) 0x4000, ByteOrder.BIG_ENDIAN);
        b.putByte(at + 8, (byte) 64);
        b.putByte(at + 9, (byte) protocol);
        b.putInt(at + 12, IP_A, ByteOrder.BIG_ENDIAN);
        b.putInt(at + 16, IP_B, ByteOrder.BIG_ENDIAN);
        b.putShort(at + 10, (short) InternetChecksum.compute(b, at, 20), ByteOrder.BIG_ENDIAN);
    }
}
