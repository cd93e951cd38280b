package io.jvswitch.switching;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.UdpPacket;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Port security at ingress: a frame from an enforced endpoint must carry the endpoint's own source
 * MAC and IPv4/IPv6 source, and must not be a DHCP server's. ARP is checked by
 * {@link ProxyArpResponder}, where the ARP header is parsed anyway.
 */
final class EndpointSourceCheck {
    private final PortTable table;
    private final Egress egress;
    private final Ipv6PortSecurity ipv6Security = new Ipv6PortSecurity();

    EndpointSourceCheck(PortTable table, Egress egress) {
        this.table = table;
        this.egress = egress;
    }

    /** Whether the frame speaks as its endpoint; if not, it is dropped and counted here. */
    boolean passes(
            int ingress,
            PortCounters in,
            EthernetFrame ethernet,
            int etherType,
            MutableDirectBuffer buffer,
            int length) {
        if (ethernet.source() != table.macs[ingress]) {
            egress.drop(ingress, in, DropReason.SPOOFED_SOURCE_MAC, buffer, length);
            return false;
        }
        final int l3 = ethernet.payloadOffset();
        if (etherType == EthernetFrame.ETHERTYPE_IPV4) {
            if (length - l3 < Ipv4Packet.MIN_HEADER_LENGTH) {
                egress.drop(ingress, in, DropReason.TRUNCATED_IP, buffer, length);
                return false;
            }
            final int source = buffer.getInt(l3 + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
            if (source != table.ips[ingress] && source != 0) {
                egress.drop(ingress, in, DropReason.SPOOFED_SOURCE_IP, buffer, length);
                return false;
            }
            if (isDhcpServerMessage(buffer, l3, length)) {
                egress.drop(ingress, in, DropReason.DHCP_SERVER, buffer, length);
                return false;
            }
        } else if (etherType == EthernetFrame.ETHERTYPE_IPV6) {
            if (length - l3 < Ipv6Packet.HEADER_LENGTH) {
                egress.drop(ingress, in, DropReason.TRUNCATED_IP, buffer, length);
                return false;
            }
            final DropReason refused = ipv6Security.check(
                    buffer, l3, length, table.macs[ingress], table.ip6Highs[ingress], table.ip6Lows[ingress]);
            if (refused != null) {
                egress.drop(ingress, in, refused, buffer, length);
                return false;
            }
        }
        return true;
    }

    /** UDP from port 67 to 68 in an unfragmented (or first) IPv4 packet: only a DHCP server sends it. */
    private static boolean isDhcpServerMessage(MutableDirectBuffer buffer, int l3, int length) {
        if ((buffer.getByte(l3 + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF) != Ipv4Packet.PROTOCOL_UDP
                || (buffer.getShort(l3 + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN)
                                & Ipv4Packet.FRAGMENT_OFFSET_MASK)
                        != 0) {
            return false;
        }
        final int udp = l3 + (buffer.getByte(l3) & 0x0F) * 4;
        return udp + UdpPacket.HEADER_LENGTH <= length
                && (buffer.getShort(udp + UdpPacket.SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                        == UdpPacket.DHCP_SERVER_PORT
                && (buffer.getShort(udp + UdpPacket.DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                        == UdpPacket.DHCP_CLIENT_PORT;
    }
}
