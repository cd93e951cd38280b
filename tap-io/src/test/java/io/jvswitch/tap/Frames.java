package io.jvswitch.tap;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.testsupport.FrameBuilder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The TAP tests' frames in the layout {@code [virtio-net header (10)][Ethernet]}: built with
 * {@link FrameBuilder} into the buffer a test hands the port, and read at the packet module's
 * offsets. MACs are byte arrays here, as the tests compare them with what the kernel reports.
 */
final class Frames {

    static final ByteOrder NET = ByteOrder.BIG_ENDIAN;
    /** Offset of the Ethernet header within a frame. */
    static final int ETH = FrameBuilder.ETH;

    static final int ETH_DST = ETH + EthernetFrame.DESTINATION_OFFSET;
    static final int ETH_SRC = ETH + EthernetFrame.SOURCE_OFFSET;
    static final int ETH_TYPE = ETH + EthernetFrame.ETHERTYPE_OFFSET;
    static final int L3 = FrameBuilder.L3;
    static final int ARP_LENGTH = ETH + ArpPacket.FRAME_LENGTH;

    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    static final byte[] PEER_MAC = {0x02, 0x00, 0x00, 0x77, 0x00, 0x02};
    static final int TAP_IP = ipv4(10, 77, 0, 1);
    static final int PEER_IP = ipv4(10, 77, 0, 2);

    private Frames() {}

    static int ipv4(int a, int b, int c, int d) {
        return a << 24 | b << 16 | c << 8 | d;
    }

    static void zeroHeader(MutableDirectBuffer b, int off) {
        b.setMemory(off, TapDevice.VNET_HEADER_LENGTH, (byte) 0);
    }

    /** An ARP frame (virtio-net header zeroed) written at {@code off}; returns its length. */
    static int arp(
            MutableDirectBuffer b,
            int off,
            int op,
            byte[] ethDst,
            byte[] senderMac,
            int senderIp,
            byte[] targetMac,
            int targetIp) {
        final byte[] frame =
                FrameBuilder.arp(mac(ethDst), mac(senderMac), op, mac(senderMac), senderIp, mac(targetMac), targetIp);
        b.putBytes(off, frame);
        return frame.length;
    }

    static int arpRequest(MutableDirectBuffer b, int off, byte[] senderMac, int senderIp, int targetIp) {
        return arp(b, off, ArpPacket.OP_REQUEST, BROADCAST, senderMac, senderIp, new byte[6], targetIp);
    }

    static int etherType(DirectBuffer b, int off) {
        return b.getShort(off + ETH_TYPE, NET) & 0xffff;
    }

    static boolean isArp(DirectBuffer b, int off, int length, int op) {
        return length >= ARP_LENGTH && etherType(b, off) == EthernetFrame.ETHERTYPE_ARP && arpOp(b, off) == op;
    }

    static int arpOp(DirectBuffer b, int off) {
        return b.getShort(off + L3 + ArpPacket.OPERATION_OFFSET, NET) & 0xffff;
    }

    static byte[] arpSenderMac(DirectBuffer b, int off) {
        return bytes(b, off + L3 + ArpPacket.SENDER_MAC_OFFSET, 6);
    }

    static int arpSenderIp(DirectBuffer b, int off) {
        return b.getInt(off + L3 + ArpPacket.SENDER_IP_OFFSET, NET);
    }

    static byte[] arpTargetMac(DirectBuffer b, int off) {
        return bytes(b, off + L3 + ArpPacket.TARGET_MAC_OFFSET, 6);
    }

    static int arpTargetIp(DirectBuffer b, int off) {
        return b.getInt(off + L3 + ArpPacket.TARGET_IP_OFFSET, NET);
    }

    static byte[] bytes(DirectBuffer b, int index, int length) {
        byte[] out = new byte[length];
        b.getBytes(index, out);
        return out;
    }

    static int ipv4Protocol(DirectBuffer b, int off) {
        return b.getByte(off + L3 + Ipv4Packet.PROTOCOL_OFFSET) & 0xff;
    }

    static int ipv4Destination(DirectBuffer b, int off) {
        return b.getInt(off + L3 + Ipv4Packet.DESTINATION_OFFSET, NET);
    }

    static int ipv4HeaderLength(DirectBuffer b, int off) {
        return (b.getByte(off + L3 + Ipv4Packet.VERSION_IHL_OFFSET) & 0x0f) * 4;
    }

    /** Whether the frame is IPv4 carrying {@code protocol} to {@code destination}. */
    static boolean isIpv4(DirectBuffer b, int off, int length, int protocol, int destination) {
        return length >= L3 + Ipv4Packet.MIN_HEADER_LENGTH
                && etherType(b, off) == EthernetFrame.ETHERTYPE_IPV4
                && ipv4Protocol(b, off) == protocol
                && ipv4Destination(b, off) == destination;
    }

    /**
     * Turns the ICMP echo request at {@code off} into the echo reply, in place: swaps MAC and IP
     * addresses, sets the type to echo reply and recomputes both checksums.
     */
    static void echoRequestToReply(MutableDirectBuffer b, int off, int length) {
        final long dst = MacAddress.read(b, off + ETH_DST);
        MacAddress.write(b, off + ETH_DST, MacAddress.read(b, off + ETH_SRC));
        MacAddress.write(b, off + ETH_SRC, dst);
        final Ipv4Packet ip = new Ipv4Packet();
        ip.wrap(b, off + L3, length - L3);
        final int source = ip.source();
        ip.setSource(ip.destination());
        ip.setDestination(source);
        ip.updateHeaderChecksum();
        final IcmpPacket icmp = new IcmpPacket();
        icmp.wrap(b, ip.payloadOffset(), off + length - ip.payloadOffset());
        icmp.setType(IcmpPacket.TYPE_ECHO_REPLY);
        icmp.updateChecksum();
        zeroHeader(b, off);
    }

    private static long mac(byte[] mac) {
        return MacAddress.read(new UnsafeBuffer(mac), 0);
    }
}
