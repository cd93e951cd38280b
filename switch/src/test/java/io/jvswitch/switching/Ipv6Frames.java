package io.jvswitch.switching;

import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** IPv6 frames for the switch's tests, virtio-net header first, with right ICMPv6 checksums. */
final class Ipv6Frames {
    static final int ETH = VirtioNetHeader.LENGTH;
    static final int L3 = ETH + 14;
    static final int L4 = L3 + 40;

    private Ipv6Frames() {}

    /** A frame with an IPv6 header and {@code l4} after it; the ICMPv6 checksum is filled in when {@code nextHeader} is 58. */
    static byte[] packet(
            long dstMac,
            long srcMac,
            long srcHigh,
            long srcLow,
            long dstHigh,
            long dstLow,
            int nextHeader,
            int hopLimit,
            byte[] l4) {
        final ByteBuffer f = ByteBuffer.allocate(L4 + l4.length);
        f.position(ETH);
        f.putShort((short) (dstMac >>> 32)).putInt((int) dstMac);
        f.putShort((short) (srcMac >>> 32)).putInt((int) srcMac);
        f.putShort((short) 0x86DD);
        f.putInt(0x6000_0000).putShort((short) l4.length).put((byte) nextHeader).put((byte) hopLimit);
        f.putLong(srcHigh).putLong(srcLow).putLong(dstHigh).putLong(dstLow);
        f.put(l4);
        final byte[] frame = f.array();
        if (nextHeader == 58 && l4.length >= 4) {
            final UnsafeBuffer b = new UnsafeBuffer(frame);
            b.putShort(L4 + 2, (short) 0);
            final int sum = InternetChecksum.partialSum(
                    b, L4, l4.length, InternetChecksum.pseudoHeaderIpv6(b, L3 + 8, L3 + 24, 58, l4.length));
            b.putShort(L4 + 2, (short) ~InternetChecksum.fold(sum), ByteOrder.BIG_ENDIAN);
        }
        return frame;
    }

    /** A neighbor solicitation for the target, with a source link-layer address option. */
    static byte[] solicitation(long srcMac, long srcHigh, long srcLow, long targetHigh, long targetLow) {
        final ByteBuffer m = ByteBuffer.allocate(32);
        m.put((byte) 135)
                .put((byte) 0)
                .putShort((short) 0)
                .putInt(0)
                .putLong(targetHigh)
                .putLong(targetLow);
        m.put((byte) 1).put((byte) 1).putShort((short) (srcMac >>> 32)).putInt((int) srcMac);
        final long group = 0xFF02_0000_0000_0000L;
        final long groupLow = 0x0000_0001_FF00_0000L | (targetLow & 0xFF_FFFFL);
        final long groupMac = 0x3333_0000_0000L | (groupLow & 0xFFFF_FFFFL);
        return packet(groupMac, srcMac, srcHigh, srcLow, group, groupLow, 58, 255, m.array());
    }

    /** An echo request of {@code payload} bytes. */
    static byte[] echo(
            long dstMac, long srcMac, long srcHigh, long srcLow, long dstHigh, long dstLow, int hopLimit, int payload) {
        final byte[] m = new byte[8 + payload];
        m[0] = (byte) 128;
        m[4] = 0x12;
        m[5] = 0x34;
        m[7] = 1;
        return packet(dstMac, srcMac, srcHigh, srcLow, dstHigh, dstLow, 58, hopLimit, m);
    }
}
