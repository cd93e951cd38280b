package io.jvswitch.switching;

import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.MacAddress;

import java.nio.ByteBuffer;

/** Builds frames as ports deliver them: a zeroed 10-byte virtio-net header, then Ethernet. */
final class TestFrames {
    static final int VNET = 10;

    private TestFrames() {}

    static byte[] ethernet(long dst, long src, int etherType, int payloadLength) {
        final ByteBuffer b = ByteBuffer.allocate(VNET + 14 + payloadLength);
        b.position(VNET);
        putMac(b, dst);
        putMac(b, src);
        b.putShort((short) etherType);
        for (int i = 0; i < payloadLength; i++) {
            b.put((byte) i);
        }
        return b.array();
    }

    static byte[] ipv4(long dst, long src) {
        final byte[] frame = ethernet(dst, src, 0x0800, 46);
        frame[VNET + 14] = 0x45;
        return frame;
    }

    static byte[] arp(long ethDst, long ethSrc, int op, long senderMac, int senderIp, long targetMac, int targetIp) {
        final ByteBuffer b = ByteBuffer.allocate(VNET + 42);
        b.position(VNET);
        putMac(b, ethDst);
        putMac(b, ethSrc);
        b.putShort((short) 0x0806);
        b.putShort((short) 1)
                .putShort((short) 0x0800)
                .put((byte) 6)
                .put((byte) 4)
                .putShort((short) op);
        putMac(b, senderMac);
        b.putInt(senderIp);
        putMac(b, targetMac);
        b.putInt(targetIp);
        return b.array();
    }

    static byte[] arpRequest(long senderMac, int senderIp, int targetIp) {
        return arp(0xFFFF_FFFF_FFFFL, senderMac, 1, senderMac, senderIp, 0, targetIp);
    }

    static long mac(String text) {
        return MacAddress.parse(text);
    }

    static int ip(String text) {
        return Ipv4Address.parse(text);
    }

    static long readMac(byte[] frame, int offset) {
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            mac = (mac << 8) | (frame[offset + i] & 0xFF);
        }
        return mac;
    }

    private static void putMac(ByteBuffer b, long mac) {
        for (int shift = 40; shift >= 0; shift -= 8) {
            b.put((byte) (mac >>> shift));
        }
    }
}
