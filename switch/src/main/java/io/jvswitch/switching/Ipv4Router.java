package io.jvswitch.switching;

import static io.jvswitch.switching.Ipv4HeaderWriter.L3;
import static io.jvswitch.switching.Ipv4IcmpErrors.UNREACHABLE_ADMIN_PROHIBITED;
import static io.jvswitch.switching.Ipv4IcmpErrors.UNREACHABLE_FRAGMENTATION_NEEDED;
import static io.jvswitch.switching.Ipv4IcmpErrors.UNREACHABLE_HOST;
import static io.jvswitch.switching.Ipv4IcmpErrors.UNREACHABLE_NET;
import static io.jvswitch.switching.Ipv4IcmpErrors.UNREACHABLE_PORT;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.service.GatewayDatagramService;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The gateway of every network: routes IPv4 between each network and the host link. Never between
 * two networks (unless the {@link RoutingHook} vouches for a translated flow), and an internal
 * network reaches nothing but its own gateway.
 *
 * <p>This class is the routing decision: the header is checked (version, length, checksum), the
 * destination looked up, TTL decremented with an incremental checksum update, MACs rewritten. The
 * jobs around it are stages of their own: {@link Ipv4Translation} (the hook),
 * {@link Ipv4GatewayResponder} (what the gateway answers itself), {@link Ipv4IcmpErrors} (what a
 * host is told when its packet cannot be delivered) and {@link Ipv4Fragmenter} (packets larger than
 * the next hop's MTU, DF clear). Only untagged frames are routed.
 *
 * <p>Runs on the dataplane thread inside {@link FramePipeline}, over its {@link FrameContext};
 * rewrites in place and allocates nothing per packet.
 */
final class Ipv4Router {
    private static final int DNS_PORT = 53;

    private final FrameContext frame;
    private final Egress egress;
    private final PortTable table;
    private final Ipv4Translation translation;
    private final Ipv4IcmpErrors errors;
    private final Ipv4Fragmenter fragmenter;

    /** What the gateway answers itself; the agent sends the service's deferred answers through it. */
    final Ipv4GatewayResponder gateway;

    private final Ipv4RouteTable routes = new Ipv4RouteTable();

    int hostLinkSlot = -1;
    private long routerMac;
    private int routerIp;
    private long hostMac;

    /** Router-wide counters (the per-network ones live in {@link BridgeDomain}). */
    long fromHost;

    long toHost;

    Ipv4Router(FrameContext frame, Egress egress, PortTable table, int scratchBytes, IcmpRateLimiter icmpLimiter) {
        this.frame = frame;
        this.egress = egress;
        this.table = table;
        final Ipv4HeaderWriter headers = new Ipv4HeaderWriter();
        this.translation = new Ipv4Translation(frame, egress);
        this.errors = new Ipv4IcmpErrors(frame, egress, headers, icmpLimiter);
        this.fragmenter = new Ipv4Fragmenter(table, frame, egress, this::send, scratchBytes);
        this.gateway = new Ipv4GatewayResponder(table, frame, egress, headers, fragmenter);
    }

    // ---- configuration (commands on the dataplane thread) ---------------------------------

    void routedNetworks(BridgeDomain[] domains) {
        routes.replace(domains);
    }

    void service(GatewayDatagramService service) {
        gateway.service(service);
    }

    void hook(RoutingHook hook) {
        translation.hook(hook);
    }

    boolean hasHook() {
        return translation.hasHook();
    }

    /** The hook's own bounded housekeeping, once per duty cycle. */
    void housekeeping(long nowNanos) {
        translation.housekeeping(nowNanos);
    }

    void hostLink(int slot, HostLinkSpec spec) {
        hostLinkSlot = slot;
        if (spec != null) {
            routerMac = spec.routerMac();
            routerIp = spec.routerIp();
            hostMac = spec.hostMac();
            errors.routerAddress(routerIp, routerMac);
        }
    }

    long icmpErrorsSent() {
        return errors.sent;
    }

    long icmpErrorsSuppressed() {
        return errors.suppressed;
    }

    /** See {@link Ipv4Translation#prefetch}: the frames of a receive burst that will reach the hook. */
    void prefetch(
            BridgeDomain domain,
            DirectBuffer[] frames,
            int[] lengths,
            int count,
            DirectBuffer[] routedScratch,
            int[] ipLengths) {
        if (!translation.hasHook() || (domain.subnetMask == 0 && !domain.hostLink)) {
            return;
        }
        translation.prefetch(
                networkOf(domain),
                domain.hostLink ? routerMac : domain.gatewayMac,
                frames,
                lengths,
                count,
                routedScratch,
                ipLengths);
    }

    // ---- from a network ----------------------------------------------------------------------

    /** The frame in hand: IPv4 a container sent to its gateway's MAC. */
    void fromNetwork(BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        if (domain.subnetMask == 0) {
            egress.drop(frame.ingress, frame.in, DropReason.NO_ROUTE, buffer, length);
            return;
        }
        if (frame.l3 != L3) {
            egress.drop(frame.ingress, frame.in, DropReason.TAGGED_NOT_ROUTED, buffer, length);
            return;
        }
        if (!validHeader(buffer, length)) {
            return;
        }
        final Ipv4Packet ip = frame.ipv4;
        if (ip.destination() == domain.gatewayIp && gateway.answerAtGateway(domain, buffer, length)) {
            return;
        }
        // Also for packets to the gateway: the answer of a flow translated to the gateway's address (a
        // hairpin to a published port) is addressed to it, and only the hook can send it on.
        final int verdict = translation.beforeRouting(domain.id, buffer, length);
        if (verdict == RoutingHook.DROP) {
            return;
        }
        final int destination = ip.destination();
        if (destination == domain.gatewayIp) {
            toHostBehindGateway(domain, buffer, length);
            return;
        }
        final boolean tracked = verdict == RoutingHook.ACCEPT_TRACKED;
        final BridgeDomain target = routes.lookup(destination);
        if (target == null) {
            if (domain.internal && !tracked) {
                errors.unreachable(
                        domain,
                        buffer,
                        length,
                        DropReason.INTERNAL_NETWORK,
                        UNREACHABLE_NET,
                        TraceEvent.ROUTE_INTERNAL_NO_WAY_OUT,
                        domain.id);
            } else if (hostLinkSlot < 0) {
                errors.unreachable(
                        domain, buffer, length, DropReason.NO_ROUTE, UNREACHABLE_NET, TraceEvent.ROUTE_NO_HOST_LINK, 0);
            } else {
                frame.record(TraceEvent.ROUTE_BEYOND_NETWORKS, destination);
                forward(domain, null, buffer, length);
            }
        } else if (target != domain && !tracked) {
            errors.unreachable(
                    domain,
                    buffer,
                    length,
                    DropReason.ISOLATED,
                    UNREACHABLE_ADMIN_PROHIBITED,
                    TraceEvent.ROUTE_ISOLATED,
                    destination,
                    target.id);
        } else if (destination == target.gatewayIp) {
            errors.unreachable(
                    domain,
                    buffer,
                    length,
                    DropReason.ISOLATED,
                    UNREACHABLE_ADMIN_PROHIBITED,
                    TraceEvent.ROUTE_OTHER_GATEWAY,
                    0);
        } else {
            frame.record(TraceEvent.ROUTE_IN_NETWORK, destination, target.id);
            forward(domain, target, buffer, length);
        }
    }

    /**
     * The rest of what is addressed to the gateway goes to the host, which owns the gateway address
     * too: that is how containers reach host services, and DNS over TCP the daemon's listener.
     */
    private void toHostBehindGateway(BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final Ipv4Packet ip = frame.ipv4;
        final boolean tcpDns = ip.protocol() == Ipv4Packet.PROTOCOL_TCP
                && !ip.isFragment()
                && frame.ipv4DestinationPort(buffer) == DNS_PORT;
        if (hostLinkSlot < 0 || (domain.internal && !tcpDns)) {
            errors.unreachable(
                    domain,
                    buffer,
                    length,
                    DropReason.GATEWAY_CLOSED,
                    UNREACHABLE_PORT,
                    domain.internal
                            ? TraceEvent.ROUTE_GATEWAY_SERVES_DNS_ONLY
                            : TraceEvent.ROUTE_NO_HOST_LINK_BEHIND_GATEWAY,
                    0);
            return;
        }
        frame.record(TraceEvent.ROUTE_GATEWAY_TO_HOST, 0);
        forward(domain, null, buffer, length);
    }

    // ---- from the host link --------------------------------------------------------------------

    /** The frame in hand from the host's stack: ARP for the router, or IPv4 to route into a network. */
    void fromHost(EthernetFrame ethernet, MutableDirectBuffer buffer, int length) {
        final int etherType = ethernet.payloadEtherType();
        if (etherType == EthernetFrame.ETHERTYPE_ARP) {
            gateway.answerHostArp(ethernet, buffer, length, routerIp, routerMac);
            return;
        }
        if (etherType != EthernetFrame.ETHERTYPE_IPV4) {
            egress.drop(frame.ingress, frame.in, DropReason.UNKNOWN_ETHERTYPE, buffer, length);
            return;
        }
        if (ethernet.destination() != routerMac) {
            egress.drop(frame.ingress, frame.in, DropReason.NOT_FOR_ROUTER, buffer, length);
            return;
        }
        if (frame.l3 != L3) {
            egress.drop(frame.ingress, frame.in, DropReason.TAGGED_NOT_ROUTED, buffer, length);
            return;
        }
        if (!validHeader(buffer, length)) {
            return;
        }
        fromHost++;
        final Ipv4Packet ip = frame.ipv4;
        if (ip.destination() == routerIp) {
            if (ip.protocol() != Ipv4Packet.PROTOCOL_ICMP
                    || ip.isFragment()
                    || !gateway.answerEcho(buffer, length, routerIp)) {
                errors.unreachable(
                        null,
                        buffer,
                        length,
                        DropReason.GATEWAY_CLOSED,
                        UNREACHABLE_PORT,
                        TraceEvent.ROUTE_ROUTER_ANSWERS_PING_ONLY,
                        0);
            }
            return;
        }
        final int verdict = translation.beforeRouting(RoutingHook.HOST_LINK, buffer, length);
        if (verdict == RoutingHook.DROP) {
            return;
        }
        final int destination = ip.destination();
        final BridgeDomain target = routes.lookup(destination);
        if (target == null || destination == target.gatewayIp) {
            errors.unreachable(
                    null,
                    buffer,
                    length,
                    DropReason.NO_ROUTE,
                    UNREACHABLE_NET,
                    TraceEvent.ROUTE_IN_NO_NETWORK,
                    destination);
        } else if (target.internal && verdict != RoutingHook.ACCEPT_TRACKED && !dnsAnswerOf(target, buffer)) {
            errors.unreachable(
                    null,
                    buffer,
                    length,
                    DropReason.INTERNAL_NETWORK,
                    UNREACHABLE_ADMIN_PROHIBITED,
                    TraceEvent.ROUTE_INTERNAL_FROM_HOST,
                    target.id);
        } else {
            frame.record(TraceEvent.ROUTE_FROM_HOST, destination, target.id);
            forward(null, target, buffer, length);
        }
    }

    /** The daemon's DNS-over-TCP listener answering from an internal network's gateway address. */
    private boolean dnsAnswerOf(BridgeDomain target, DirectBuffer buffer) {
        final Ipv4Packet ip = frame.ipv4;
        return ip.source() == target.gatewayIp
                && ip.protocol() == Ipv4Packet.PROTOCOL_TCP
                && !ip.isFragment()
                && frame.ipv4SourcePort(buffer) == DNS_PORT;
    }

    // ---- the forwarding path -----------------------------------------------------------------

    /**
     * Routes the frame in hand from {@code from} (null: the host) to {@code to} (null: the host):
     * TTL, translation, MTU, MACs, out.
     */
    private void forward(BridgeDomain from, BridgeDomain to, MutableDirectBuffer buffer, int length) {
        final Ipv4Packet ip = frame.ipv4;
        if (ip.ttl() <= 1) {
            errors.refuse(
                    from,
                    buffer,
                    length,
                    DropReason.TTL_EXCEEDED,
                    IcmpPacket.TYPE_TIME_EXCEEDED,
                    0,
                    0,
                    TraceEvent.ROUTE_TTL_EXPIRES,
                    0,
                    0);
            return;
        }
        final int mtu = to == null ? table.mtus[hostLinkSlot] : to.mtu;
        final int ipLength = ip.totalLength();
        final boolean gso = VirtioNetHeader.isGso(buffer, 0);
        final boolean tooBig = gso ? fragmenter.segmentLength(buffer) > mtu : ipLength > mtu;
        if (tooBig && (gso || ip.dontFragment())) {
            errors.refuse(
                    from,
                    buffer,
                    length,
                    DropReason.FRAGMENTATION_NEEDED,
                    IcmpPacket.TYPE_DESTINATION_UNREACHABLE,
                    UNREACHABLE_FRAGMENTATION_NEEDED,
                    mtu,
                    TraceEvent.ROUTE_TOO_BIG,
                    ipLength,
                    mtu);
            return;
        }
        if (frame.dryRun) {
            translation.explainAfterRouting(networkOf(from), networkOf(to), buffer, length);
            frame.record(TraceEvent.ROUTED_VERDICT, to == null ? RoutingHook.HOST_LINK : to.id);
            return;
        }
        if (!translation.afterRouting(networkOf(from), networkOf(to), buffer, length)) {
            return;
        }
        ip.decrementTtl();
        final long destinationMac;
        final long sourceMac;
        if (to == null) {
            destinationMac = hostMac;
            sourceMac = routerMac;
        } else {
            destinationMac = to.addresses.lookup(ip.destination());
            sourceMac = to.gatewayMac;
            if (destinationMac < 0) {
                errors.unreachable(
                        from,
                        buffer,
                        length,
                        DropReason.NO_NEIGHBOR,
                        UNREACHABLE_HOST,
                        TraceEvent.ROUTE_NO_NEIGHBOR,
                        ip.destination(),
                        to.id);
                return;
            }
        }
        countRouted(from, to);
        if (tooBig) {
            fragmenter.fragment(frame.ingress, to, buffer, length, mtu, destinationMac, sourceMac);
            return;
        }
        Ipv4HeaderWriter.writeMacs(buffer, destinationMac, sourceMac);
        send(frame.ingress, to, buffer, length);
    }

    private void countRouted(BridgeDomain from, BridgeDomain to) {
        frame.in.count(PortCounter.ROUTED);
        if (from != null) {
            from.count(NetworkCounter.ROUTED_OUT);
        }
        if (to != null) {
            to.count(NetworkCounter.ROUTED_IN);
        } else {
            toHost++;
        }
    }

    /** Sends a routed frame: into a network through its FDB (flooding an unlearned MAC), or to the host. */
    private void send(int ingress, BridgeDomain to, MutableDirectBuffer buffer, int length) {
        if (to == null) {
            frame.record(TraceEvent.ROUTED_TO_HOST_LINK_VERDICT, hostLinkSlot);
            egress.transmit(hostLinkSlot, buffer, length);
        } else {
            egress.switchWithin(ingress, to, buffer, length);
        }
    }

    /** Checks the IPv4 header as a router must (RFC 1812 5.2.2); drops and counts what fails. */
    private boolean validHeader(MutableDirectBuffer buffer, int length) {
        final Ipv4Packet ip = frame.ipv4;
        // wrap checks version, header length, and that the total length covers the header and fits
        if (!ip.wrap(buffer, L3, length - L3)) {
            egress.drop(
                    frame.ingress,
                    frame.in,
                    length - L3 < Ipv4Packet.MIN_HEADER_LENGTH ? DropReason.TRUNCATED_IP : DropReason.BAD_IP_HEADER,
                    buffer,
                    length);
            return false;
        }
        if (!ip.isHeaderChecksumValid()) {
            egress.drop(frame.ingress, frame.in, DropReason.BAD_IP_CHECKSUM, buffer, length);
            return false;
        }
        ip.wrap(buffer, L3, ip.totalLength()); // the payload ends where the packet does, not at Ethernet padding
        frame.l4 = ip.payloadOffset();
        return true;
    }

    /** A network's id as the hook knows it; null is the host link. */
    private static int networkOf(BridgeDomain domain) {
        return domain == null || domain.hostLink ? RoutingHook.HOST_LINK : domain.id;
    }
}
