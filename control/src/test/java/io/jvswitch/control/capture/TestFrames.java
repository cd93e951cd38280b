package io.jvswitch.control.capture;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.testsupport.FrameBuilder;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The capture tests' frames, as a capture holds them: bare Ethernet (no virtio-net header), padded
 * to the 60-byte minimum. Built with {@link FrameBuilder}; checksums valid.
 */
final class TestFrames {
    /** 1700000000.123456789 s: a timestamp with sub-microsecond digits. */
    static final long T0 = 1_700_000_000_123_456_789L;

    private static final long MAC_A = FrameBuilder.mac("02:00:00:00:00:01");
    private static final long MAC_B = FrameBuilder.mac("02:00:00:00:00:02");
    private static final int IP_A = FrameBuilder.ip("10.0.0.1");
    private static final int IP_B = FrameBuilder.ip("10.0.0.2");
    /** Where a UDP payload starts in a bare Ethernet frame. */
    private static final int UDP_PAYLOAD = FrameBuilder.MIN_UDP_FRAME;

    private TestFrames() {}

    /** ARP request: who-has 10.0.0.2 tell 10.0.0.1, padded to 60 bytes. */
    static byte[] arpRequest() {
        return captured(FrameBuilder.arpRequest(MAC_A, IP_A, IP_B));
    }

    /** ICMP echo request 10.0.0.1 > 10.0.0.2, id 1, seq 1, 64 bytes of ICMP. */
    static byte[] icmpEcho() {
        final byte[] icmp = new byte[64];
        icmp[IcmpPacket.TYPE_OFFSET] = (byte) IcmpPacket.TYPE_ECHO_REQUEST;
        icmp[IcmpPacket.IDENTIFIER_OFFSET + 1] = 1;
        icmp[IcmpPacket.SEQUENCE_OFFSET + 1] = 1;
        for (int i = IcmpPacket.HEADER_LENGTH; i < icmp.length; i++) {
            icmp[i] = (byte) i;
        }
        return captured(FrameBuilder.ipv4(MAC_B, MAC_A, IP_A, IP_B, Ipv4Packet.PROTOCOL_ICMP, icmp));
    }

    /** TCP SYN 10.0.0.1.40000 > 10.0.0.2.80, seq 1000. */
    static byte[] tcpSyn() {
        final ByteBuffer tcp = ByteBuffer.allocate(TcpPacket.MIN_HEADER_LENGTH); // big-endian
        tcp.putShort(TcpPacket.SOURCE_PORT_OFFSET, (short) 40000)
                .putShort(TcpPacket.DESTINATION_PORT_OFFSET, (short) 80)
                .putInt(TcpPacket.SEQUENCE_OFFSET, 1000)
                .put(TcpPacket.DATA_OFFSET_OFFSET, (byte) 0x50)
                .put(TcpPacket.FLAGS_OFFSET, (byte) TcpPacket.SYN)
                .putShort(TcpPacket.WINDOW_OFFSET, (short) 64240);
        return captured(FrameBuilder.ipv4(MAC_B, MAC_A, IP_A, IP_B, Ipv4Packet.PROTOCOL_TCP, tcp.array()));
    }

    /** DNS query "A? example.com." 10.0.0.1.5353 > 10.0.0.2.53, id 0x1234. */
    static byte[] dnsQuery() {
        final ByteArrayOutputStream dns = new ByteArrayOutputStream();
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
        return captured(FrameBuilder.udp(MAC_A, MAC_B, IP_B, IP_A, 53, 5353, new byte[] {
            0x12, 0x34, (byte) 0x81, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0
        }));
    }

    /** UDP 10.0.0.1.sport > 10.0.0.2.dport. */
    static byte[] udp(int sport, int dport, byte[] payload) {
        return captured(FrameBuilder.udp(MAC_B, MAC_A, IP_A, IP_B, sport, dport, payload));
    }

    /** A UDP frame of exactly {@code frameLength} bytes (at least 42) whose payload starts with {@code tag}. */
    static byte[] udpOfLength(int frameLength, int tag) {
        final byte[] payload = new byte[frameLength - UDP_PAYLOAD];
        ByteBuffer.wrap(payload).putInt(tag);
        return udp(7000, 7001, payload);
    }

    /** The tag put by {@link #udpOfLength}. */
    static int tagOf(byte[] frame) {
        return ByteBuffer.wrap(frame, UDP_PAYLOAD, 4)
                .order(ByteOrder.BIG_ENDIAN)
                .getInt();
    }

    /** What a capture of the built frame holds: the Ethernet frame, padded as a wire carries it. */
    private static byte[] captured(byte[] frame) {
        final byte[] ethernet = FrameBuilder.withoutVnet(frame);
        return Arrays.copyOf(ethernet, Math.max(EthernetFrame.MIN_FRAME_LENGTH, ethernet.length));
    }
}
