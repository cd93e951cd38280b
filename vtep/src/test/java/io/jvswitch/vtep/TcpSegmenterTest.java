package io.jvswitch.vtep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.packet.VxlanHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

class TcpSegmenterTest {
    final TcpSegmenter segmenter = new TcpSegmenter();
    final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(80_000));

    static UnsafeBuffer direct(byte[] bytes) {
        final UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes.length));
        b.putBytes(0, bytes);
        return b;
    }

    @ParameterizedTest
    @CsvSource({
        // payload, gso size, overlay MTU, expected mss
        "10000, 1398, 1450, 1398",
        "65000, 1398, 1450, 1398",
        "2796, 1398, 1450, 1398",
        "5000, 1448, 1450, 1398", // the sender's MTU was larger than the overlay's: segments shrink
        "100, 1398, 1450, 1398",
        "10001, 1398, 1450, 1398", // an odd last segment: its pad byte is in its checksum alone
    })
    void segmentsAreValidTcpWithTheRightSequenceIdsLengthsAndChecksums(int payload, int gsoSize, int mtu, int mss) {
        final byte[] superFrame = VtepFrames.tcpSuperFrame(
                payload, gsoSize, TcpPacket.ACK | TcpPacket.PSH | TcpPacket.FIN | TcpPacket.CWR);
        final UnsafeBuffer in = direct(superFrame);
        assertTrue(segmenter.segment(in, 0, superFrame.length, out, 4242, mtu));
        final int count = (payload + mss - 1) / mss;
        assertEquals(count, segmenter.segmentCount());
        final int headers = VxlanHeader.LENGTH + 14 + 20 + 32;
        assertEquals(headers + mss, segmenter.stride());
        assertEquals(count * headers + payload, segmenter.totalBytes());

        final Ipv4Packet ip = new Ipv4Packet();
        final TcpPacket tcp = new TcpPacket();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            final int at = i * segmenter.stride();
            final int length = i == count - 1 ? segmenter.totalBytes() - at : segmenter.stride();
            assertEquals(4242, VxlanHeader.vni(out, at));
            assertTrue(length - VxlanHeader.LENGTH - 14 <= mtu, "segment fits the overlay MTU");
            assertTrue(ip.wrap(out, at + VxlanHeader.LENGTH + 14, length - VxlanHeader.LENGTH - 14));
            assertTrue(ip.isHeaderChecksumValid(), "IP header checksum of segment " + i);
            assertEquals(length - VxlanHeader.LENGTH - 14, ip.totalLength());
            assertEquals(0x1234 + i, ip.identification());
            assertTrue(tcp.wrap(out, ip.payloadOffset(), ip.payloadLength()));
            assertTrue(tcp.isChecksumValid(ip.pseudoHeaderSum()), "TCP checksum of segment " + i);
            assertEquals((0xFFFF_F000L + (long) i * mss) & 0xFFFF_FFFFL, tcp.sequence());
            final boolean last = i == count - 1;
            assertEquals(last, tcp.hasFlags(TcpPacket.FIN));
            assertEquals(last, tcp.hasFlags(TcpPacket.PSH));
            assertEquals(i == 0, tcp.hasFlags(TcpPacket.CWR));
            assertTrue(tcp.hasFlags(TcpPacket.ACK));
            final byte[] chunk = new byte[tcp.payloadLength()];
            out.getBytes(tcp.payloadOffset(), chunk);
            data.writeBytes(chunk);
        }
        final byte[] original = new byte[payload];
        in.getBytes(VirtioNetHeader.LENGTH + 14 + 20 + 32, original);
        assertArrayEquals(original, data.toByteArray(), "payload reassembles");
    }

    @Test
    void refusesWhatItCannotSegment() {
        final byte[] udpGso = VtepFrames.tcpSuperFrame(3000, 1398, TcpPacket.ACK);
        udpGso[VirtioNetHeader.GSO_TYPE_OFFSET] = (byte) VirtioNetHeader.GSO_UDP_L4;
        assertFalse(segmenter.segment(direct(udpGso), 0, udpGso.length, out, 1, 1450));
        assertEquals(VtepDropReason.GSO_UNSUPPORTED, segmenter.failure());

        final byte[] zeroMss = VtepFrames.tcpSuperFrame(3000, 0, TcpPacket.ACK);
        assertFalse(segmenter.segment(direct(zeroMss), 0, zeroMss.length, out, 1, 1450));
        assertEquals(VtepDropReason.BAD_SUPER_FRAME, segmenter.failure());

        final byte[] notTcp = VtepFrames.tcpSuperFrame(3000, 1398, TcpPacket.ACK);
        notTcp[VirtioNetHeader.LENGTH + 14 + Ipv4Packet.PROTOCOL_OFFSET] = (byte) Ipv4Packet.PROTOCOL_UDP;
        assertFalse(segmenter.segment(direct(notTcp), 0, notTcp.length, out, 1, 1450));
        assertEquals(VtepDropReason.BAD_SUPER_FRAME, segmenter.failure());

        final byte[] truncated = VtepFrames.tcpSuperFrame(3000, 1398, TcpPacket.ACK);
        assertFalse(segmenter.segment(direct(truncated), 0, VirtioNetHeader.LENGTH + 14 + 20 + 10, out, 1, 1450));
        assertEquals(VtepDropReason.BAD_SUPER_FRAME, segmenter.failure());
    }

    @Test
    void theIdentificationWrapsAndEveryHeaderChecksumStaysValid() {
        final int mss = 1398;
        final byte[] superFrame = VtepFrames.tcpSuperFrame(10 * mss, mss, TcpPacket.ACK);
        final UnsafeBuffer in = direct(superFrame);
        // the super-frame's own header checksum is not used: every segment's is computed afresh
        in.putShort(VirtioNetHeader.LENGTH + 14 + Ipv4Packet.ID_OFFSET, (short) 0xFFFA, ByteOrder.BIG_ENDIAN);
        assertTrue(segmenter.segment(in, 0, superFrame.length, out, 4242, 1450));
        assertEquals(10, segmenter.segmentCount());
        final Ipv4Packet ip = new Ipv4Packet();
        final TcpPacket tcp = new TcpPacket();
        for (int i = 0; i < 10; i++) {
            final int at = i * segmenter.stride();
            assertTrue(ip.wrap(out, at + VxlanHeader.LENGTH + 14, segmenter.stride() - VxlanHeader.LENGTH - 14));
            assertEquals((0xFFFA + i) & 0xFFFF, ip.identification());
            assertTrue(ip.isHeaderChecksumValid(), "IP header checksum of segment " + i);
            assertTrue(tcp.wrap(out, ip.payloadOffset(), ip.payloadLength()));
            assertTrue(tcp.isChecksumValid(ip.pseudoHeaderSum()), "TCP checksum of segment " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"10000", "4001", "1000"})
    void ipv6SuperFramesGetPayloadLengthsSequencesAndChecksums(int payload) {
        final int tcpHeader = 32;
        final int mss = 1450 - Ipv6Packet.HEADER_LENGTH - tcpHeader;
        final byte[] superFrame = tcpV6SuperFrame(payload, mss, tcpHeader);
        final UnsafeBuffer in = direct(superFrame);
        assertTrue(segmenter.segment(in, 0, superFrame.length, out, 4242, 1450));
        final int count = (payload + mss - 1) / mss;
        assertEquals(count, segmenter.segmentCount());
        final int headers = VxlanHeader.LENGTH + 14 + Ipv6Packet.HEADER_LENGTH + tcpHeader;
        assertEquals(headers + mss, segmenter.stride());
        assertEquals(count * headers + payload, segmenter.totalBytes());

        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            final int ip = i * segmenter.stride() + VxlanHeader.LENGTH + 14;
            final int segmentPayload = Math.min(mss, payload - i * mss);
            assertEquals(EthernetFrame.ETHERTYPE_IPV6, out.getShort(ip - 2, ByteOrder.BIG_ENDIAN) & 0xFFFF);
            assertEquals(
                    tcpHeader + segmentPayload,
                    out.getShort(ip + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN));
            final int tcp = ip + Ipv6Packet.HEADER_LENGTH;
            final int pseudo = InternetChecksum.pseudoHeaderIpv6(
                    out,
                    ip + Ipv6Packet.SOURCE_OFFSET,
                    ip + Ipv6Packet.DESTINATION_OFFSET,
                    Ipv6Packet.NEXT_HEADER_TCP,
                    tcpHeader + segmentPayload);
            assertEquals(
                    0xFFFF,
                    InternetChecksum.fold(InternetChecksum.partialSum(out, tcp, tcpHeader + segmentPayload, pseudo)),
                    "TCP checksum of segment " + i);
            assertEquals(0x7FFF_FF00 + i * mss, out.getInt(tcp + TcpPacket.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN));
            assertEquals(i == count - 1, (out.getByte(tcp + TcpPacket.FLAGS_OFFSET) & TcpPacket.PSH) != 0);
            final byte[] chunk = new byte[segmentPayload];
            out.getBytes(tcp + tcpHeader, chunk);
            data.writeBytes(chunk);
        }
        final byte[] original = new byte[payload];
        in.getBytes(superFrame.length - payload, original);
        assertArrayEquals(original, data.toByteArray(), "payload reassembles");
    }

    /** A TCP/IPv6 super-frame as a container's TAP hands it over: GSO_TCPV6, NEEDS_CSUM, timestamps. */
    private static byte[] tcpV6SuperFrame(int payload, int mss, int tcpHeader) {
        final int ipPayload = tcpHeader + payload;
        final byte[] frame = new byte[VirtioNetHeader.LENGTH + 14 + Ipv6Packet.HEADER_LENGTH + ipPayload];
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        VirtioNetHeader.setTcpSegmentation(
                b,
                0,
                VirtioNetHeader.GSO_TCPV6,
                14 + Ipv6Packet.HEADER_LENGTH,
                14 + Ipv6Packet.HEADER_LENGTH + tcpHeader,
                mss);
        final int eth = VirtioNetHeader.LENGTH;
        MacAddress.write(b, eth, VtepFrames.MAC_B);
        MacAddress.write(b, eth + 6, VtepFrames.MAC_A);
        b.putShort(eth + 12, (short) EthernetFrame.ETHERTYPE_IPV6, ByteOrder.BIG_ENDIAN);
        final int ip = eth + 14;
        b.putInt(ip, 0x6000_0000, ByteOrder.BIG_ENDIAN);
        b.putShort(ip + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) ipPayload, ByteOrder.BIG_ENDIAN);
        b.putByte(ip + Ipv6Packet.NEXT_HEADER_OFFSET, (byte) Ipv6Packet.NEXT_HEADER_TCP);
        b.putByte(ip + Ipv6Packet.HOP_LIMIT_OFFSET, (byte) 64);
        for (int i = 0; i < 16; i++) { // fd00::1:2 and fd00::1:3, with a byte that carries into the sum
            b.putByte(ip + Ipv6Packet.SOURCE_OFFSET + i, (byte) (i == 0 ? 0xFD : i == 13 ? 0xF1 : i == 15 ? 2 : 0));
            b.putByte(
                    ip + Ipv6Packet.DESTINATION_OFFSET + i, (byte) (i == 0 ? 0xFD : i == 13 ? 0xF1 : i == 15 ? 3 : 0));
        }
        final int tcp = ip + Ipv6Packet.HEADER_LENGTH;
        b.putShort(tcp, (short) 40000, ByteOrder.BIG_ENDIAN);
        b.putShort(tcp + 2, (short) 5201, ByteOrder.BIG_ENDIAN);
        b.putInt(tcp + TcpPacket.SEQUENCE_OFFSET, 0x7FFF_FF00, ByteOrder.BIG_ENDIAN);
        b.putInt(tcp + TcpPacket.ACKNOWLEDGMENT_OFFSET, 77, ByteOrder.BIG_ENDIAN);
        b.putByte(tcp + TcpPacket.DATA_OFFSET_OFFSET, (byte) ((tcpHeader / 4) << 4));
        b.putByte(tcp + TcpPacket.FLAGS_OFFSET, (byte) (TcpPacket.ACK | TcpPacket.PSH));
        b.putShort(tcp + TcpPacket.WINDOW_OFFSET, (short) 512, ByteOrder.BIG_ENDIAN);
        b.putInt(tcp + 20, 0x0101_080A, ByteOrder.BIG_ENDIAN); // NOP NOP timestamps
        b.putInt(tcp + 24, 0xFFFF_FFF0, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < payload; i++) {
            b.putByte(tcp + tcpHeader + i, (byte) (0xF0 + i * 13));
        }
        b.putShort(
                tcp + TcpPacket.CHECKSUM_OFFSET,
                (short) InternetChecksum.fold(InternetChecksum.pseudoHeaderIpv6(
                        b,
                        ip + Ipv6Packet.SOURCE_OFFSET,
                        ip + Ipv6Packet.DESTINATION_OFFSET,
                        Ipv6Packet.NEXT_HEADER_TCP,
                        ipPayload)),
                ByteOrder.BIG_ENDIAN);
        return frame;
    }

    @Test
    void checksumLeftToCompleteIsCompletedOnSingleFrames() {
        // a small TCP frame with NEEDS_CSUM but no GSO, as a container with checksum offload sends it
        final byte[] f = VtepFrames.tcpSuperFrame(200, 1398, TcpPacket.ACK);
        f[VirtioNetHeader.GSO_TYPE_OFFSET] = 0;
        final UnsafeBuffer ctxFree = new UnsafeBuffer(f);
        assertEquals(VirtioNetHeader.GSO_NONE, VirtioNetHeader.gsoType(ctxFree, 0));
        final TxQueue queue = new TxQueue(16);
        final TunnelPort port =
                new TunnelPort("vx", 7, 1450, new VtepContext().localAddress(1).conclude(), queue);
        port.addPeer(2);
        assertEquals(0, port.transmit(direct(f), 0, f.length));
        queue.drain(batch -> {
            final byte[] d = new byte[batch.datagrams.readableBytes()];
            batch.datagrams.getBytes(0, d);
            batch.datagrams.release();
            final UnsafeBuffer b = new UnsafeBuffer(d);
            final Ipv4Packet ip = new Ipv4Packet();
            final TcpPacket tcp = new TcpPacket();
            assertTrue(ip.wrap(b, VxlanHeader.LENGTH + 14, d.length - VxlanHeader.LENGTH - 14));
            assertTrue(tcp.wrap(b, ip.payloadOffset(), ip.payloadLength()));
            assertTrue(tcp.isChecksumValid(ip.pseudoHeaderSum()));
            assertEquals(0x0800_0000, VxlanHeader.flagsWord(b, 0));
        });
    }
}
