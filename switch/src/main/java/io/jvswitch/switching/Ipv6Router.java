package io.jvswitch.switching;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The IPv6 side of every dual-stack network's gateway: answers ping6 at the gateway address, and
 * routes IPv6 between each network and the host link, never between two networks. What a router
 * must do (RFC 8200, RFC 4443): hop limit decremented (IPv6 has no header checksum to update), and
 * what cannot be delivered gets the ICMPv6 error hosts rely on: packet too big with the next hop's
 * MTU (IPv6 routers never fragment, so path MTU discovery depends on it), time exceeded,
 * destination unreachable (no route, address unreachable) and administratively prohibited (a
 * packet for another network), rate-limited like the IPv4 router's.
 *
 * <p>On the host link the router has a link-local address derived from its MAC (EUI-64), which the
 * host routes each network's IPv6 subnet via; it answers the host's neighbor solicitations for it
 * and ping6. Neighbor solicitations inside a network are answered earlier, by {@link NeighborProxy}.
 *
 * <p>Not done here: the routing hook (no IPv6 NAT or published ports), the gateway's UDP service
 * over IPv6, extension headers (a packet is routed whatever follows the fixed header, and quoted
 * in errors as it is). Runs on the dataplane thread; rewrites in place and builds errors in one
 * preallocated scratch buffer; allocates nothing per packet.
 */
final class Ipv6Router {
    private static final int ETH = VirtioNetHeader.LENGTH;
    /** Routed frames are untagged, so the IPv6 header always starts here. */
    private static final int L3 = ETH + EthernetFrame.HEADER_LENGTH;

    private static final int HOP_LIMIT = 64;
    /** RFC 4443 2.4(c): an error carries as much of the offending packet as fits in the minimum MTU. */
    private static final int ERROR_MAX_QUOTE =
            Ipv6Packet.MINIMUM_MTU - Ipv6Packet.HEADER_LENGTH - Icmpv6Packet.HEADER_LENGTH;
    /** fe80::/64, the high half of every link-local address the router has. */
    private static final long LINK_LOCAL_HIGH = Ipv6Address.LINK_LOCAL_HIGH;

    private final Egress pipeline;
    private final FrameContext frame;
    private final PortTable table;
    private final Ipv6Packet ip = new Ipv6Packet();
    private final Ipv6Packet out = new Ipv6Packet();
    private final Icmpv6Packet icmp = new Icmpv6Packet();
    private final UnsafeBuffer scratch;
    private final IcmpRateLimiter icmpLimiter;

    private BridgeDomain[] routed = new BridgeDomain[0];

    int hostLinkSlot = -1;
    private long routerMac;
    private long hostMac;
    /** The router's link-local address on the host link (low half; the high half is fe80::). */
    private long routerLinkLocalLow;

    long icmpErrorsSent;
    long icmpErrorsSuppressed;
    long fromHost;
    long toHost;

    Ipv6Router(Egress pipeline, FrameContext frame, PortTable table, int scratchBytes, IcmpRateLimiter icmpLimiter) {
        this.pipeline = pipeline;
        this.frame = frame;
        this.table = table;
        this.scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(scratchBytes, 64));
        this.icmpLimiter = icmpLimiter;
    }

    // ---- configuration (commands on the dataplane thread) ---------------------------------

    void routedNetworks(BridgeDomain[] domains) {
        routed = domains;
    }

    void hostLink(int slot, HostLinkSpec spec) {
        hostLinkSlot = slot;
        if (spec != null) {
            routerMac = spec.routerMac();
            hostMac = spec.hostMac();
            routerLinkLocalLow = Ipv6Address.interfaceId(routerMac);
        }
    }

    // ---- from a network ----------------------------------------------------------------------

    /** An IPv6 frame a container sent to its gateway's MAC. */
    void fromNetwork(
            int ingress, PortCounters in, BridgeDomain domain, MutableDirectBuffer buffer, int length, int l3) {
        if (!domain.routesIpv6()) {
            pipeline.drop(ingress, in, DropReason.NO_ROUTE, buffer, length);
            return;
        }
        if (l3 != L3) {
            pipeline.drop(ingress, in, DropReason.TAGGED_NOT_ROUTED, buffer, length);
            return;
        }
        if (!validHeader(ingress, in, buffer, length)) {
            return;
        }
        final long high = ip.destinationHigh();
        final long low = ip.destinationLow();
        if (high == domain.gateway6High && low == domain.gateway6Low) {
            if (answerEcho(ingress, in, domain.gatewayMac, buffer, length)) {
                return;
            }
            // The host owns the gateway address too: the rest (answers to the host's own traffic,
            // connections to host services) goes up the host link, as over IPv4.
            if (hostLinkSlot < 0 || domain.internal) {
                refuse(
                        ingress,
                        in,
                        domain,
                        buffer,
                        length,
                        DropReason.GATEWAY_CLOSED,
                        Icmpv6Packet.UNREACHABLE_PORT,
                        domain.internal
                                ? "internal network: the gateway answers ping6 only"
                                : "no host link behind the gateway");
                return;
            }
            note("route", "for the gateway address: to the host, which owns it");
            forward(ingress, in, domain, null, buffer, length);
            return;
        }
        if (ip.isDestinationMulticast() || Ipv6Address.isLinkLocal(high) || Ipv6Address.isLinkLocal(ip.sourceHigh())) {
            // RFC 4291 2.5.6: link-local packets are never forwarded; multicast is not routed here
            pipeline.drop(ingress, in, DropReason.NO_ROUTE, buffer, length);
            return;
        }
        final BridgeDomain target = lookup(high);
        if (target == null) {
            if (domain.internal) {
                refuse(
                        ingress,
                        in,
                        domain,
                        buffer,
                        length,
                        DropReason.INTERNAL_NETWORK,
                        Icmpv6Packet.UNREACHABLE_NO_ROUTE,
                        tracing() ? "network " + domain.name + " is internal: no way out" : null);
            } else if (hostLinkSlot < 0) {
                refuse(
                        ingress,
                        in,
                        domain,
                        buffer,
                        length,
                        DropReason.NO_ROUTE,
                        Icmpv6Packet.UNREACHABLE_NO_ROUTE,
                        "no host link: nothing beyond the networks is reachable");
            } else {
                if (tracing()) {
                    note("route", Ipv6Address.format(high, low) + " is beyond the networks: to the host link");
                }
                forward(ingress, in, domain, null, buffer, length);
            }
        } else if (target != domain || (high == target.gateway6High && low == target.gateway6Low)) {
            refuse(
                    ingress,
                    in,
                    domain,
                    buffer,
                    length,
                    DropReason.ISOLATED,
                    Icmpv6Packet.UNREACHABLE_ADMIN_PROHIBITED,
                    tracing()
                            ? Ipv6Address.format(high, low) + " is in network " + target.name
                                    + ": networks are isolated"
                            : null);
        } else {
            if (tracing()) {
                note("route", Ipv6Address.format(high, low) + " is in network " + target.name);
            }
            forward(ingress, in, domain, target, buffer, length);
        }
    }

    // ---- from the host link --------------------------------------------------------------------

    /** An IPv6 frame from the host's stack: neighbor solicitation for the router, ping6, or to route in. */
    void fromHost(int ingress, PortCounters in, EthernetFrame ethernet, MutableDirectBuffer buffer, int length) {
        final int l3 = ethernet.payloadOffset();
        if (l3 != L3) {
            pipeline.drop(ingress, in, DropReason.TAGGED_NOT_ROUTED, buffer, length);
            return;
        }
        if (!validHeader(ingress, in, buffer, length)) {
            return;
        }
        final long high = ip.destinationHigh();
        final long low = ip.destinationLow();
        if (answerHostSolicitation(ingress, in, ethernet, buffer, length)) {
            return;
        }
        if (ethernet.destination() != routerMac || ip.isDestinationMulticast()) {
            // the host's own router solicitations, MLD reports and duplicate address detection
            pipeline.drop(ingress, in, DropReason.NOT_FOR_ROUTER, buffer, length);
            return;
        }
        fromHost++;
        if (high == LINK_LOCAL_HIGH && low == routerLinkLocalLow) {
            if (!answerEcho(ingress, in, routerMac, buffer, length)) {
                refuse(
                        ingress,
                        in,
                        null,
                        buffer,
                        length,
                        DropReason.GATEWAY_CLOSED,
                        Icmpv6Packet.UNREACHABLE_PORT,
                        "the router's link address answers ping6 only");
            }
            return;
        }
        final BridgeDomain target = lookup(high);
        if (target == null || (high == target.gateway6High && low == target.gateway6Low)) {
            refuse(
                    ingress,
                    in,
                    null,
                    buffer,
                    length,
                    DropReason.NO_ROUTE,
                    Icmpv6Packet.UNREACHABLE_NO_ROUTE,
                    tracing() ? Ipv6Address.format(high, low) + " is in no network" : null);
        } else if (target.internal) {
            refuse(
                    ingress,
                    in,
                    null,
                    buffer,
                    length,
                    DropReason.INTERNAL_NETWORK,
                    Icmpv6Packet.UNREACHABLE_ADMIN_PROHIBITED,
                    tracing() ? "network " + target.name + " is internal: the host cannot reach it" : null);
        } else {
            if (tracing()) {
                note("route", "from the host to " + Ipv6Address.format(high, low) + " in network " + target.name);
            }
            forward(ingress, in, null, target, buffer, length);
        }
    }

    /**
     * The host resolving the router's link-local address (its next hop for every network's IPv6
     * subnet): answered with the router's MAC, as proxy-NDP answers inside a network.
     */
    private boolean answerHostSolicitation(
            int ingress, PortCounters in, EthernetFrame ethernet, MutableDirectBuffer buffer, int length) {
        if (ip.nextHeader() != Ipv6Packet.NEXT_HEADER_ICMPV6
                || ip.hopLimit() != Icmpv6Packet.ND_HOP_LIMIT
                || ip.payloadLength() < Icmpv6Packet.ND_MIN_LENGTH
                || !icmp.wrap(buffer, ip.payloadOffset(), ip.payloadLength())
                || icmp.type() != Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION
                || icmp.targetHigh() != LINK_LOCAL_HIGH
                || icmp.targetLow() != routerLinkLocalLow
                || (ip.sourceHigh() | ip.sourceLow()) == 0) {
            return false;
        }
        note("ndp-proxy", "who-has the router's link-local address from the host");
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
        ip.setSource(LINK_LOCAL_HIGH, routerLinkLocalLow);
        icmp.writeNeighborAdvertisement(
                LINK_LOCAL_HIGH,
                routerLinkLocalLow,
                routerMac,
                Icmpv6Packet.NA_FLAG_ROUTER | Icmpv6Packet.NA_FLAG_SOLICITED | Icmpv6Packet.NA_FLAG_OVERRIDE);
        icmp.setChecksum(icmp.computeChecksum(ip, Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH));
        VirtioNetHeader.clear(buffer, 0);
        in.count(PortCounter.ARP_ANSWERED);
        pipeline.transmit(ingress, buffer, L3 + Ipv6Packet.HEADER_LENGTH + Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH);
        return true;
    }

    // ---- the forwarding path -----------------------------------------------------------------

    /** Routes the packet (header in {@link #ip}) from {@code from} (null: the host) to {@code to} (null: the host). */
    private void forward(
            int ingress, PortCounters in, BridgeDomain from, BridgeDomain to, MutableDirectBuffer buffer, int length) {
        if (ip.hopLimit() <= 1) {
            refuseWith(
                    ingress,
                    in,
                    from,
                    buffer,
                    length,
                    DropReason.TTL_EXCEEDED,
                    Icmpv6Packet.TYPE_TIME_EXCEEDED,
                    Icmpv6Packet.TIME_EXCEEDED_HOP_LIMIT,
                    0,
                    "hop limit expires here");
            return;
        }
        final int mtu = to == null ? table.mtus[hostLinkSlot] : to.mtu;
        final boolean gso = VirtioNetHeader.isGso(buffer, 0);
        final int packetLength = Ipv6Packet.HEADER_LENGTH + ip.payloadLength();
        if ((gso ? gsoSegmentLength(buffer) : packetLength) > mtu) {
            refuseWith(
                    ingress,
                    in,
                    from,
                    buffer,
                    length,
                    DropReason.FRAGMENTATION_NEEDED,
                    Icmpv6Packet.TYPE_PACKET_TOO_BIG,
                    0,
                    mtu,
                    tracing() ? packetLength + " bytes, next hop MTU " + mtu + ": packet too big" : null);
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
                refuseWith(
                        ingress,
                        in,
                        from,
                        buffer,
                        length,
                        DropReason.NO_NEIGHBOR,
                        Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE,
                        Icmpv6Packet.UNREACHABLE_ADDRESS,
                        0,
                        tracing()
                                ? Ipv6Address.format(ip.destinationHigh(), ip.destinationLow()) + " is no endpoint of "
                                        + to.name
                                : null);
                return;
            }
        }
        if (frame.dryRun) {
            frame.verdict("routed to " + (to == null ? "the host link" : "network " + to.name));
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
            pipeline.transmit(hostLinkSlot, buffer, sent);
        } else {
            to.count(NetworkCounter.ROUTED_IN);
            pipeline.switchWithin(ingress, to, buffer, sent);
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

    /**
     * An echo request to {@code mac}'s owner (the gateway, or the router on the host link) turned
     * into the reply in place. Returns false if the packet is not an echo request.
     */
    private boolean answerEcho(int ingress, PortCounters in, long mac, MutableDirectBuffer buffer, int length) {
        final int icmpLength = ip.payloadLength();
        if (ip.nextHeader() != Ipv6Packet.NEXT_HEADER_ICMPV6
                || !icmp.wrap(buffer, ip.payloadOffset(), icmpLength)
                || icmp.type() != Icmpv6Packet.TYPE_ECHO_REQUEST) {
            return false;
        }
        if (!VirtioNetHeader.needsChecksum(buffer, 0) && !icmp.checksumValid(ip, icmpLength)) {
            pipeline.drop(ingress, in, DropReason.BAD_L4_CHECKSUM, buffer, length);
            return true;
        }
        if (tracing()) {
            note("gateway", "echo request to " + Ipv6Address.format(ip.destinationHigh(), ip.destinationLow()));
        }
        frame.verdict("answered (ping6) out of " + table.ports[ingress].name());
        if (frame.dryRun) {
            return true;
        }
        final long sourceHigh = ip.sourceHigh();
        final long sourceLow = ip.sourceLow();
        ip.setSource(ip.destinationHigh(), ip.destinationLow());
        ip.setDestination(sourceHigh, sourceLow);
        ip.setHopLimit(HOP_LIMIT);
        icmp.setType(Icmpv6Packet.TYPE_ECHO_REPLY);
        icmp.setChecksum(icmp.computeChecksum(ip, icmpLength));
        MacAddress.write(
                buffer,
                ETH + EthernetFrame.DESTINATION_OFFSET,
                MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET));
        MacAddress.write(buffer, ETH + EthernetFrame.SOURCE_OFFSET, mac);
        VirtioNetHeader.clear(buffer, 0);
        in.count(PortCounter.GATEWAY_ANSWERED);
        pipeline.transmit(ingress, buffer, L3 + Ipv6Packet.HEADER_LENGTH + icmpLength);
        return true;
    }

    private void refuse(
            int ingress,
            PortCounters in,
            BridgeDomain from,
            MutableDirectBuffer buffer,
            int length,
            DropReason reason,
            int unreachableCode,
            String why) {
        refuseWith(
                ingress,
                in,
                from,
                buffer,
                length,
                reason,
                Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE,
                unreachableCode,
                0,
                why);
    }

    /** Drops the packet under {@code reason} and tells its sender with an ICMPv6 error. */
    private void refuseWith(
            int ingress,
            PortCounters in,
            BridgeDomain from,
            MutableDirectBuffer buffer,
            int length,
            DropReason reason,
            int type,
            int code,
            int word,
            String why) {
        note("route", why);
        if (!frame.dryRun) {
            sendError(ingress, from, buffer, length, type, code, word);
        }
        pipeline.drop(ingress, in, reason, buffer, length);
    }

    /**
     * Builds an ICMPv6 error about the packet in {@code buffer} (header in {@link #ip}) and sends it
     * back out of the port it came in on. Never about an ICMPv6 error, or to an unspecified or
     * multicast source (RFC 4443 2.4(e)); rate-limited. From the gateway's IPv6 address, or the
     * router's link-local address towards the host.
     */
    private void sendError(
            int ingress, BridgeDomain from, MutableDirectBuffer buffer, int length, int type, int code, int word) {
        final long sourceHigh = ip.sourceHigh();
        final long sourceLow = ip.sourceLow();
        if ((sourceHigh | sourceLow) == 0 || (sourceHigh >>> 56) == 0xFF || isIcmpError(buffer)) {
            return;
        }
        if (!icmpLimiter.tryAcquire(frame.now)) {
            icmpErrorsSuppressed++;
            return;
        }
        final int quoted =
                Math.min(Math.min(Ipv6Packet.HEADER_LENGTH + ip.payloadLength(), length - L3), ERROR_MAX_QUOTE);
        final int icmpLength = Icmpv6Packet.HEADER_LENGTH + quoted;
        VirtioNetHeader.clear(scratch, 0);
        MacAddress.write(
                scratch,
                ETH + EthernetFrame.DESTINATION_OFFSET,
                MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET));
        MacAddress.write(scratch, ETH + EthernetFrame.SOURCE_OFFSET, from == null ? routerMac : from.gatewayMac);
        scratch.putShort(
                ETH + EthernetFrame.ETHERTYPE_OFFSET, (short) EthernetFrame.ETHERTYPE_IPV6, ByteOrder.BIG_ENDIAN);
        final int l4 = L3 + Ipv6Packet.HEADER_LENGTH;
        scratch.putBytes(l4 + Icmpv6Packet.HEADER_LENGTH, buffer, L3, quoted);
        scratch.putInt(L3, Ipv6Packet.VERSION_WORD, ByteOrder.BIG_ENDIAN);
        scratch.putShort(L3 + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) icmpLength, ByteOrder.BIG_ENDIAN);
        out.wrap(scratch, L3, Ipv6Packet.HEADER_LENGTH + icmpLength);
        out.setNextHeader(Ipv6Packet.NEXT_HEADER_ICMPV6);
        out.setHopLimit(HOP_LIMIT);
        if (from == null) {
            out.setSource(LINK_LOCAL_HIGH, routerLinkLocalLow);
        } else {
            out.setSource(from.gateway6High, from.gateway6Low);
        }
        out.setDestination(sourceHigh, sourceLow);
        icmp.wrap(scratch, l4, icmpLength);
        icmp.setType(type);
        icmp.setCode(code);
        icmp.setWord(word);
        icmp.setChecksum(icmp.computeChecksum(out, icmpLength));
        icmpErrorsSent++;
        if (from != null) {
            from.count(NetworkCounter.ICMP_ERRORS);
        }
        pipeline.transmit(ingress, scratch, l4 + icmpLength);
    }

    private boolean isIcmpError(DirectBuffer buffer) {
        return ip.nextHeader() == Ipv6Packet.NEXT_HEADER_ICMPV6
                && ip.payloadLength() >= 1
                && (buffer.getByte(ip.payloadOffset()) & 0x80) == 0; // types 0-127 are errors (RFC 4443 2.1)
    }

    /** Checks the fixed header; drops and counts what fails. The payload ends where the packet does. */
    private boolean validHeader(int ingress, PortCounters in, MutableDirectBuffer buffer, int length) {
        if (!ip.wrap(buffer, L3, length - L3)) {
            pipeline.drop(
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

    private boolean tracing() {
        return frame.tracing();
    }

    /** Trace text is built only when tracing: building it for every packet would allocate on the packet path. */
    private void note(String stage, String text) {
        frame.note(stage, text);
    }
}
