package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class IcmpPacketTest {
    private static final int OFFSET = 1;

    private final EthernetFrame frame = new EthernetFrame();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final IcmpPacket icmp = new IcmpPacket();

    @Test
    void readsEchoRequestThroughAllLayers() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, OFFSET);
        assertTrue(frame.wrap(buffer, OFFSET, 74));
        assertTrue(ip.wrap(buffer, frame.payloadOffset(), frame.payloadLength()));
        assertTrue(icmp.wrap(buffer, ip.payloadOffset(), ip.payloadLength()));

        assertEquals(IcmpPacket.TYPE_ECHO_REQUEST, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(SampleFrames.ICMP_CHECKSUM, icmp.checksum());
        assertEquals(0x1234, icmp.identifier());
        assertEquals(1, icmp.sequence());
        assertEquals(32, icmp.payloadLength());
        assertEquals(0x10, buffer.getByte(icmp.payloadOffset()));
        assertTrue(icmp.isChecksumValid());
        assertEquals(SampleFrames.ICMP_CHECKSUM, icmp.computeChecksum());
    }

    @Test
    void checksumAgreesWithPlainLoop() {
        final byte[] frameBytes = SampleFrames.bytes(SampleFrames.ICMP_ECHO_REQUEST);
        frameBytes[34 + IcmpPacket.CHECKSUM_OFFSET] = 0;
        frameBytes[34 + IcmpPacket.CHECKSUM_OFFSET + 1] = 0;
        assertEquals(SampleFrames.ICMP_CHECKSUM, ReferenceChecksum.checksum(frameBytes, 34, 74));
    }

    @Test
    void turnsRequestIntoReply() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, OFFSET);
        assertTrue(icmp.wrap(buffer, OFFSET + 34, 40));
        icmp.setType(IcmpPacket.TYPE_ECHO_REPLY);
        assertFalse(icmp.isChecksumValid());
        // Type and code share the first checksum word: 0x0800 -> 0x0000.
        icmp.setChecksum(InternetChecksum.adjust16(icmp.checksum(), 0x0800, 0x0000));
        assertTrue(icmp.isChecksumValid());
        assertEquals(icmp.computeChecksum(), icmp.checksum());

        icmp.setIdentifier(0xBEEF);
        icmp.setSequence(0xFFFF);
        icmp.setCode(3);
        icmp.updateChecksum();
        assertEquals(0xBEEF, icmp.identifier());
        assertEquals(0xFFFF, icmp.sequence());
        assertEquals(3, icmp.code());
        assertTrue(icmp.isChecksumValid());
        assertEquals(0, ReferenceChecksum.checksum(SampleFrames.copy(buffer), OFFSET + 34, OFFSET + 74));
    }

    @Test
    void checksumsOddLengthMessages() {
        final byte[] message = SampleFrames.bytes("0800000000070009" + "616263");
        final UnsafeBuffer buffer = new UnsafeBuffer(message);
        assertTrue(icmp.wrap(buffer, 0, message.length));
        icmp.updateChecksum();
        assertEquals(0, ReferenceChecksum.checksum(message, 0, message.length));
        assertTrue(icmp.isChecksumValid());
    }

    @Test
    void rejectsEveryTruncation() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, OFFSET);
        for (int length = 0; length < IcmpPacket.HEADER_LENGTH; length++) {
            assertFalse(icmp.wrap(buffer, OFFSET + 34, length));
            assertFalse(icmp.isWrapped());
        }
        assertTrue(icmp.wrap(buffer, OFFSET + 34, IcmpPacket.HEADER_LENGTH));
        assertEquals(0, icmp.payloadLength());
    }
}
