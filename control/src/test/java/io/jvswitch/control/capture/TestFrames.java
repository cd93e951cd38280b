package io.jvswitch.control.capture;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Ethernet frames built by hand for the capture tests. */
final class TestFrames {

    static final byte[] MAC_A = {0x02, 0, 0, 0, 0, 0x01};
    static final byte[] MAC_B = {0x02, 0, 0, 0, 0, 0x02};
    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    static final byte[] IP_A = {10, 0, 0, 1};
    static final byte[] IP_B = {10, 0, 0, 2};

    /** 1700000000.123456789 s: a timestamp with sub-microsecond digits. */
    static final long T0 = 1_700_000_000_123_456_789L;

    private TestFrames() {}

    /** ARP request: who-has 10.0.0.2 tell 10.0.0.1, padded to 60 bytes. */
    static byte[] arpRequest() {
        ByteBuffer b = ByteBuffer.allocate(60);
        b.put(BROADCAST).put(MAC_A).putShort((short) 0x0806);
        b.putShort((short) 1)
                .putShort((short) 0x0800)
                .put((byte) 6)
                .put((byte) 4)
                .putShort((short) 1);
        b.put(MAC_A).put(IP_A).put(new byte[6]).put(IP_B);
        return b.array();
    }

    /** ICMP echo request 10.0.0.1 > 10.0.0.2, id 1, seq 1, 64 bytes of ICMP. */
    static byte[] icmpEcho() {
        ByteBuffer icmp = ByteBuffer.allocate(64);
        icmp.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) 1).putShort((short) 1);
        for (int i = 8; i < 64; i++) {
            icmp.put((byte) i);
        }
        byte[] body = icmp.array();
        putShort(body, 2, checksum(body, 0, body.length, 0));
        return ethernet(MAC_B, MAC_A, 0x0800, ipv4(1, IP_A, IP_B, body));
    }

    /** TCP SYN 10.0.0.1.40000 > 10.0.0.2.80, seq 1000. */
    static byte[] tcpSyn() {
        ByteBuffer tcp = ByteBuffer.allocate(20);
        tcp.putShort((short) 40000).putShort((short) 80).putInt(1000).putInt(0);
        tcp.put((byte) 0x50)
                .put((byte) 0x02)
                .putShort((short) 64240)
                .putShort((short) 0)
                .putShort((short) 0);
        byte[] seg = tcp.array();
        putShort(seg, 16, checksum(seg, 0, seg.length, pseudoHeaderSum(6, IP_A, IP_B, seg.length)));
        return ethernet(MAC_B, MAC_A, 0x0800, ipv4(6, IP_A, IP_B, seg));
    }

    /** DNS query "A? example.com." 10.0.0.1.5353 > 10.0.0.2.53, id 0x1234. */
    static byte[] dnsQuery() {
        ByteArrayOutputStream dns = new ByteArrayOutputStream();
        dns.writeBytes(new byte[] {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : new String[] {"example", "com"}) {
            dns.write(label.length());
            dns.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        dns.writeBytes(new byte[] {0, 0, 1, 0, 1});
        return udp(5353, 53, dns.toByteArray());
    }

    /** UDP 10.0.0.2.53 > 10.0.0.1.5353 with an opaque payload: source port 53, not destination. */
    static byte[] udpFromPort53() {
        return udpBetween(
                IP_B, IP_A, 53, 5353, new byte[] {0x12, 0x34, (byte) 0x81, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0});
    }

    /** UDP 10.0.0.1.sport > 10.0.0.2.dport. */
    static byte[] udp(int sport, int dport, byte[] payload) {
        return udpBetween(IP_A, IP_B, sport, dport, payload);
    }

    /** A UDP frame of exactly {@code frameLength} bytes (at least 42) whose payload starts with {@code tag}. */
    static byte[] udpOfLength(int frameLength, int tag) {
        byte[] payload = new byte[frameLength - 42];
        ByteBuffer.wrap(payload).putInt(tag);
        return udp(7000, 7001, payload);
    }

    /** The tag put by {@link #udpOfLength}. */
    static int tagOf(byte[] frame) {
        return ByteBuffer.wrap(frame, 42, 4).getInt();
    }

    private static byte[] udpBetween(byte[] src, byte[] dst, int sport, int dport, byte[] payload) {
        ByteBuffer u = ByteBuffer.allocate(8 + payload.length);
        u.putShort((short) sport)
                .putShort((short) dport)
                .putShort((short) (8 + payload.length))
                .putShort((short) 0);
        u.put(payload);
        byte[] seg = u.array();
        int sum = checksum(seg, 0, seg.length, pseudoHeaderSum(17, src, dst, seg.length));
        putShort(seg, 6, sum == 0 ? 0xffff : sum);
        byte[] dstMac = src == IP_A ? MAC_B : MAC_A;
        byte[] srcMac = src == IP_A ? MAC_A : MAC_B;
        return ethernet(dstMac, srcMac, 0x0800, ipv4(17, src, dst, seg));
    }

    static byte[] ethernet(byte[] dst, byte[] src, int etherType, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(60, 14 + payload.length));
        b.put(dst).put(src).putShort((short) etherType).put(payload);
        return b.array();
    }

    static byte[] ipv4(int protocol, byte[] src, byte[] dst, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length));
        b.putShort((short) 0x1c46)
                .putShort((short) 0x4000)
                .put((byte) 64)
                .put((byte) protocol)
                .putShort((short) 0);
        b.put(src).put(dst).put(payload);
        byte[] p = b.array();
        putShort(p, 10, checksum(p, 0, 20, 0));
        return p;
    }

    private static int pseudoHeaderSum(int protocol, byte[] src, byte[] dst, int length) {
        byte[] ph = ByteBuffer.allocate(12)
                .put(src)
                .put(dst)
                .put((byte) 0)
                .put((byte) protocol)
                .putShort((short) length)
                .array();
        int sum = 0;
        for (int i = 0; i < 12; i += 2) {
            sum += ((ph[i] & 0xff) << 8) | (ph[i + 1] & 0xff);
        }
        return sum;
    }

    private static int checksum(byte[] b, int off, int len, int initial) {
        long sum = initial;
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xff;
            int lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    private static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) (v >> 8);
        b[off + 1] = (byte) v;
    }
}
