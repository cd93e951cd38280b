package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class EthernetFrameTest {
    private static final int OFFSET = 5;

    /** ICMP echo request with an 802.1Q tag PCP 5, VID 100 inserted after the source MAC. */
    private static final String SINGLE_TAGGED = SampleFrames.ICMP_ECHO_REQUEST.substring(0, 24) + "8100" + "a064"
            + SampleFrames.ICMP_ECHO_REQUEST.substring(24);

    /** 802.1ad outer VID 10 then 802.1Q inner VID 20, then IPv4. */
    private static final String DOUBLE_TAGGED = SampleFrames.ICMP_ECHO_REQUEST.substring(0, 24) + "88a8" + "000a"
            + "8100" + "0014" + SampleFrames.ICMP_ECHO_REQUEST.substring(24);

    private final EthernetFrame frame = new EthernetFrame();

    @Test
    void readsUntaggedFrame() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, OFFSET);
        assertTrue(frame.wrap(buffer, OFFSET, 74));
        assertEquals(SampleFrames.MAC_B, frame.destination());
        assertEquals(SampleFrames.MAC_A, frame.source());
        assertEquals(EthernetFrame.ETHERTYPE_IPV4, frame.etherType());
        assertEquals(EthernetFrame.ETHERTYPE_IPV4, frame.payloadEtherType());
        assertFalse(frame.isTagged());
        assertEquals(0, frame.tagCount());
        assertEquals(-1, frame.vlanId());
        assertEquals(-1, frame.vlanPriority());
        assertEquals(OFFSET + 14, frame.payloadOffset());
        assertEquals(14, frame.headerLength());
        assertEquals(60, frame.payloadLength());
        assertEquals(74, frame.wrappedLength());
    }

    @Test
    void looksThroughOneVlanTag() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SINGLE_TAGGED, OFFSET);
        assertTrue(frame.wrap(buffer, OFFSET, 78));
        assertEquals(EthernetFrame.ETHERTYPE_VLAN, frame.etherType());
        assertTrue(frame.isTagged());
        assertEquals(1, frame.tagCount());
        assertEquals(100, frame.vlanId());
        assertEquals(5, frame.vlanPriority());
        assertEquals(EthernetFrame.ETHERTYPE_IPV4, frame.payloadEtherType());
        assertEquals(OFFSET + 18, frame.payloadOffset());
        assertEquals(60, frame.payloadLength());
        assertEquals(0x45, buffer.getByte(frame.payloadOffset()));
    }

    @Test
    void looksThroughQinQTags() {
        final UnsafeBuffer buffer = SampleFrames.buffer(DOUBLE_TAGGED, OFFSET);
        assertTrue(frame.wrap(buffer, OFFSET, 82));
        assertEquals(EthernetFrame.ETHERTYPE_QINQ, frame.etherType());
        assertEquals(2, frame.tagCount());
        assertEquals(10, frame.vlanId());
        assertEquals(EthernetFrame.ETHERTYPE_IPV4, frame.payloadEtherType());
        assertEquals(OFFSET + 22, frame.payloadOffset());
        assertEquals(22, frame.headerLength());
        assertEquals(60, frame.payloadLength());
    }

    @Test
    void stopsAfterTwoTags() {
        final String triple = SampleFrames.ICMP_ECHO_REQUEST.substring(0, 24) + "88a8000a" + "81000014" + "8100001e"
                + SampleFrames.ICMP_ECHO_REQUEST.substring(24);
        final UnsafeBuffer buffer = SampleFrames.buffer(triple, OFFSET);
        assertTrue(frame.wrap(buffer, OFFSET, 86));
        assertEquals(2, frame.tagCount());
        assertEquals(EthernetFrame.ETHERTYPE_VLAN, frame.payloadEtherType());
        assertEquals(OFFSET + 22, frame.payloadOffset());
    }

    @Test
    void acceptsHeaderOnlyFrames() {
        assertTrue(frame.wrap(SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, 0), 0, 14));
        assertEquals(0, frame.payloadLength());
        assertTrue(frame.wrap(SampleFrames.buffer(SINGLE_TAGGED, 0), 0, 18));
        assertEquals(0, frame.payloadLength());
        assertTrue(frame.wrap(SampleFrames.buffer(DOUBLE_TAGGED, 0), 0, 22));
        assertEquals(0, frame.payloadLength());
    }

    @Test
    void rejectsEveryTruncation() {
        assertRejectedBelow(SampleFrames.ICMP_ECHO_REQUEST, 14);
        assertRejectedBelow(SINGLE_TAGGED, 18);
        assertRejectedBelow(DOUBLE_TAGGED, 22);
    }

    @Test
    void rejectsRegionsOutsideTheBuffer() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SampleFrames.ICMP_ECHO_REQUEST, 0);
        assertFalse(frame.wrap(buffer, -1, 20));
        assertFalse(frame.wrap(buffer, 0, buffer.capacity() + 1));
        assertFalse(frame.wrap(buffer, buffer.capacity() - 10, 14));
        assertFalse(frame.wrap(buffer, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertFalse(frame.wrap(null, 0, 14));
        assertTrue(frame.wrap(buffer, 0, buffer.capacity()));
    }

    @Test
    void failedWrapLeavesFrameUnwrapped() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SINGLE_TAGGED, 0);
        assertTrue(frame.wrap(buffer, 0, 78));
        assertTrue(frame.isWrapped());
        assertFalse(frame.wrap(buffer, 0, 17));
        assertFalse(frame.isWrapped());
        assertNull(frame.buffer());
        assertEquals(-1, frame.vlanId());
        assertEquals(0, frame.tagCount());
    }

    @Test
    void settersWriteInPlace() {
        final UnsafeBuffer buffer = SampleFrames.buffer(SINGLE_TAGGED, OFFSET);
        assertTrue(frame.wrap(buffer, OFFSET, 78));
        frame.setDestination(MacAddress.BROADCAST);
        frame.setSource(0x0242_ac11_0002L);
        frame.setPayloadEtherType(EthernetFrame.ETHERTYPE_IPV6);
        assertEquals(MacAddress.BROADCAST, frame.destination());
        assertEquals(0x0242_ac11_0002L, frame.source());
        assertEquals(EthernetFrame.ETHERTYPE_IPV6, frame.payloadEtherType());
        assertEquals(0x5A, buffer.getByte(OFFSET - 1));

        assertTrue(frame.wrap(buffer, OFFSET, 78));
        assertEquals(EthernetFrame.ETHERTYPE_IPV6, frame.payloadEtherType());
        assertEquals(EthernetFrame.ETHERTYPE_VLAN, frame.etherType());
        assertEquals(100, frame.vlanId());
    }

    private void assertRejectedBelow(final String hex, final int minimum) {
        final UnsafeBuffer buffer = SampleFrames.buffer(hex, OFFSET);
        for (int length = 0; length < minimum; length++) {
            assertTrue(frame.wrap(buffer, OFFSET, buffer.capacity() - OFFSET));
            final int truncated = length;
            assertFalse(frame.wrap(buffer, OFFSET, length), () -> "length " + truncated);
            assertFalse(frame.isWrapped());
        }
        assertTrue(frame.wrap(buffer, OFFSET, minimum));
    }
}
