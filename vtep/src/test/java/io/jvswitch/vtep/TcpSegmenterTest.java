package io.jvswitch.vtep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.packet.VxlanHeader;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

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
    })
    void segmentsAreValidTcpWithTheRightSequenceIdsLengthsAndChecksums(int payload, int gsoSize, int mtu, int mss) {
        final byte[] superFrame = VtepFrames.tcpSuperFrame(payload, gsoSize, TcpPacket.ACK | TcpPacket.PSH | TcpPacket.FIN | TcpPacket.CWR);
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
    void checksumLeftToCompleteIsCompletedOnSingleFrames() {
        // a small TCP frame with NEEDS_CSUM but no GSO, as a container with checksum offload sends it
        final byte[] f = VtepFrames.tcpSuperFrame(200, 1398, TcpPacket.ACK);
        f[VirtioNetHeader.GSO_TYPE_OFFSET] = 0;
        final UnsafeBuffer ctxFree = new UnsafeBuffer(f);
        assertEquals(VirtioNetHeader.GSO_NONE, VirtioNetHeader.gsoType(ctxFree, 0));
        final TxQueue queue = new TxQueue(16);
        final TunnelPort port = new TunnelPort("vx", 7, 1450,
            new VtepContext().localAddress(1).conclude(), queue);
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
