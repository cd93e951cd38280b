package io.jvswitch.tap;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Hand-built test frames in the TAP layout {@code [virtio-net header (10)][Ethernet]}; written field by
 * field here so these tests do not depend on the packet module.
 */
final class Frames {

    static final ByteOrder NET = ByteOrder.BIG_ENDIAN;
    /** Offset of the Ethernet header within a frame. */
    static final int ETH = TapDevice.VNET_HEADER_LENGTH;

    static final int ETH_DST = ETH;
    static final int ETH_SRC = ETH + 6;
    static final int ETH_TYPE = ETH + 12;
    static final int L3 = ETH + 14;
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_ARP = 0x0806;
    static final int ARP_LENGTH = ETH + 14 + 28;

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

    /** An ARP frame (virtio-net header zeroed); returns its length. */
    static int arp(
            MutableDirectBuffer b,
            int off,
            int op,
            byte[] ethDst,
            byte[] senderMac,
            int senderIp,
            byte[] targetMac,
            int targetIp) {
        zeroHeader(b, off);
        b.putBytes(off + ETH_DST, ethDst);
        b.putBytes(off + ETH_SRC, senderMac);
        b.putShort(off + ETH_TYPE, (short) ETHERTYPE_ARP, NET);
        int a = off + L3;
        b.putShort(a, (short) 1, NET); // hardware type: Ethernet
        b.putShort(a + 2, (short) ETHERTYPE_IPV4, NET); // protocol type: IPv4
        b.putByte(a + 4, (byte) 6);
        b.putByte(a + 5, (byte) 4);
        b.putShort(a + 6, (short) op, NET);
        b.putBytes(a + 8, senderMac);
        b.putInt(a + 14, senderIp, NET);
        b.putBytes(a + 18, targetMac);
        b.putInt(a + 24, targetIp, NET);
        return ARP_LENGTH;
    }

    static int arpRequest(MutableDirectBuffer b, int off, byte[] senderMac, int senderIp, int targetIp) {
        return arp(b, off, 1, BROADCAST, senderMac, senderIp, new byte[6], targetIp);
    }

    static int etherType(DirectBuffer b, int off) {
        return b.getShort(off + ETH_TYPE, NET) & 0xffff;
    }

    static boolean isArp(DirectBuffer b, int off, int length, int op) {
        return length >= ARP_LENGTH && etherType(b, off) == ETHERTYPE_ARP && arpOp(b, off) == op;
    }

    static int arpOp(DirectBuffer b, int off) {
        return b.getShort(off + L3 + 6, NET) & 0xffff;
    }

    static byte[] arpSenderMac(DirectBuffer b, int off) {
        return bytes(b, off + L3 + 8, 6);
    }

    static int arpSenderIp(DirectBuffer b, int off) {
        return b.getInt(off + L3 + 14, NET);
    }

    static byte[] arpTargetMac(DirectBuffer b, int off) {
        return bytes(b, off + L3 + 18, 6);
    }

    static int arpTargetIp(DirectBuffer b, int off) {
        return b.getInt(off + L3 + 24, NET);
    }

    static byte[] bytes(DirectBuffer b, int index, int length) {
        byte[] out = new byte[length];
        b.getBytes(index, out);
        return out;
    }

    static int ipv4Protocol(DirectBuffer b, int off) {
        return b.getByte(off + L3 + 9) & 0xff;
    }

    static int ipv4Destination(DirectBuffer b, int off) {
        return b.getInt(off + L3 + 16, NET);
    }

    static int ipv4HeaderLength(DirectBuffer b, int off) {
        return (b.getByte(off + L3) & 0x0f) * 4;
    }

    /** Whether the frame is IPv4 carrying {@code protocol} to {@code destination}. */
    static boolean isIpv4(DirectBuffer b, int off, int length, int protocol, int destination) {
        return length >= L3 + 20
                && etherType(b, off) == ETHERTYPE_IPV4
                && ipv4Protocol(b, off) == protocol
                && ipv4Destination(b, off) == destination;
    }

    /** The Internet checksum (RFC 1071) over {@code length} bytes: 0 means a stored checksum is valid. */
    static int internetChecksum(DirectBuffer b, int index, int length) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < length; i += 2) {
            sum += b.getShort(index + i, NET) & 0xffff;
        }
        if (i < length) {
            sum += (b.getByte(index + i) & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /**
     * Turns the ICMP echo request at {@code off} into the echo reply, in place: swaps MAC and IP
     * addresses, sets the type to 0 and recomputes both checksums.
     */
    static void echoRequestToReply(MutableDirectBuffer b, int off, int length) {
        byte[] dst = bytes(b, off + ETH_DST, 6);
        byte[] src = bytes(b, off + ETH_SRC, 6);
        b.putBytes(off + ETH_DST, src);
        b.putBytes(off + ETH_SRC, dst);
        int ip = off + L3;
        int saddr = b.getInt(ip + 12, NET);
        int daddr = b.getInt(ip + 16, NET);
        b.putInt(ip + 12, daddr, NET);
        b.putInt(ip + 16, saddr, NET);
        int ihl = ipv4HeaderLength(b, off);
        b.putShort(ip + 10, (short) 0, NET);
        b.putShort(ip + 10, (short) internetChecksum(b, ip, ihl), NET);
        int icmp = ip + ihl;
        int icmpLength = length - (icmp - off);
        b.putByte(icmp, (byte) 0);
        b.putShort(icmp + 2, (short) 0, NET);
        b.putShort(icmp + 2, (short) internetChecksum(b, icmp, icmpLength), NET);
        zeroHeader(b, off);
    }
}
