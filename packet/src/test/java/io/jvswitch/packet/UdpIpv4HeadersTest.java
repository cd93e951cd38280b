package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class UdpIpv4HeadersTest {
    @Test
    void writesHeadersTheFlyweightsReadBack() {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[4 + UdpIpv4Headers.LENGTH + 30]);
        b.setMemory(0, b.capacity(), (byte) 0x5A);
        UdpIpv4Headers.write(
                b, 4, Ipv4Address.parse("10.200.0.1"), Ipv4Address.parse("10.200.0.2"), 4789, 4790, 64, 30);

        final EthernetFrame ethernet = new EthernetFrame();
        assertTrue(ethernet.wrap(b, 4, b.capacity() - 4));
        assertEquals(EthernetFrame.ETHERTYPE_IPV4, ethernet.payloadEtherType());
        assertEquals(0, ethernet.source());
        final Ipv4Packet ip = new Ipv4Packet();
        assertTrue(ip.wrap(b, 4 + EthernetFrame.HEADER_LENGTH, Ipv4Packet.MIN_HEADER_LENGTH + 8 + 30));
        assertEquals(4, ip.version());
        assertEquals(Ipv4Packet.MIN_HEADER_LENGTH + 8 + 30, ip.totalLength());
        assertEquals(Ipv4Packet.PROTOCOL_UDP, ip.protocol());
        assertEquals(64, ip.ttl());
        assertTrue(ip.dontFragment());
        assertEquals("10.200.0.1", Ipv4Address.format(ip.source()));
        assertEquals("10.200.0.2", Ipv4Address.format(ip.destination()));
        assertTrue(ip.isHeaderChecksumValid());
        final UdpPacket udp = new UdpPacket();
        assertTrue(udp.wrap(b, ip.payloadOffset(), 8 + 30));
        assertEquals(4789, udp.sourcePort());
        assertEquals(4790, udp.destinationPort());
        assertEquals(38, udp.length());
        assertEquals(0, udp.checksum(), "no UDP checksum");
        assertEquals((byte) 0x5A, b.getByte(4 + UdpIpv4Headers.LENGTH), "the payload is not touched");
        assertEquals((byte) 0x5A, b.getByte(3), "nor what is before");
    }
}
