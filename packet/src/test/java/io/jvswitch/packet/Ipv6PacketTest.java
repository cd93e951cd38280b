package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

class Ipv6PacketTest {
    private static final int OFFSET = 4;
    private static final int IP = OFFSET + EthernetFrame.HEADER_LENGTH;

    private final EthernetFrame frame = new EthernetFrame();
    private final Ipv6Packet ip = new Ipv6Packet();

    @Test
    void readsHeader() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.IPV6_UDP, OFFSET);
        assertTrue(frame.wrap(buffer, OFFSET, 73));
        assertEquals(EthernetFrame.ETHERTYPE_IPV6, frame.payloadEtherType());
        assertTrue(ip.wrap(buffer, frame.payloadOffset(), frame.payloadLength()));

        assertEquals(6, ip.version());
        assertEquals(0, ip.trafficClass());
        assertEquals(0, ip.flowLabel());
        assertEquals(19, ip.payloadLength());
        assertEquals(Ipv6Packet.NEXT_HEADER_UDP, ip.nextHeader());
        assertEquals(64, ip.hopLimit());
        assertEquals(0xfd00_0000_0000_0000L, ip.sourceHigh());
        assertEquals(2L, ip.sourceLow());
        assertEquals(0xfd00_0000_0000_0000L, ip.destinationHigh());
        assertEquals(1L, ip.destinationLow());
        assertFalse(ip.isDestinationMulticast());
        assertEquals(IP + 40, ip.payloadOffset());
    }

    @Test
    void readsTrafficClassAndFlowLabel() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.IPV6_UDP, OFFSET);
        buffer.putInt(IP, 0x6AB1_2345, ByteOrder.BIG_ENDIAN);
        assertTrue(ip.wrap(buffer, IP, 59));
        assertEquals(0xAB, ip.trafficClass());
        assertEquals(0x1_2345, ip.flowLabel());
    }

    @Test
    void settersWriteInPlace() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.IPV6_UDP, OFFSET);
        assertTrue(ip.wrap(buffer, IP, 59));
        ip.setHopLimit(1);
        ip.setNextHeader(Ipv6Packet.NEXT_HEADER_ICMPV6);
        ip.setPayloadLength(8);
        ip.setSource(0xfe80_0000_0000_0000L, 0x0042_0aff_fe00_0002L);
        ip.setDestination(0xff02_0000_0000_0000L, 1L);
        assertEquals(1, ip.hopLimit());
        assertEquals(Ipv6Packet.NEXT_HEADER_ICMPV6, ip.nextHeader());
        assertEquals(8, ip.payloadLength());
        assertEquals(0xfe80_0000_0000_0000L, ip.sourceHigh());
        assertEquals(0x0042_0aff_fe00_0002L, ip.sourceLow());
        assertEquals(0xff02_0000_0000_0000L, ip.destinationHigh());
        assertEquals(1L, ip.destinationLow());
        assertTrue(ip.isDestinationMulticast());
        assertEquals(0x5A, buffer.getByte(IP + 59 + 16 - 1));
    }

    @Test
    void rejectsEveryTruncation() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.IPV6_UDP, OFFSET);
        for (int length = 0; length < 59; length++) {
            // Below 40 the header does not fit; from 40 to 58 the 19-byte payload does not.
            final int truncated = length;
            assertFalse(ip.wrap(buffer, IP, length), () -> "length " + truncated);
            assertFalse(ip.isWrapped());
        }
        assertTrue(ip.wrap(buffer, IP, 59));
    }

    @Test
    void rejectsOtherVersions() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.IPV6_UDP, OFFSET);
        for (int version = 0; version < 16; version++) {
            buffer.putByte(IP, (byte) (version << 4));
            assertEquals(version == 6, ip.wrap(buffer, IP, 59), "version " + version);
        }
    }
}
