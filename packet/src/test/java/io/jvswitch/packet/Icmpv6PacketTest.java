package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

class Icmpv6PacketTest {
    @Test
    void aNeighborAdvertisementHasTheRfc4861LayoutAndAChecksumOverThePseudoHeader() {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[40 + Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH]);
        b.putInt(0, Ipv6Packet.VERSION_WORD, ByteOrder.BIG_ENDIAN);
        final Ipv6Packet ip = new Ipv6Packet();
        b.putShort(Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) 0);
        assertTrue(ip.wrap(b, 0, b.capacity()));
        ip.setPayloadLength(Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH);
        ip.setNextHeader(58);
        ip.setHopLimit(255);
        ip.setSource(0xFD00_0020_0000_0000L, 3);
        ip.setDestination(0xFD00_0020_0000_0000L, 2);
        final Icmpv6Packet na = new Icmpv6Packet();
        assertTrue(na.wrap(b, 40, Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH));
        na.writeNeighborAdvertisement(
                0xFD00_0020_0000_0000L,
                3,
                0x024a_0a00_0003L,
                Icmpv6Packet.NA_FLAG_SOLICITED | Icmpv6Packet.NA_FLAG_OVERRIDE);
        na.setChecksum(na.computeChecksum(ip, Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH));
        assertEquals(136, na.type());
        assertEquals(0x60, b.getByte(40 + 4) & 0xFF);
        assertEquals(3, na.targetLow());
        assertEquals(2, b.getByte(40 + 24), "target link-layer address option");
        assertEquals(1, b.getByte(40 + 25), "8 bytes long");
        assertEquals(0x024a_0a00_0003L, MacAddress.read(b, 40 + 26));
        assertTrue(na.checksumValid(ip, Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH));
        // the same value as a plain one's-complement sum over a pseudo-header written out (RFC 8200 8.1)
        final byte[] pseudo = new byte[40];
        System.arraycopy(b.byteArray(), 8, pseudo, 0, 32);
        pseudo[35] = (byte) Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH;
        pseudo[39] = 58;
        assertEquals(
                ReferenceChecksum.checksumWithPseudoHeader(pseudo, b.byteArray(), 40, b.capacity(), 42),
                na.checksum(),
                "checksum agrees with a reference implementation");
        b.putByte(40 + 10, (byte) 1);
        assertFalse(na.checksumValid(ip, Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH));
    }

    @Test
    void aLinkLayerOptionIsFoundByTypeAndMalformedOptionsGiveNone() {
        final int length = Icmpv6Packet.ND_OPTIONS_OFFSET + 16; // a nonce option (type 14), then a target option
        final UnsafeBuffer b = new UnsafeBuffer(new byte[length]);
        b.putByte(Icmpv6Packet.ND_OPTIONS_OFFSET, (byte) 14);
        b.putByte(Icmpv6Packet.ND_OPTIONS_OFFSET + 1, (byte) 1);
        b.putByte(Icmpv6Packet.ND_OPTIONS_OFFSET + 8, (byte) Icmpv6Packet.OPTION_TARGET_LINK_LAYER);
        b.putByte(Icmpv6Packet.ND_OPTIONS_OFFSET + 9, (byte) 1);
        MacAddress.write(b, Icmpv6Packet.ND_OPTIONS_OFFSET + 10, 0x024a_0a00_0003L);
        final Icmpv6Packet nd = new Icmpv6Packet();
        assertTrue(nd.wrap(b, 0, length));
        assertEquals(0x024a_0a00_0003L, nd.linkLayerOption(Icmpv6Packet.OPTION_TARGET_LINK_LAYER));
        assertEquals(-1, nd.linkLayerOption(Icmpv6Packet.OPTION_SOURCE_LINK_LAYER), "none of that type");
        b.putByte(Icmpv6Packet.ND_OPTIONS_OFFSET + 1, (byte) 0);
        assertEquals(-1, nd.linkLayerOption(Icmpv6Packet.OPTION_TARGET_LINK_LAYER), "a zero-length option");
        b.putByte(Icmpv6Packet.ND_OPTIONS_OFFSET + 1, (byte) 3);
        assertEquals(-1, nd.linkLayerOption(Icmpv6Packet.OPTION_TARGET_LINK_LAYER), "one past the message");
        assertTrue(nd.wrap(b, 0, Icmpv6Packet.ND_OPTIONS_OFFSET));
        assertEquals(-1, nd.linkLayerOption(Icmpv6Packet.OPTION_TARGET_LINK_LAYER), "no options at all");
    }

    @Test
    void addressesHaveTheirRfc5952TextAndLinkLocalsTheirEui64() {
        assertEquals("fd00:20::1", Ipv6Address.format(0xFD00_0020_0000_0000L, 1));
        assertTrue(Ipv6Address.isMulticast(0xFF02_0000_0000_0000L));
        assertFalse(Ipv6Address.isMulticast(0xFD00_0020_0000_0000L));
        assertTrue(Ipv6Address.isLinkLocal(0xFEBF_0000_0000_0000L));
        assertFalse(Ipv6Address.isLinkLocal(0xFEC0_0000_0000_0000L));
        assertEquals("::", Ipv6Address.format(0, 0));
        assertEquals(
                "fe80::4a:feff:fefe:2a02",
                Ipv6Address.format(
                        Ipv6Address.LINK_LOCAL_HIGH, Ipv6Address.interfaceId(MacAddress.parse("02:4a:fe:fe:2a:02"))));
        assertEquals(
                "1:0:1:0:1:0:1:0",
                Ipv6Address.format(0x0001_0000_0001_0000L, 0x0001_0000_0001_0000L),
                "single zero groups stay");
        assertEquals(
                "1::1:0:0:1:0",
                Ipv6Address.format(0x0001_0000_0000_0001L, 0x0000_0000_0001_0000L),
                "the first of two equal runs");
        assertTrue(Ipv6Address.isLinkLocal(0xFEBF_0000_0000_0000L));
        assertFalse(Ipv6Address.isLinkLocal(0xFEC0_0000_0000_0000L));
    }
}
