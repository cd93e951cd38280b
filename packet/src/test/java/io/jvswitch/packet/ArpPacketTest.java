package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class ArpPacketTest {
    private static final int OFFSET = 3;
    private static final int ARP = OFFSET + EthernetFrame.HEADER_LENGTH;

    private final EthernetFrame frame = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();

    @Test
    void readsRequest() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ARP_REQUEST, OFFSET);
        assertTrue(frame.wrap(buffer, OFFSET, 42));
        assertEquals(EthernetFrame.ETHERTYPE_ARP, frame.payloadEtherType());
        assertTrue(MacAddress.isBroadcast(frame.destination()));
        assertTrue(arp.wrap(buffer, frame.payloadOffset(), frame.payloadLength()));

        assertTrue(arp.isEthernetIpv4());
        assertEquals(ArpPacket.HARDWARE_TYPE_ETHERNET, arp.hardwareType());
        assertEquals(EthernetFrame.ETHERTYPE_IPV4, arp.protocolType());
        assertEquals(ArpPacket.OP_REQUEST, arp.operation());
        assertEquals(SampleFrames.MAC_A, arp.senderMac());
        assertEquals(SampleFrames.IP_A, arp.senderIp());
        assertEquals(0L, arp.targetMac());
        assertEquals(SampleFrames.IP_B, arp.targetIp());
        assertFalse(arp.isGratuitous());
    }

    @Test
    void encodeReproducesCapturedRequest() {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int written = ArpPacket.encode(
                buffer,
                OFFSET,
                MacAddress.BROADCAST,
                SampleFrames.MAC_A,
                ArpPacket.OP_REQUEST,
                SampleFrames.MAC_A,
                SampleFrames.IP_A,
                0L,
                SampleFrames.IP_B);
        assertEquals(42, written);
        assertEquals(ArpPacket.FRAME_LENGTH, written);
        final byte[] encoded = new byte[written];
        buffer.getBytes(OFFSET, encoded);
        assertArrayEquals(SampleFrames.bytes(SampleFrames.ARP_REQUEST), encoded);
        assertEquals(0, buffer.getByte(OFFSET - 1));
        assertEquals(0, buffer.getByte(OFFSET + written));
    }

    @Test
    void turnsRequestIntoReplyInPlace() {
        final long macB = SampleFrames.MAC_B;
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ARP_REQUEST, OFFSET);
        assertTrue(arp.wrap(buffer, ARP, 28));
        arp.setOperation(ArpPacket.OP_REPLY);
        arp.setTargetMac(arp.senderMac());
        arp.setTargetIp(arp.senderIp());
        arp.setSenderMac(macB);
        arp.setSenderIp(SampleFrames.IP_B);

        final UnsafeBuffer expected = new UnsafeBuffer(new byte[buffer.capacity()]);
        ArpPacket.encode(
                expected,
                OFFSET,
                0,
                0,
                ArpPacket.OP_REPLY,
                macB,
                SampleFrames.IP_B,
                SampleFrames.MAC_A,
                SampleFrames.IP_A);
        for (int i = ARP; i < ARP + ArpPacket.LENGTH; i++) {
            assertEquals(expected.getByte(i), buffer.getByte(i), "byte " + i);
        }
    }

    @Test
    void recognisesGratuitousArp() {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[42]);
        ArpPacket.encode(
                buffer,
                0,
                MacAddress.BROADCAST,
                SampleFrames.MAC_A,
                ArpPacket.OP_REQUEST,
                SampleFrames.MAC_A,
                SampleFrames.IP_A,
                0L,
                SampleFrames.IP_A);
        assertTrue(arp.wrap(buffer, 14, 28));
        assertTrue(arp.isGratuitous());
    }

    @Test
    void detectsNonEthernetIpv4Arp() {
        final byte[] original = SampleFrames.bytes(SampleFrames.ARP_REQUEST);
        // htype, ptype (2 bytes each), hlen, plen: change each and check the predicate notices.
        final int[] fieldBytes = {1, 3, 4, 5};
        for (final int fieldByte : fieldBytes) {
            final UnsafeBuffer buffer = new UnsafeBuffer(original.clone());
            buffer.putByte(14 + fieldByte, (byte) (buffer.getByte(14 + fieldByte) + 1));
            assertTrue(arp.wrap(buffer, 14, 28));
            assertFalse(arp.isEthernetIpv4(), "byte " + fieldByte);
        }
        // The operation following plen is not part of the check.
        final UnsafeBuffer buffer = new UnsafeBuffer(original.clone());
        assertTrue(arp.wrap(buffer, 14, 28));
        arp.setOperation(0xFFFF);
        assertTrue(arp.isEthernetIpv4());
    }

    @Test
    void rejectsEveryTruncation() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ARP_REQUEST, OFFSET);
        for (int length = 0; length < ArpPacket.LENGTH; length++) {
            assertFalse(arp.wrap(buffer, ARP, length));
            assertFalse(arp.isWrapped());
        }
        assertTrue(arp.wrap(buffer, ARP, ArpPacket.LENGTH));
        // 28 bytes claimed but the buffer ends sooner.
        assertFalse(arp.wrap(buffer, buffer.capacity() - 27, 28));
    }
}
