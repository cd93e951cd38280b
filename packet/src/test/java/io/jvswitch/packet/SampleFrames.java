package io.jvswitch.packet;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Real frames, byte for byte, between two containers 02:42:0a:00:00:02 (10.0.0.2 / fd00::2) and
 * 02:42:0a:00:00:01 (10.0.0.1 / fd00::1). Checksums were computed when the frames were made and are
 * re-verified in the tests with {@link ReferenceChecksum}.
 */
final class SampleFrames {
    static final long MAC_A = 0x0242_0a00_0002L;
    static final long MAC_B = 0x0242_0a00_0001L;
    static final int IP_A = 0x0a00_0002;
    static final int IP_B = 0x0a00_0001;

    /** Who has 10.0.0.1? Tell 10.0.0.2. Broadcast, 42 bytes (unpadded). */
    static final String ARP_REQUEST = "ffffffffffff" + "02420a000002" + "0806" + "0001"
            + "0800" + "06" + "04" + "0001" + "02420a000002"
            + "0a000002" + "000000000000" + "0a000001";

    /** ICMP echo request 10.0.0.2 -> 10.0.0.1, id 0x1234 seq 1, 32 data bytes 0x10..0x2f. IP csum 0x7af1. */
    static final String ICMP_ECHO_REQUEST =
            "02420a000001" + "02420a000002" + "0800" + "4500003cabcd400040017af10a0000020a000001"
                    + "0800f3c812340001"
                    + "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";

    static final int ICMP_IP_CHECKSUM = 0x7af1;
    static final int ICMP_CHECKSUM = 0xf3c8;

    /**
     * TCP SYN 10.0.0.2:40000 -> 10.0.0.1:80, seq 0x12345678, window 64240, options MSS 1460, SACK permitted,
     * timestamps, NOP, window scale 7 (data offset 10). IP csum 0x0a74, TCP csum 0x518e.
     */
    static final String TCP_SYN = "02420a000001" + "02420a000002" + "0800" + "4500003c1c46400040060a740a0000020a000001"
            + "9c40"
            + "0050" + "12345678" + "00000000" + "a0" + "02" + "faf0" + "518e" + "0000" + "020405b4"
            + "0402" + "080a0001e24000000000" + "01" + "030307";

    static final int TCP_IP_CHECKSUM = 0x0a74;
    static final int TCP_CHECKSUM = 0x518e;
    /** Offset of the TCP header in {@link #TCP_SYN}. */
    static final int TCP_SYN_L4_OFFSET = 34;

    /** UDP fd00::2 port 5353 -> fd00::1 port 53, payload "hello, jvs!". UDP csum 0xf4c9. */
    static final String IPV6_UDP = "02420a000001" + "02420a000002" + "86dd" + "60000000"
            + "0013" + "11" + "40" + "fd000000000000000000000000000002"
            + "fd000000000000000000000000000001"
            + "14e9"
            + "0035" + "0013" + "f4c9" + "68656c6c6f2c206a767321";

    static final int IPV6_UDP_CHECKSUM = 0xf4c9;
    static final int IPV6_UDP_L4_OFFSET = 54;

    private SampleFrames() {}

    static byte[] bytes(final String hex) {
        final byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
        }
        return bytes;
    }

    /**
     * A buffer holding {@code hex} at {@code offset}, with guard bytes on either side so reads or writes past
     * the frame show up.
     */
    static UnsafeBuffer buffer(final String hex, final int offset) {
        final byte[] frame = bytes(hex);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[offset + frame.length + 16]);
        buffer.setMemory(0, buffer.capacity(), (byte) 0x5A);
        buffer.putBytes(offset, frame);
        return buffer;
    }

    static byte[] copy(final UnsafeBuffer buffer) {
        final byte[] copy = new byte[buffer.capacity()];
        buffer.getBytes(0, copy);
        return copy;
    }
}
