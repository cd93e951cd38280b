package io.jvswitch.switching;

import static io.jvswitch.switching.Ipv6Router.ETH;
import static io.jvswitch.switching.Ipv6Router.L3;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.MutableDirectBuffer;

/**
 * What the IPv6 router answers itself, in place in the frame it came in: ping6 to a gateway
 * address or to the router's link-local address on the host link, and the host's neighbor
 * solicitations for that link-local address (its next hop for every network's IPv6 subnet).
 * Neighbor solicitations inside a network are answered earlier, by {@link NeighborProxy}; the
 * gateway's UDP service is {@link Ipv6GatewayService}'s.
 */
final class Ipv6GatewayResponder {
    private final FrameContext frame;
    private final Egress egress;
    /** The header of the frame in hand, wrapped by the router. */
    private final Ipv6Packet ip;

    private final Icmpv6Packet icmp = new Icmpv6Packet();
    private long routerMac;
    /** The router's link-local address on the host link (low half; the high half is fe80::). */
    private long routerLinkLocalLow;

    Ipv6GatewayResponder(FrameContext frame, Egress egress, Ipv6Packet ip) {
        this.frame = frame;
        this.egress = egress;
        this.ip = ip;
    }

    void routerAddress(long mac, long linkLocalLow) {
        routerMac = mac;
        routerLinkLocalLow = linkLocalLow;
    }

    /**
     * The host resolving the router's link-local address: answered with the router's MAC, as
     * proxy-NDP answers inside a network. Returns false if the packet is not such a solicitation.
     */
    boolean answerHostSolicitation(
            int ingress, PortCounters in, EthernetFrame ethernet, MutableDirectBuffer buffer, int length) {
        if (ip.nextHeader() != Ipv6Packet.NEXT_HEADER_ICMPV6
                || ip.hopLimit() != Icmpv6Packet.ND_HOP_LIMIT
                || ip.payloadLength() < Icmpv6Packet.ND_MIN_LENGTH
                || !icmp.wrap(buffer, ip.payloadOffset(), ip.payloadLength())
                || icmp.type() != Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION
                || icmp.targetHigh() != Ipv6Address.LINK_LOCAL_HIGH
                || icmp.targetLow() != routerLinkLocalLow
                || (ip.sourceHigh() | ip.sourceLow()) == 0) {
            return false;
        }
        frame.record(TraceEvent.HOST_NDP_FOR_ROUTER, Ipv6Address.LINK_LOCAL_HIGH, routerLinkLocalLow);
        frame.record(TraceEvent.PROXY_NDP_VERDICT, ingress);
        if (frame.dryRun) {
            return true;
        }
        final long askerHigh = ip.sourceHigh();
        final long askerLow = ip.sourceLow();
        ethernet.setDestination(ethernet.source());
        ethernet.setSource(routerMac);
        ip.setVersionClassFlow();
        ip.setPayloadLength(Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH);
        ip.setDestination(askerHigh, askerLow);
        ip.setSource(Ipv6Address.LINK_LOCAL_HIGH, routerLinkLocalLow);
        icmp.writeNeighborAdvertisement(
                Ipv6Address.LINK_LOCAL_HIGH,
                routerLinkLocalLow,
                routerMac,
                Icmpv6Packet.NA_FLAG_ROUTER | Icmpv6Packet.NA_FLAG_SOLICITED | Icmpv6Packet.NA_FLAG_OVERRIDE);
        icmp.setChecksum(icmp.computeChecksum(ip, Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH));
        VirtioNetHeader.clear(buffer, 0);
        in.count(PortCounter.ARP_ANSWERED);
        egress.transmit(ingress, buffer, L3 + Ipv6Packet.HEADER_LENGTH + Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH);
        return true;
    }

    /**
     * An echo request to {@code mac}'s owner (the gateway, or the router on the host link) turned
     * into the reply in place. Returns false if the packet is not an echo request.
     */
    boolean answerEcho(int ingress, PortCounters in, long mac, MutableDirectBuffer buffer, int length) {
        final int icmpLength = ip.payloadLength();
        if (ip.nextHeader() != Ipv6Packet.NEXT_HEADER_ICMPV6
                || !icmp.wrap(buffer, ip.payloadOffset(), icmpLength)
                || icmp.type() != Icmpv6Packet.TYPE_ECHO_REQUEST) {
            return false;
        }
        if (!VirtioNetHeader.needsChecksum(buffer, 0) && !icmp.checksumValid(ip, icmpLength)) {
            egress.drop(ingress, in, DropReason.BAD_L4_CHECKSUM, buffer, length);
            return true;
        }
        frame.record(TraceEvent.GATEWAY_ECHO6, ip.destinationHigh(), ip.destinationLow());
        frame.record(TraceEvent.ECHO6_REPLY_VERDICT, ingress);
        if (frame.dryRun) {
            return true;
        }
        final long sourceHigh = ip.sourceHigh();
        final long sourceLow = ip.sourceLow();
        ip.setSource(ip.destinationHigh(), ip.destinationLow());
        ip.setDestination(sourceHigh, sourceLow);
        ip.setHopLimit(Ipv6IcmpErrors.HOP_LIMIT);
        icmp.setType(Icmpv6Packet.TYPE_ECHO_REPLY);
        icmp.setChecksum(icmp.computeChecksum(ip, icmpLength));
        MacAddress.write(
                buffer,
                ETH + EthernetFrame.DESTINATION_OFFSET,
                MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET));
        MacAddress.write(buffer, ETH + EthernetFrame.SOURCE_OFFSET, mac);
        VirtioNetHeader.clear(buffer, 0);
        in.count(PortCounter.GATEWAY_ANSWERED);
        egress.transmit(ingress, buffer, L3 + Ipv6Packet.HEADER_LENGTH + icmpLength);
        return true;
    }
}
