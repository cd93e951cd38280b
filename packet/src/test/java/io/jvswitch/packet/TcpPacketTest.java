package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.Random;

class TcpPacketTest {
    private static final int OFFSET = 2;
    private static final int TCP = OFFSET + SampleFrames.TCP_SYN_L4_OFFSET;

    private final Ipv4Packet ip = new Ipv4Packet();
    private final TcpPacket tcp = new TcpPacket();

    @Test
    void readsSyn() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, OFFSET);
        assertTrue(ip.wrap(buffer, OFFSET + 14, 60));
        assertEquals(Ipv4Packet.PROTOCOL_TCP, ip.protocol());
        assertTrue(tcp.wrap(buffer, ip.payloadOffset(), ip.payloadLength()));

        assertEquals(40000, tcp.sourcePort());
        assertEquals(80, tcp.destinationPort());
        assertEquals(0x12345678L, tcp.sequence());
        assertEquals(0L, tcp.acknowledgment());
        assertEquals(10, tcp.dataOffset());
        assertEquals(40, tcp.headerLength());
        assertEquals(TcpPacket.SYN, tcp.flags());
        assertTrue(tcp.hasFlags(TcpPacket.SYN));
        assertFalse(tcp.hasFlags(TcpPacket.SYN | TcpPacket.ACK));
        assertEquals(64240, tcp.window());
        assertEquals(SampleFrames.TCP_CHECKSUM, tcp.checksum());
        assertEquals(0, tcp.urgentPointer());
        assertEquals(TCP + 40, tcp.payloadOffset());
        assertEquals(0, tcp.payloadLength());
        // First option: MSS 1460.
        assertEquals(0x020405b4, buffer.getInt(TCP + 20, ByteOrder.BIG_ENDIAN));
    }

    @Test
    void checksumAgreesWithCaptureAndPlainLoop() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, OFFSET);
        assertTrue(ip.wrap(buffer, OFFSET + 14, 60));
        assertTrue(tcp.wrap(buffer, ip.payloadOffset(), ip.payloadLength()));
        assertTrue(tcp.isChecksumValid(ip.pseudoHeaderSum()));
        assertEquals(SampleFrames.TCP_CHECKSUM, tcp.computeChecksum(ip.pseudoHeaderSum()));

        final byte[] pseudo = ReferenceChecksum.ipv4PseudoHeader(SampleFrames.IP_A, SampleFrames.IP_B, 6, 40);
        assertEquals(
                SampleFrames.TCP_CHECKSUM,
                ReferenceChecksum.checksumWithPseudoHeader(
                        pseudo, SampleFrames.copy(buffer), TCP, TCP + 40, TCP + TcpPacket.CHECKSUM_OFFSET));
    }

    @Test
    void incrementalPortAndAddressRewritesMatchRecomputation() {
        // What a NAT would do: rewrite the source address and port, patching the TCP checksum incrementally
        // (the address is covered through the pseudo-header).
        final Random random = new Random(11);
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, OFFSET);
        assertTrue(ip.wrap(buffer, OFFSET + 14, 60));
        assertTrue(tcp.wrap(buffer, ip.payloadOffset(), ip.payloadLength()));
        for (int i = 0; i < 2000; i++) {
            final int newAddress = random.nextInt();
            final int newPort = random.nextInt(0x10000);
            int checksum = InternetChecksum.adjust32(tcp.checksum(), ip.source(), newAddress);
            checksum = InternetChecksum.adjust16(checksum, tcp.sourcePort(), newPort);
            final long newSequence = random.nextInt() & 0xFFFF_FFFFL;
            checksum = InternetChecksum.adjust32(checksum, (int) tcp.sequence(), (int) newSequence);
            ip.setSource(newAddress);
            tcp.setSourcePort(newPort);
            tcp.setSequence(newSequence);
            tcp.setChecksum(checksum);
            assertEquals(tcp.computeChecksum(ip.pseudoHeaderSum()), checksum);
            assertTrue(tcp.isChecksumValid(ip.pseudoHeaderSum()));
        }
    }

    @Test
    void settersWriteInPlace() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, OFFSET);
        assertTrue(tcp.wrap(buffer, TCP, 40));
        tcp.setDestinationPort(443);
        tcp.setSequence(0xFFFF_FFFFL);
        tcp.setAcknowledgment(0x8000_0000L);
        tcp.setFlags(TcpPacket.SYN | TcpPacket.ACK | TcpPacket.ECE | TcpPacket.CWR);
        tcp.setWindow(0xFFFF);
        tcp.setUrgentPointer(7);
        tcp.setDataOffset(5);
        assertEquals(443, tcp.destinationPort());
        assertEquals(0xFFFF_FFFFL, tcp.sequence());
        assertEquals(0x8000_0000L, tcp.acknowledgment());
        assertEquals(0xD2, tcp.flags());
        assertTrue(tcp.hasFlags(TcpPacket.CWR | TcpPacket.ECE));
        assertEquals(0xFFFF, tcp.window());
        assertEquals(7, tcp.urgentPointer());
        assertEquals(20, tcp.headerLength());
        assertEquals(20, tcp.payloadLength());
        // Reserved bits beside the data offset are kept.
        buffer.putByte(TCP + TcpPacket.DATA_OFFSET_OFFSET, (byte) 0x5F);
        tcp.setDataOffset(6);
        assertEquals(0x6F, buffer.getByte(TCP + TcpPacket.DATA_OFFSET_OFFSET));
    }

    @Test
    void rejectsEveryTruncation() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, OFFSET);
        for (int length = 0; length < 40; length++) {
            // Below 20 the fixed header does not fit; from 20 to 39 the 40-byte header with options does not.
            final int truncated = length;
            assertFalse(tcp.wrap(buffer, TCP, length), () -> "length " + truncated);
            assertFalse(tcp.isWrapped());
        }
        assertTrue(tcp.wrap(buffer, TCP, 40));
    }

    @Test
    void rejectsDataOffsetBelowFive() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.TCP_SYN, OFFSET);
        for (int words = 0; words < 5; words++) {
            buffer.putByte(TCP + TcpPacket.DATA_OFFSET_OFFSET, (byte) (words << 4));
            assertFalse(tcp.wrap(buffer, TCP, 40));
        }
        buffer.putByte(TCP + TcpPacket.DATA_OFFSET_OFFSET, (byte) 0xF0);
        assertFalse(tcp.wrap(buffer, TCP, 40), "60-byte header in 40 bytes");

        final UnsafeBuffer larger = new UnsafeBuffer(new byte[TCP + 60]);
        larger.putBytes(0, buffer, 0, TCP + 40);
        assertTrue(tcp.wrap(larger, TCP, 60));
        assertEquals(60, tcp.headerLength());
    }
}
