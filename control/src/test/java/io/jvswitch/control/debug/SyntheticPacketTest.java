package io.jvswitch.control.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.service.ControlException;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;

/** The words of {@code jvs trace} for IPv6, and the frames they stand for, read back with the packet flyweights. */
class SyntheticPacketTest {
    private static final long MAC = 0x024A_0A5D_0002L;
    private static final long GATEWAY_MAC = 0x024A_0A5D_0001L;
    private static final BigInteger SOURCE = Ipv6Cidr.parseAddress("fd00:30::10", "source");

    @Test
    void anIpv6AddressChoosesTheFamilyForTcpAndUdp() {
        final SyntheticPacket tcp = SyntheticPacket.parse("tcp dst fd00:30::20 port 80");
        assertTrue(tcp.ipv6());
        assertEquals("tcp", tcp.protocol());
        assertEquals(Ipv6Cidr.parseAddress("fd00:30::20", "x"), tcp.dstIp6());
        assertTrue(SyntheticPacket.parse("udp6 dst fd00:30::20 port 53").ipv6());
        assertFalse(SyntheticPacket.parse("tcp dst 10.0.0.3 port 80").ipv6());
    }

    @Test
    void icmp6WhoHasIsANeighborSolicitation() {
        assertTrue(SyntheticPacket.parse("icmp6 who-has fd00:30::20").neighborSolicitation());
        assertFalse(SyntheticPacket.parse("icmp6 dst fd00:30::20").neighborSolicitation());
        assertFalse(SyntheticPacket.parse("arp who-has 10.0.0.3").neighborSolicitation());
    }

    @Test
    void anEchoRequestCarriesValidChecksumsAndTheDefaults() {
        final byte[] frame = SyntheticPacket.parse("icmp6 dst fd00:40::9").frame6(MAC, SOURCE, GATEWAY_MAC);
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        final EthernetFrame eth = new EthernetFrame();
        assertTrue(eth.wrap(b, 0, frame.length));
        assertEquals(EthernetFrame.ETHERTYPE_IPV6, eth.etherType());
        assertEquals(GATEWAY_MAC, eth.destination());
        assertEquals(MAC, eth.source());
        final Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(b, EthernetFrame.HEADER_LENGTH, frame.length - EthernetFrame.HEADER_LENGTH));
        assertEquals(Ipv6Packet.NEXT_HEADER_ICMPV6, ip.nextHeader());
        assertEquals(Ipv6Cidr.high(SOURCE), ip.sourceHigh());
        assertEquals(Ipv6Cidr.low(SOURCE), ip.sourceLow());
        final Icmpv6Packet icmp = new Icmpv6Packet();
        assertTrue(icmp.wrap(b, ip.payloadOffset(), ip.payloadLength()));
        assertEquals(Icmpv6Packet.TYPE_ECHO_REQUEST, icmp.type());
        assertTrue(icmp.checksumValid(ip, ip.payloadLength()));
    }

    @Test
    void aTcpSegmentSumsTheIpv6PseudoHeader() {
        final byte[] frame =
                SyntheticPacket.parse("tcp6 dst fd00:40::9 port 443 flags sa").frame6(MAC, SOURCE, GATEWAY_MAC);
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        final Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(b, EthernetFrame.HEADER_LENGTH, frame.length - EthernetFrame.HEADER_LENGTH));
        assertEquals(Ipv6Packet.NEXT_HEADER_TCP, ip.nextHeader());
        final int sum = InternetChecksum.partialSum(
                b,
                ip.payloadOffset(),
                ip.payloadLength(),
                ip.pseudoHeaderSum(Ipv6Packet.NEXT_HEADER_TCP, ip.payloadLength()));
        assertEquals(0xFFFF, InternetChecksum.fold(sum), "a segment with a right checksum sums to all ones");
        assertEquals(0x12, frame[ip.payloadOffset() + 13], "SYN and ACK");
    }

    @Test
    void aSolicitationGoesToTheSolicitedNodeGroupWithTheAskersMac() {
        final byte[] frame =
                SyntheticPacket.parse("icmp6 who-has fd00:30::ab:cdef").frame6(MAC, SOURCE, MacAddress.BROADCAST);
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        final EthernetFrame eth = new EthernetFrame();
        assertTrue(eth.wrap(b, 0, frame.length));
        assertEquals(0x3333_FFAB_CDEFL, eth.destination());
        final Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(b, EthernetFrame.HEADER_LENGTH, frame.length - EthernetFrame.HEADER_LENGTH));
        assertEquals("ff02::1:ffab:cdef", Ipv6Address.format(ip.destinationHigh(), ip.destinationLow()));
        assertEquals(Icmpv6Packet.ND_HOP_LIMIT, ip.hopLimit());
        final Icmpv6Packet icmp = new Icmpv6Packet();
        assertTrue(icmp.wrap(b, ip.payloadOffset(), ip.payloadLength()));
        assertEquals(Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION, icmp.type());
        assertTrue(icmp.holdsTarget());
        assertEquals(Ipv6Cidr.low(Ipv6Cidr.parseAddress("fd00:30::ab:cdef", "x")), icmp.targetLow());
        assertEquals(
                MAC,
                MacAddress.read(
                        b,
                        ip.payloadOffset()
                                + Icmpv6Packet.ND_OPTIONS_OFFSET
                                + Icmpv6Packet.OPTION_LINK_LAYER_ADDRESS_OFFSET));
        assertTrue(icmp.checksumValid(ip, ip.payloadLength()));
    }

    @Test
    void descriptionsOfTheWrongFamilyAreRefusedWithTheWordToUse() {
        assertRefused("icmp6 dst 10.0.0.3", "icmp6 is IPv6, and 10.0.0.3 is an IPv4 address");
        assertRefused("udp6 dst 10.0.0.3 port 53", "udp6 is IPv6, and 10.0.0.3 is an IPv4 address");
        assertRefused("icmp dst fd00::3", "for ICMPv6 to fd00::3 say icmp6");
        assertRefused("arp who-has fd00::3", "say icmp6 who-has");
        assertRefused("icmp6 dst fd00::zz", "invalid destination 'fd00::zz': not an IPv6 address");
        assertRefused("tcp src 10.0.0.2 dst fd00::3 port 80", "must both be IPv4 or both IPv6");
        assertRefused("tcp6 dst fd00::3 port 80 flags sx", "unknown TCP flag 'x'");
        assertRefused("ip6 dst fd00::3", "start with tcp, udp, icmp, arp (IPv4) or icmp6, tcp6, udp6 (IPv6)");
    }

    private static void assertRefused(String description, String why) {
        final ControlException e = assertThrows(ControlException.class, () -> SyntheticPacket.parse(description));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }
}
