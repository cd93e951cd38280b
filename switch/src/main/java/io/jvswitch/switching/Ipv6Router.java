package io.jvswitch.switching;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The IPv6 side of every dual-stack network's gateway: routes IPv6 between each network and the
 * host link, never between two networks. This class makes the routing decision (header checks, the
 * network an address is in, link-local and multicast never forwarded, isolation) and does what a
 * router must to a packet it forwards (RFC 8200): hop limit decremented (IPv6 has no header checksum
 * to update), size checked against the next hop's MTU (IPv6 routers never fragment), MACs rewritten.
 * What cannot be delivered goes to {@link Ipv6IcmpErrors}; ping6 to the gateway or the router, and
 * the host's neighbor solicitations for the router, to {@link Ipv6GatewayResponder}.
 *
 * <p>On the host link the router has a link-local address derived from its MAC (EUI-64), which the
 * host routes each network's IPv6 subnet via. Neighbor solicitations inside a network are answered
 * earlier, by {@link NeighborProxy}.
 *
 * <p>The gateway's UDP service (DNS) over IPv6 is {@link Ipv6GatewayService}'s; address translation
 * (the routing hook's IPv6 side: masquerade) is {@link Ipv6Translation}'s, called before the route
 * lookup and after it as the IPv4 router calls its hook. Not done here: extension headers (a packet
 * is routed whatever follows the fixed header, and quoted in errors as it is). Runs on the dataplane
 * thread; rewrites in place; allocates nothing per packet.
 */
final class Ipv6Router {
    static final int ETH = VirtioNetHeader.LENGTH;
    /** Routed frames are untagged, so the IPv6 header always starts here. */
    static final int L3 = ETH + EthernetFrame.HEADER_LENGTH;
    /** fe80::/64, the high half of every link-local address the router has. */
    private static final long LINK_LOCAL_HIGH = Ipv6Address.LINK_LOCAL_HIGH;

    private final Egress egress;
    private final FrameContext frame;
    private final PortTable table;
    /** The header of the frame in hand, shared with the responder and the errors. */
    private final Ipv6Packet ip = new Ipv6Packet();

    private final Ipv6IcmpErrors errors;
    private final Ipv6GatewayResponder responder;
    private final Ipv6Translation translation;
    /** The gateway's UDP service (DNS) at each IPv6 gateway address. */
    final Ipv6GatewayService service;

    private BridgeDomain[] routed = new BridgeDomain[0];

    int hostLinkSlot = -1;
    private long routerMac;
    private long hostMac;
    /** The router's link-local address on the host link (low half; the high half is fe80::). */
    private long routerLinkLocalLow;

    long fromHost;
    long toHost;

    Ipv6Router(Egress egress, FrameContext frame, PortTable table, int scratchBytes, IcmpRateLimiter icmpLimiter) {
        this.egress = egress;
        this.frame = frame;
        this.table = table;
        this.errors = new Ipv6IcmpErrors(frame, egress, ip, scratchBytes, icmpLimiter);
        this.responder = new Ipv6GatewayResponder(frame, egress, ip);
        this.translation = new Ipv6Translation(frame, egress);
        this.service = new Ipv6GatewayService(egress, frame);
    }

    // ---- configuration (commands on the dataplane thread) ---------------------------------

    void routedNetworks(BridgeDomain[] domains) {
        routed = domains;
    }

    /** The routing hook's IPv6 side, or null for none. */
    void hook(RoutingHook hook) {
        translation.hook(hook);
    }

    void hostLink(int slot, HostLinkSpec spec) {
        hostLinkSlot = slot;
        if (spec != null) {
            routerMac = spec.routerMac();
            hostMac = spec.hostMac();
            routerLinkLocalLow = Ipv6Address.interfaceId(routerMac);
            errors.routerAddress(routerMac, routerLinkLocalLow);
            responder.routerAddress(routerMac, routerLinkLocalLow);
        }
    }

    long icmpErrorsSent() {
        return errors.sent;
    }

    long icmpErrorsSuppressed() {
        return errors.suppressed;
    }

    // ---- from a network ----------------------------------------------------------------------

    /** An IPv6 frame a container sent to its gateway's MAC. */
    void fromNetwork(
            int ingress, PortCounters in, BridgeDomain domain, MutableDirectBuffer buffer, int length, int l3) {
        if (!domain.routesIpv6()) {
            egress.drop(ingress, in, DropReason.NO_ROUTE, buffer, length);
            return;
        }
        if (l3 != L3) {
            egress.drop(ingress, in, DropReason.TAGGED_NOT_ROUTED, buffer, length);
            return;
        }
        if (!validHeader(ingress, in, buffer, length)) {
            return;
        }
        long high = ip.destinationHigh(); // the hook may translate it: read again after its call
        long low = ip.destinationLow();
        if (high == domain.gateway6High && low == domain.gateway6Low) {
            if (responder.answerEcho(ingress, in, domain.gatewayMac, buffer, length)
                    || service.offer(ingress, in, domain, ip, buffer, length)) {
                return;
            }
            // The host owns the gateway address too: the rest (answers to the host's own traffic,
            // connections to host services such as DNS over TCP) goes up the host link, as over IPv4.
            if (hostLinkSlot < 0 || domain.internal) {
                frame.record(
                        domain.internal
                                ? TraceEvent.ROUTE_GATEWAY6_ANSWERS_PING_AND_SERVICE_ONLY
                                : TraceEvent.ROUTE_NO_HOST_LINK_BEHIND_GATEWAY,
                        0);
                errors.unreachable(
                        ingress, in, domain, buffer, length, DropReason.GATEWAY_CLOSED, Icmpv6Packet.UNREACHABLE_PORT);
                return;
            }
            frame.record(TraceEvent.ROUTE_GATEWAY_TO_HOST, 0);
            forward(ingress, in, domain, null, buffer, length);
            return;
        }
        if (ip.isDestinationMulticast() || Ipv6Address.isLinkLocal(high) || Ipv6Address.isLinkLocal(ip.sourceHigh())) {
            // RFC 4291 2.5.6: link-local packets are never forwarded; multicast is not routed here
            egress.drop(ingress, in, DropReason.NO_ROUTE, buffer, length);
            return;
        }
        final int verdict = translation.beforeRouting(domain.id, ip, buffer, length);
        if (verdict == RoutingHook.DROP) {
            return;
        }
        final boolean tracked = verdict == RoutingHook.ACCEPT_TRACKED;
        high = ip.destinationHigh();
        low = ip.destinationLow();
        final BridgeDomain target = lookup(high);
        if (target == null) {
            if (domain.internal && !tracked) {
                frame.record(TraceEvent.ROUTE_INTERNAL_NO_WAY_OUT, domain.id);
                errors.unreachable(
                        ingress,
                        in,
                        domain,
                        buffer,
                        length,
                        DropReason.INTERNAL_NETWORK,
                        Icmpv6Packet.UNREACHABLE_NO_ROUTE);
            } else if (hostLinkSlot < 0) {
                frame.record(TraceEvent.ROUTE_NO_HOST_LINK, 0);
                errors.unreachable(
                        ingress, in, domain, buffer, length, DropReason.NO_ROUTE, Icmpv6Packet.UNREACHABLE_NO_ROUTE);
            } else {
                frame.record(TraceEvent.ROUTE6_BEYOND_NETWORKS, high, low);
                forward(ingress, in, domain, null, buffer, length);
            }
        } else if ((target != domain && !tracked) || (high == target.gateway6High && low == target.gateway6Low)) {
            frame.record(TraceEvent.ROUTE6_ISOLATED, high, low, target.id);
            errors.unreachable(
                    ingress,
                    in,
                    domain,
                    buffer,
                    length,
                    DropReason.ISOLATED,
                    Icmpv6Packet.UNREACHABLE_ADMIN_PROHIBITED);
        } else {
            frame.record(TraceEvent.ROUTE6_IN_NETWORK, high, low, target.id);
            forward(ingress, in, domain, target, buffer, length);
        }
    }

    // ---- from the host link --------------------------------------------------------------------

    /** An IPv6 frame from the host's stack: neighbor solicitation for the router, ping6, or to route in. */
    void fromHost(int ingress, PortCounters in, EthernetFrame ethernet, MutableDirectBuffer buffer, int length) {
        final int l3 = ethernet.payloadOffset();
        if (l3 != L3) {
            egress.drop(ingress, in, DropReason.TAGGED_NOT_ROUTED, buffer, length);
            return;
        }
        if (!validHeader(ingress, in, buffer, length)) {
            return;
        }
        long high = ip.destinationHigh(); // the hook may translate it: read again after its call
        long low = ip.destinationLow();
        if (responder.answerHostSolicitation(ingress, in, ethernet, buffer, length)) {
            return;
        }
        if (ethernet.destination() != routerMac || ip.isDestinationMulticast()) {
            // the host's own router solicitations, MLD reports and duplicate address detection
            egress.drop(ingress, in, DropReason.NOT_FOR_ROUTER, buffer, length);
            return;
        }
        fromHost++;
        if (high == LINK_LOCAL_HIGH && low == routerLinkLocalLow) {
            if (!responder.answerEcho(ingress, in, routerMac, buffer, length)) {
                frame.record(TraceEvent.ROUTE_ROUTER_ANSWERS_PING6_ONLY, 0);
                errors.unreachable(
                        ingress, in, null, buffer, length, DropReason.GATEWAY_CLOSED, Icmpv6Packet.UNREACHABLE_PORT);
            }
            return;
        }
        final int verdict = translation.beforeRouting(RoutingHook.HOST_LINK, ip, buffer, length);
        if (verdict == RoutingHook.DROP) {
            return;
        }
        high = ip.destinationHigh();
        low = ip.destinationLow();
        final BridgeDomain target = lookup(high);
        if (target == null || (high == target.gateway6High && low == target.gateway6Low)) {
            frame.record(TraceEvent.ROUTE6_IN_NO_NETWORK, high, low);
            errors.unreachable(
                    ingress, in, null, buffer, length, DropReason.NO_ROUTE, Icmpv6Packet.UNREACHABLE_NO_ROUTE);
        } else if (target.internal && verdict != RoutingHook.ACCEPT_TRACKED) {
            frame.record(TraceEvent.ROUTE_INTERNAL_FROM_HOST, target.id);
            errors.unreachable(
                    ingress,
                    in,
                    null,
                    buffer,
                    length,
                    DropReason.INTERNAL_NETWORK,
                    Icmpv6Packet.UNREACHABLE_ADMIN_PROHIBITED);
        } else {
            frame.record(TraceEvent.ROUTE6_FROM_HOST, high, low, target.id);
            forward(ingress, in, null, target, buffer, length);
        }
    }

    // ---- the forwarding path -----------------------------------------------------------------

    /** Routes the packet (header in {@link #ip}) from {@code from} (null: the host) to {@code to} (null: the host). */
    private void forward(
            int ingress, PortCounters in, BridgeDomain from, BridgeDomain to, MutableDirectBuffer buffer, int length) {
        if (ip.hopLimit() <= 1) {
            frame.record(TraceEvent.ROUTE_HOP_LIMIT_EXPIRES, ip.hopLimit());
            errors.refuse(
                    ingress,
                    in,
                    from,
                    buffer,
                    length,
                    DropReason.TTL_EXCEEDED,
                    Icmpv6Packet.TYPE_TIME_EXCEEDED,
                    Icmpv6Packet.TIME_EXCEEDED_HOP_LIMIT,
                    0);
            return;
        }
        final int mtu = to == null ? table.mtus[hostLinkSlot] : to.mtu;
        final boolean gso = VirtioNetHeader.isGso(buffer, 0);
        final int packetLength = Ipv6Packet.HEADER_LENGTH + ip.payloadLength();
        final int checkedLength = gso ? gsoSegmentLength(buffer) : packetLength;
        if (checkedLength > mtu) {
            frame.record(TraceEvent.ROUTE6_TOO_BIG, checkedLength, mtu);
            errors.refuse(
                    ingress,
                    in,
                    from,
                    buffer,
                    length,
                    DropReason.FRAGMENTATION_NEEDED,
                    Icmpv6Packet.TYPE_PACKET_TOO_BIG,
                    0,
                    mtu);
            return;
        }
        final long destinationMac;
        final long sourceMac;
        if (to == null) {
            destinationMac = hostMac;
            sourceMac = routerMac;
        } else {
            destinationMac = to.addresses6.lookup(ip.destinationHigh(), ip.destinationLow());
            sourceMac = to.gatewayMac;
            if (destinationMac < 0) {
                frame.record(TraceEvent.ROUTE6_NO_NEIGHBOR, ip.destinationHigh(), ip.destinationLow(), to.id);
                errors.unreachable(
                        ingress, in, from, buffer, length, DropReason.NO_NEIGHBOR, Icmpv6Packet.UNREACHABLE_ADDRESS);
                return;
            }
        }
        if (frame.dryRun) {
            translation.explainAfterRouting(
                    from == null ? RoutingHook.HOST_LINK : from.id,
                    to == null ? RoutingHook.HOST_LINK : to.id,
                    ip,
                    buffer,
                    length);
            frame.record(TraceEvent.ROUTED_VERDICT, to == null ? RoutingHook.HOST_LINK : to.id);
            return;
        }
        if (!translation.afterRouting(
                from == null ? RoutingHook.HOST_LINK : from.id,
                to == null ? RoutingHook.HOST_LINK : to.id,
                ip,
                buffer,
                length)) {
            return;
        }
        ip.setHopLimit(ip.hopLimit() - 1);
        in.count(PortCounter.ROUTED);
        if (from != null) {
            from.count(NetworkCounter.ROUTED_OUT);
        }
        MacAddress.write(buffer, ETH + EthernetFrame.DESTINATION_OFFSET, destinationMac);
        MacAddress.write(buffer, ETH + EthernetFrame.SOURCE_OFFSET, sourceMac);
        // The packet, not what trails it in the frame (Ethernet padding): that is what was checked
        // against the MTU. A jumbogram (payload length 0) goes as it came.
        final int sent = ip.payloadLength() == 0 ? length : L3 + packetLength;
        if (to == null) {
            toHost++;
            frame.record(TraceEvent.ROUTED_TO_HOST_LINK_VERDICT, hostLinkSlot);
            egress.transmit(hostLinkSlot, buffer, sent);
        } else {
            to.count(NetworkCounter.ROUTED_IN);
            egress.switchWithin(ingress, to, buffer, sent);
        }
    }

    /** Length of the largest IPv6 packet a GSO super-frame becomes once segmented. */
    private int gsoSegmentLength(DirectBuffer buffer) {
        final int l4 = ip.payloadOffset();
        final int type = VirtioNetHeader.gsoType(buffer, 0) & ~VirtioNetHeader.GSO_ECN;
        final int l4Header = type == VirtioNetHeader.GSO_TCPV6 && ip.payloadLength() >= 13
                ? ((buffer.getByte(l4 + 12) & 0xF0) >>> 2)
                : 8;
        return Ipv6Packet.HEADER_LENGTH + l4Header + VirtioNetHeader.gsoSize(buffer, 0);
    }

    /** Checks the fixed header; drops and counts what fails. The payload ends where the packet does. */
    private boolean validHeader(int ingress, PortCounters in, MutableDirectBuffer buffer, int length) {
        if (!ip.wrap(buffer, L3, length - L3)) {
            egress.drop(
                    ingress,
                    in,
                    length - L3 < Ipv6Packet.HEADER_LENGTH ? DropReason.TRUNCATED_IP : DropReason.BAD_IP_HEADER,
                    buffer,
                    length);
            return false;
        }
        ip.wrap(buffer, L3, Ipv6Packet.HEADER_LENGTH + ip.payloadLength());
        return true;
    }

    /** The network whose IPv6 subnet holds an address whose first 8 bytes are {@code high}, or null. */
    BridgeDomain lookup(long high) {
        final BridgeDomain[] networks = routed;
        for (int i = 0; i < networks.length; i++) {
            if (networks[i].containsIpv6(high)) {
                return networks[i];
            }
        }
        return null;
    }
}
