package io.jvswitch.switching;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.service.GatewayDatagramService;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The gateway of every network: answers ICMP echo and the gateway's UDP service at the gateway
 * address, and routes IPv4 between each network and the host link. Never between two networks
 * (unless the {@link RoutingHook} vouches for a translated flow), and an internal network reaches
 * nothing but its own gateway.
 *
 * <p>Routing is what a router does: the header is checked (version, length, checksum), TTL is
 * decremented with an incremental checksum update, MACs are rewritten, and a packet that cannot be
 * delivered gets the ICMP error a host expects (time exceeded, network/host unreachable,
 * administratively prohibited, fragmentation needed with the next hop's MTU), rate-limited.
 * Packets larger than the next hop's MTU are fragmented when DF is clear. Only untagged frames are
 * routed.
 *
 * <p>Runs on the dataplane thread inside {@link FramePipeline}; rewrites in place, builds errors and
 * fragments in one preallocated scratch buffer, allocates nothing per packet.
 */
final class Ipv4Router {
    private static final int ETH = VirtioNetHeader.LENGTH;
    /** Routed frames are untagged, so the IPv4 header always starts here. */
    private static final int L3 = ETH + EthernetFrame.HEADER_LENGTH;

    private static final int TTL = 64;
    /** RFC 1812 4.3.2.3: an ICMP error quotes as much of the packet as fits in 576 bytes. */
    private static final int ICMP_ERROR_MAX_IP_LENGTH = 576;

    private static final int DNS_PORT = 53;

    static final int UNREACHABLE_NET = 0;
    static final int UNREACHABLE_HOST = 1;
    static final int UNREACHABLE_PORT = 3;
    static final int UNREACHABLE_FRAGMENTATION_NEEDED = 4;
    static final int UNREACHABLE_ADMIN_PROHIBITED = 13;

    private final FramePipeline pipeline;
    private final PortTable table;
    private final Ipv4Packet ip = new Ipv4Packet();
    private final Ipv4Packet out = new Ipv4Packet();
    private final IcmpPacket icmp = new IcmpPacket();
    private final UdpPacket udp = new UdpPacket();
    private final ArpPacket arp = new ArpPacket();
    private final UnsafeBuffer scratch;
    private final IcmpRateLimiter icmpLimiter;
    private short nextId = 1;

    private BridgeDomain[] routed = new BridgeDomain[0];
    private GatewayDatagramService service;
    private RoutingHook hook;

    int hostLinkSlot = -1;
    private long routerMac;
    private int routerIp;
    private long hostMac;

    /** Router-wide counters (the per-network ones live in {@link BridgeDomain}). */
    long icmpErrorsSent;

    long icmpErrorsSuppressed;
    long fromHost;
    long toHost;

    Ipv4Router(FramePipeline pipeline, PortTable table, int scratchBytes, IcmpRateLimiter icmpLimiter) {
        this.pipeline = pipeline;
        this.table = table;
        this.scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(scratchBytes, 64));
        this.icmpLimiter = icmpLimiter;
    }

    // ---- configuration (commands on the dataplane thread) ---------------------------------

    void routedNetworks(BridgeDomain[] domains) {
        routed = domains;
    }

    void service(GatewayDatagramService service) {
        this.service = service;
    }

    void hook(RoutingHook hook) {
        this.hook = hook;
    }

    /** The hook's own bounded housekeeping, once per duty cycle. */
    void housekeeping(long nowNanos) {
        if (hook != null) {
            hook.housekeeping(nowNanos);
        }
    }

    void hostLink(int slot, HostLinkSpec spec) {
        hostLinkSlot = slot;
        if (spec != null) {
            routerMac = spec.routerMac();
            routerIp = spec.routerIp();
            hostMac = spec.hostMac();
        }
    }

    boolean hasHook() {
        return hook != null;
    }

    /**
     * Before a receive batch from one port is processed frame by frame: shows the routing hook the
     * frames that will reach it (untagged IPv4 to the router's MAC), so it can load their state
     * together ({@link RoutingHook#prefetch}). Changes nothing; {@code routed} and {@code ipLengths}
     * are scratch of at least {@code count} entries.
     */
    void prefetch(
            BridgeDomain domain,
            DirectBuffer[] frames,
            int[] lengths,
            int count,
            DirectBuffer[] routed,
            int[] ipLengths) {
        if (hook == null || (domain.subnetMask == 0 && !domain.hostLink)) {
            return;
        }
        final long routerSide = domain.hostLink ? routerMac : domain.gatewayMac;
        int n = 0;
        for (int i = 0; i < count; i++) {
            final DirectBuffer frame = frames[i];
            if (lengths[i] >= L3 + 20
                    && MacAddress.read(frame, ETH + EthernetFrame.DESTINATION_OFFSET) == routerSide
                    && (frame.getShort(ETH + EthernetFrame.ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                            == EthernetFrame.ETHERTYPE_IPV4) {
                routed[n] = frame;
                ipLengths[n++] = lengths[i] - L3;
            }
        }
        if (n > 0) {
            hook.prefetch(domain.hostLink ? RoutingHook.HOST_LINK : domain.id, routed, L3, ipLengths, n);
        }
    }

    // ---- from a network ----------------------------------------------------------------------

    /** An IPv4 frame a container sent to its gateway's MAC. */
    void fromNetwork(
            int ingress, PortCounters in, BridgeDomain domain, MutableDirectBuffer buffer, int length, int l3) {
        if (domain.subnetMask == 0) {
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
        int destination = ip.destination();
        if (destination == domain.gatewayIp && answerAtGateway(ingress, in, domain, buffer, length)) {
            return;
        }
        // Also for packets to the gateway: the answer of a flow translated to the gateway's address (a
        // hairpin to a published port) is addressed to it, and only the hook can send it on.
        final int verdict = beforeRouting(domain.id, ingress, in, buffer, length);
        if (verdict == RoutingHook.DROP) {
            return;
        }
        destination = ip.destination();
        if (destination == domain.gatewayIp) {
            toHostBehindGateway(ingress, in, domain, buffer, length);
            return;
        }
        final BridgeDomain target = lookup(destination);
        if (target == null) {
            if (domain.internal && verdict != RoutingHook.ACCEPT_TRACKED) {
                refuse(
                        ingress,
                        in,
                        domain,
                        buffer,
                        length,
                        DropReason.INTERNAL_NETWORK,
                        UNREACHABLE_NET,
                        tracing() ? "network " + domain.name + " is internal: no way out" : null);
            } else if (hostLinkSlot < 0) {
                refuse(
                        ingress,
                        in,
                        domain,
                        buffer,
                        length,
                        DropReason.NO_ROUTE,
                        UNREACHABLE_NET,
                        "no host link: nothing beyond the networks is reachable");
            } else {
                if (tracing()) {
                    note("route", Ipv4Address.format(destination) + " is beyond the networks: to the host link");
                }
                forward(ingress, in, domain, null, buffer, length);
            }
        } else if (target != domain && verdict != RoutingHook.ACCEPT_TRACKED) {
            refuse(
                    ingress,
                    in,
                    domain,
                    buffer,
                    length,
                    DropReason.ISOLATED,
                    UNREACHABLE_ADMIN_PROHIBITED,
                    tracing()
                            ? Ipv4Address.format(destination) + " is in network " + target.name
                                    + ": networks are isolated"
                            : null);
        } else if (destination == target.gatewayIp) {
            refuse(
                    ingress,
                    in,
                    domain,
                    buffer,
                    length,
                    DropReason.ISOLATED,
                    UNREACHABLE_ADMIN_PROHIBITED,
                    "another network's gateway");
        } else {
            if (tracing()) {
                note("route", Ipv4Address.format(destination) + " is in network " + target.name);
            }
            forward(ingress, in, domain, target, buffer, length);
        }
    }

    /**
     * A packet for the gateway address: echo and the UDP service are answered here. Returns false
     * for anything else, which goes on to the routing hook and then to the host.
     */
    private boolean answerAtGateway(
            int ingress, PortCounters in, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final int protocol = ip.protocol();
        if (protocol == Ipv4Packet.PROTOCOL_ICMP && !ip.isFragment()) {
            return answerEcho(ingress, in, buffer, length, domain.gatewayIp);
        }
        if (protocol == Ipv4Packet.PROTOCOL_UDP
                && !ip.isFragment()
                && service != null
                && destinationPort(buffer) == service.port()) {
            answerService(ingress, in, domain, buffer, length);
            return true;
        }
        return false;
    }

    /**
     * The rest of what is addressed to the gateway goes to the host, which owns the gateway address
     * too: that is how containers reach host services, and DNS over TCP the daemon's listener.
     */
    private void toHostBehindGateway(
            int ingress, PortCounters in, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final int protocol = ip.protocol();
        final boolean tcpDns =
                protocol == Ipv4Packet.PROTOCOL_TCP && !ip.isFragment() && destinationPort(buffer) == DNS_PORT;
        if (hostLinkSlot < 0 || (domain.internal && !tcpDns)) {
            refuse(
                    ingress,
                    in,
                    domain,
                    buffer,
                    length,
                    DropReason.GATEWAY_CLOSED,
                    UNREACHABLE_PORT,
                    domain.internal
                            ? "internal network: the gateway serves DNS only"
                            : "no host link behind the gateway");
            return;
        }
        note("route", "for the gateway address: to the host, which owns it");
        forward(ingress, in, domain, null, buffer, length);
    }

    /**
     * Lets the routing hook see (and maybe rewrite) a packet before the route lookup; a packet it
     * refuses is dropped and counted here. A synthetic (traced) packet is not shown to it.
     */
    private int beforeRouting(int fromNetwork, int ingress, PortCounters in, MutableDirectBuffer buffer, int length) {
        pipeline.capture(CapturePoint.PRE_NAT, ingress, buffer, length);
        if (hook == null) {
            return RoutingHook.ACCEPT;
        }
        if (pipeline.dryRun) {
            if (tracing()) {
                note("nat", hook.explain(fromNetwork, RoutingHook.UNROUTED, buffer, L3, length - L3, pipeline.now));
            }
            return RoutingHook.ACCEPT;
        }
        final String before = tracing() ? flow(buffer) : null;
        final int verdict = hook.beforeRouting(fromNetwork, buffer, L3, length - L3, pipeline.now);
        if (verdict == RoutingHook.DROP) {
            pipeline.drop(ingress, in, DropReason.TRANSLATION_REFUSED, buffer, length);
        } else if (before != null) {
            noteTranslation("nat (pre-route)", before, buffer, verdict);
        }
        return verdict;
    }

    /** Trace text: what the hook did to the packet's addresses and ports. */
    private void noteTranslation(String stage, String before, MutableDirectBuffer buffer, int verdict) {
        final String after = flow(buffer);
        note(
                stage,
                (before.equals(after) ? "unchanged: " + after : before + " translated to " + after)
                        + (verdict == RoutingHook.ACCEPT_TRACKED ? " (a tracked connection)" : ""));
    }

    /** "address:port -> address:port" of the packet in {@link #ip} (ports for TCP and UDP only). */
    private String flow(DirectBuffer buffer) {
        final boolean ports = (ip.protocol() == Ipv4Packet.PROTOCOL_TCP || ip.protocol() == Ipv4Packet.PROTOCOL_UDP)
                && !ip.isFragment();
        return Ipv4Address.format(ip.source()) + (ports ? ":" + sourcePort(buffer) : "") + " -> "
                + Ipv4Address.format(ip.destination()) + (ports ? ":" + destinationPort(buffer) : "");
    }

    /** Both TCP and UDP keep the destination port at offset 2 of their header. */
    private int destinationPort(DirectBuffer buffer) {
        final int l4 = ip.payloadOffset();
        return ip.payloadLength() >= 4 ? buffer.getShort(l4 + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF : -1;
    }

    private int sourcePort(DirectBuffer buffer) {
        final int l4 = ip.payloadOffset();
        return ip.payloadLength() >= 4 ? buffer.getShort(l4, ByteOrder.BIG_ENDIAN) & 0xFFFF : -1;
    }

    // ---- from the host link --------------------------------------------------------------------

    /** A frame from the host's stack: ARP for the router, or IPv4 to route into a network. */
    void fromHost(int ingress, PortCounters in, EthernetFrame ethernet, MutableDirectBuffer buffer, int length) {
        final int etherType = ethernet.payloadEtherType();
        final int l3 = ethernet.payloadOffset();
        if (etherType == EthernetFrame.ETHERTYPE_ARP) {
            answerHostArp(ingress, in, ethernet, buffer, length, l3);
            return;
        }
        if (etherType != EthernetFrame.ETHERTYPE_IPV4) {
            pipeline.drop(ingress, in, DropReason.UNKNOWN_ETHERTYPE, buffer, length);
            return;
        }
        if (ethernet.destination() != routerMac) {
            pipeline.drop(ingress, in, DropReason.NOT_FOR_ROUTER, buffer, length);
            return;
        }
        if (l3 != L3) {
            pipeline.drop(ingress, in, DropReason.TAGGED_NOT_ROUTED, buffer, length);
            return;
        }
        if (!validHeader(ingress, in, buffer, length)) {
            return;
        }
        fromHost++;
        int destination = ip.destination();
        if (destination == routerIp) {
            if (ip.protocol() != Ipv4Packet.PROTOCOL_ICMP
                    || ip.isFragment()
                    || !answerEcho(ingress, in, buffer, length, routerIp)) {
                refuse(
                        ingress,
                        in,
                        null,
                        buffer,
                        length,
                        DropReason.GATEWAY_CLOSED,
                        UNREACHABLE_PORT,
                        "the router's link address answers ping only");
            }
            return;
        }
        final int verdict = beforeRouting(RoutingHook.HOST_LINK, ingress, in, buffer, length);
        if (verdict == RoutingHook.DROP) {
            return;
        }
        destination = ip.destination();
        final BridgeDomain target = lookup(destination);
        if (target == null || destination == target.gatewayIp) {
            refuse(
                    ingress,
                    in,
                    null,
                    buffer,
                    length,
                    DropReason.NO_ROUTE,
                    UNREACHABLE_NET,
                    tracing() ? Ipv4Address.format(destination) + " is in no network" : null);
        } else if (target.internal && verdict != RoutingHook.ACCEPT_TRACKED && !dnsAnswerOf(target, buffer)) {
            refuse(
                    ingress,
                    in,
                    null,
                    buffer,
                    length,
                    DropReason.INTERNAL_NETWORK,
                    UNREACHABLE_ADMIN_PROHIBITED,
                    tracing() ? "network " + target.name + " is internal: the host cannot reach it" : null);
        } else {
            if (tracing()) {
                note("route", "from the host to " + Ipv4Address.format(destination) + " in network " + target.name);
            }
            forward(ingress, in, null, target, buffer, length);
        }
    }

    /** The daemon's DNS-over-TCP listener answering from an internal network's gateway address. */
    private boolean dnsAnswerOf(BridgeDomain target, DirectBuffer buffer) {
        return ip.source() == target.gatewayIp
                && ip.protocol() == Ipv4Packet.PROTOCOL_TCP
                && !ip.isFragment()
                && sourcePort(buffer) == DNS_PORT;
    }

    private void answerHostArp(
            int ingress, PortCounters in, EthernetFrame ethernet, MutableDirectBuffer buffer, int length, int l3) {
        if (!arp.wrap(buffer, l3, length - l3) || !arp.isEthernetIpv4()) {
            pipeline.drop(ingress, in, DropReason.MALFORMED_ARP, buffer, length);
            return;
        }
        if (arp.operation() != ArpPacket.OP_REQUEST || arp.targetIp() != routerIp || arp.isGratuitous()) {
            pipeline.drop(ingress, in, DropReason.NOT_FOR_ROUTER, buffer, length);
            return;
        }
        if (tracing()) {
            note("arp-proxy", "who-has " + Ipv4Address.format(routerIp) + " from the host: the router's link address");
        }
        if (pipeline.dryRun) {
            return;
        }
        final long askerMac = arp.senderMac();
        final int askerIp = arp.senderIp();
        ethernet.setDestination(askerMac);
        ethernet.setSource(routerMac);
        arp.setOperation(ArpPacket.OP_REPLY);
        arp.setSenderMac(routerMac);
        arp.setSenderIp(routerIp);
        arp.setTargetMac(askerMac);
        arp.setTargetIp(askerIp);
        VirtioNetHeader.clear(buffer, 0);
        in.arpAnswered++;
        pipeline.transmit(ingress, buffer, length);
    }

    // ---- the forwarding path -----------------------------------------------------------------

    /**
     * Routes the packet in {@code buffer} (header in {@link #ip}) from {@code from} (null: the host)
     * to {@code to} (null: the host): TTL, translation, MTU, MACs, out.
     */
    private void forward(
            int ingress, PortCounters in, BridgeDomain from, BridgeDomain to, MutableDirectBuffer buffer, int length) {
        if (ip.ttl() <= 1) {
            refuseWith(
                    ingress,
                    in,
                    from,
                    buffer,
                    length,
                    DropReason.TTL_EXCEEDED,
                    IcmpPacket.TYPE_TIME_EXCEEDED,
                    0,
                    0,
                    "TTL expires here");
            return;
        }
        final int mtu = to == null ? table.mtus[hostLinkSlot] : to.mtu;
        final int ipLength = ip.totalLength();
        final boolean gso = VirtioNetHeader.isGso(buffer, 0);
        final boolean tooBig = gso ? gsoSegmentLength(buffer) > mtu : ipLength > mtu;
        if (tooBig && (gso || ip.dontFragment())) {
            refuseWith(
                    ingress,
                    in,
                    from,
                    buffer,
                    length,
                    DropReason.FRAGMENTATION_NEEDED,
                    IcmpPacket.TYPE_DESTINATION_UNREACHABLE,
                    UNREACHABLE_FRAGMENTATION_NEEDED,
                    mtu,
                    tracing() ? ipLength + " bytes with DF set, next hop MTU " + mtu : null);
            return;
        }
        if (pipeline.dryRun) {
            if (hook != null && tracing()) {
                note(
                        "nat",
                        hook.explain(
                                from == null ? RoutingHook.HOST_LINK : from.id,
                                to == null ? RoutingHook.HOST_LINK : to.id,
                                buffer,
                                L3,
                                length - L3,
                                pipeline.now));
            }
            pipeline.verdictNote("routed to " + (to == null ? "the host link" : "network " + to.name));
            return;
        }
        if (hook != null) {
            final String before = tracing() ? flow(buffer) : null;
            final int verdict = hook.afterRouting(
                    from == null ? RoutingHook.HOST_LINK : from.id,
                    to == null ? RoutingHook.HOST_LINK : to.id,
                    buffer,
                    L3,
                    length - L3,
                    pipeline.now);
            if (verdict == RoutingHook.DROP) {
                pipeline.drop(ingress, in, DropReason.TRANSLATION_REFUSED, buffer, length);
                return;
            }
            if (before != null) {
                noteTranslation("nat (post-route)", before, buffer, verdict);
            }
        }
        pipeline.capture(CapturePoint.POST_NAT, ingress, buffer, length);
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
                refuseWith(
                        ingress,
                        in,
                        from,
                        buffer,
                        length,
                        DropReason.NO_NEIGHBOR,
                        IcmpPacket.TYPE_DESTINATION_UNREACHABLE,
                        UNREACHABLE_HOST,
                        0,
                        tracing() ? Ipv4Address.format(ip.destination()) + " is no endpoint of " + to.name : null);
                return;
            }
        }
        in.routed++;
        if (from != null) {
            from.routedOut++;
        }
        if (to != null) {
            to.routedIn++;
        } else {
            toHost++;
        }
        if (tooBig) {
            fragment(ingress, to, buffer, length, mtu, destinationMac, sourceMac);
            return;
        }
        setMacs(buffer, destinationMac, sourceMac);
        send(ingress, to, buffer, length);
    }

    /** Sends a routed frame: into a network through its FDB (flooding an unlearned MAC), or to the host. */
    private void send(int ingress, BridgeDomain to, MutableDirectBuffer buffer, int length) {
        if (to == null) {
            if (tracing()) {
                pipeline.verdictNote("routed to the host link (" + table.ports[hostLinkSlot].name() + ")");
            }
            pipeline.transmit(hostLinkSlot, buffer, length);
        } else {
            pipeline.switchWithin(ingress, to, buffer, length);
        }
    }

    private static void setMacs(MutableDirectBuffer buffer, long destination, long source) {
        MacAddress.write(buffer, ETH + EthernetFrame.DESTINATION_OFFSET, destination);
        MacAddress.write(buffer, ETH + EthernetFrame.SOURCE_OFFSET, source);
    }

    /** Length of the largest IP packet a GSO super-frame becomes once segmented. */
    private int gsoSegmentLength(DirectBuffer buffer) {
        final int gsoSize = VirtioNetHeader.gsoSize(buffer, 0);
        final int l4 = ip.payloadOffset();
        final int type = VirtioNetHeader.gsoType(buffer, 0) & ~VirtioNetHeader.GSO_ECN;
        final int l4Header = type == VirtioNetHeader.GSO_TCPV4 && ip.payloadLength() >= 13
                ? ((buffer.getByte(l4 + 12) & 0xF0) >>> 2)
                : UdpPacket.HEADER_LENGTH;
        return ip.headerLength() + l4Header + gsoSize;
    }

    /**
     * RFC 791 fragmentation into the scratch buffer, one frame per fragment. A checksum left to
     * complete is completed first: fragments cannot carry a partial checksum. {@code ingress} is -1
     * for the gateway's own answers.
     */
    private void fragment(
            int ingress,
            BridgeDomain to,
            MutableDirectBuffer buffer,
            int length,
            int mtu,
            long destinationMac,
            long sourceMac) {
        if (VirtioNetHeader.needsChecksum(buffer, 0) && !VirtioNetHeader.completeChecksum(buffer, 0, length)) {
            // Only a received frame can ask for a checksum: the gateway's own answers carry theirs.
            pipeline.drop(ingress, table.counters[ingress], DropReason.EGRESS_BAD_OFFLOAD, buffer, length);
            return;
        }
        final int headerLength = ip.headerLength();
        final int payloadLength = Math.min(ip.totalLength(), length - L3) - headerLength;
        final int chunk = (mtu - headerLength) & ~7;
        final int originalOffset = ip.fragmentOffset();
        final boolean originalMore = ip.moreFragments();
        final int flagsWord = buffer.getShort(L3 + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        for (int done = 0; done < payloadLength; done += chunk) {
            final int size = Math.min(chunk, payloadLength - done);
            final boolean last = done + size >= payloadLength;
            VirtioNetHeader.clear(scratch, 0);
            setMacs(scratch, destinationMac, sourceMac);
            scratch.putShort(ETH + 12, (short) EthernetFrame.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
            scratch.putBytes(L3, buffer, L3, headerLength);
            scratch.putBytes(L3 + headerLength, buffer, L3 + headerLength + done, size);
            scratch.putShort(L3 + Ipv4Packet.TOTAL_LENGTH_OFFSET, (short) (headerLength + size), ByteOrder.BIG_ENDIAN);
            out.wrap(scratch, L3, headerLength + size);
            final int more = !last || originalMore ? Ipv4Packet.FLAG_MORE_FRAGMENTS : 0;
            final int word = (flagsWord & Ipv4Packet.FLAG_DONT_FRAGMENT) | more | (originalOffset + done) >>> 3;
            scratch.putShort(L3 + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) word, ByteOrder.BIG_ENDIAN);
            out.updateHeaderChecksum();
            send(ingress, to, scratch, L3 + headerLength + size);
        }
        if (to != null) {
            to.fragmented++;
        }
    }

    // ---- local answers -----------------------------------------------------------------------

    /** Answers an echo request to {@code address} in place; false if it is not a valid echo request. */
    private boolean answerEcho(int ingress, PortCounters in, MutableDirectBuffer buffer, int length, int address) {
        final int l4 = ip.payloadOffset();
        if (!icmp.wrap(buffer, l4, ip.payloadLength())
                || icmp.type() != IcmpPacket.TYPE_ECHO_REQUEST
                || icmp.code() != 0
                || !icmp.isChecksumValid()) {
            return false;
        }
        if (tracing()) {
            note("gateway", "echo request to " + Ipv4Address.format(address) + ": answered by the switch");
            pipeline.verdictNote("answered (ICMP echo reply) out of " + table.ports[ingress].name());
        }
        if (pipeline.dryRun) {
            return true;
        }
        icmp.setType(IcmpPacket.TYPE_ECHO_REPLY);
        icmp.setChecksum(InternetChecksum.adjust16(
                icmp.checksum(), IcmpPacket.TYPE_ECHO_REQUEST << 8, IcmpPacket.TYPE_ECHO_REPLY << 8));
        ip.setDestination(ip.source());
        ip.setSource(address);
        ip.setTtl(TTL);
        ip.updateHeaderChecksum();
        swapMacs(buffer);
        VirtioNetHeader.clear(buffer, 0);
        in.gatewayAnswered++;
        pipeline.transmit(ingress, buffer, length);
        return true;
    }

    /** Hands a datagram to the gateway service; sends its immediate answer back from the gateway. */
    private void answerService(
            int ingress, PortCounters in, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final int l4 = ip.payloadOffset();
        if (!udp.wrap(buffer, l4, ip.payloadLength())
                || udp.length() < UdpPacket.HEADER_LENGTH
                || udp.length() > ip.payloadLength()) {
            pipeline.drop(ingress, in, DropReason.BAD_L4_HEADER, buffer, length);
            return;
        }
        if (ip.headerLength() != Ipv4Packet.MIN_HEADER_LENGTH) {
            pipeline.drop(ingress, in, DropReason.IP_OPTIONS_NOT_SERVED, buffer, length);
            return;
        }
        final int flags = VirtioNetHeader.flags(buffer, 0);
        final boolean checksumKnownGood =
                (flags & (VirtioNetHeader.FLAG_NEEDS_CSUM | VirtioNetHeader.FLAG_DATA_VALID)) != 0;
        if (!checksumKnownGood && udp.checksum() != 0 && !udp.isChecksumValid(ip.pseudoHeaderSum())) {
            pipeline.drop(ingress, in, DropReason.BAD_L4_CHECKSUM, buffer, length);
            return;
        }
        if (tracing()) {
            note("gateway", "UDP to port " + service.port() + " of the gateway: handed to its service");
        }
        if (pipeline.dryRun) {
            pipeline.verdictNote("handed to the gateway's service (not run for a synthetic frame)");
            return;
        }
        pipeline.capture(CapturePoint.DNS, ingress, buffer, length); // the query, before the answer overwrites it
        final int clientIp = ip.source();
        final int clientPort = udp.sourcePort();
        final int payload = l4 + UdpPacket.HEADER_LENGTH;
        final int capacity =
                Math.min(buffer.capacity() - payload, 65_535 - Ipv4Packet.MIN_HEADER_LENGTH - UdpPacket.HEADER_LENGTH);
        final int answer = service.handle(
                domain.id,
                clientIp,
                clientPort,
                buffer,
                payload,
                udp.length() - UdpPacket.HEADER_LENGTH,
                capacity,
                pipeline.now);
        if (answer == GatewayDatagramService.DROP || answer < 0) {
            pipeline.drop(ingress, in, DropReason.SERVICE_DROPPED, buffer, length);
            return;
        }
        in.gatewayAnswered++;
        domain.serviceRequests++;
        if (answer == GatewayDatagramService.DEFERRED) {
            return;
        }
        final long clientMac = MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET);
        writeUdpHeaders(buffer, domain, clientMac, clientIp, clientPort, service.port(), answer);
        sendFromGateway(ingress, domain, buffer, answer);
    }

    /**
     * Frames a deferred answer (its payload already at the UDP payload offset of {@code buffer}) and
     * sends it to the client. Returns false if the client's address is not on the network any more.
     */
    boolean sendDeferred(
            BridgeDomain domain,
            MutableDirectBuffer buffer,
            int clientIp,
            int clientPort,
            int servicePort,
            int payloadLength) {
        final long clientMac = domain.addresses.lookup(clientIp);
        if (clientMac < 0) {
            domain.serviceRepliesUndeliverable++;
            return false;
        }
        VirtioNetHeader.clear(buffer, 0);
        writeUdpHeaders(buffer, domain, clientMac, clientIp, clientPort, servicePort, payloadLength);
        domain.serviceReplies++;
        sendFromGateway(-1, domain, buffer, payloadLength);
        return true;
    }

    /** Where a deferred answer's payload must be written before {@link #sendDeferred}. */
    static int udpPayloadOffset() {
        return L3 + Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH;
    }

    private void writeUdpHeaders(
            MutableDirectBuffer buffer,
            BridgeDomain domain,
            long clientMac,
            int clientIp,
            int clientPort,
            int servicePort,
            int payloadLength) {
        VirtioNetHeader.clear(buffer, 0);
        setMacs(buffer, clientMac, domain.gatewayMac);
        buffer.putShort(ETH + 12, (short) EthernetFrame.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        final int udpLength = UdpPacket.HEADER_LENGTH + payloadLength;
        writeIpHeader(
                buffer,
                L3,
                Ipv4Packet.MIN_HEADER_LENGTH + udpLength,
                Ipv4Packet.PROTOCOL_UDP,
                domain.gatewayIp,
                clientIp);
        final int l4 = L3 + Ipv4Packet.MIN_HEADER_LENGTH;
        buffer.putShort(l4 + UdpPacket.SOURCE_PORT_OFFSET, (short) servicePort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(l4 + UdpPacket.DESTINATION_PORT_OFFSET, (short) clientPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(l4 + UdpPacket.LENGTH_OFFSET, (short) udpLength, ByteOrder.BIG_ENDIAN);
        buffer.putShort(l4 + UdpPacket.CHECKSUM_OFFSET, (short) 0);
        udp.wrap(buffer, l4, udpLength); // now that its length field is right
        final int sum = udp.computeChecksum(
                InternetChecksum.pseudoHeaderIpv4(domain.gatewayIp, clientIp, Ipv4Packet.PROTOCOL_UDP, udpLength));
        udp.setChecksum(sum == 0 ? 0xFFFF : sum);
    }

    private void sendFromGateway(int ingress, BridgeDomain domain, MutableDirectBuffer buffer, int payloadLength) {
        final int ipLength = Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH + payloadLength;
        ip.wrap(buffer, L3, ipLength);
        final long clientMac = MacAddress.read(buffer, ETH + EthernetFrame.DESTINATION_OFFSET);
        if (ingress >= 0) {
            pipeline.capture(CapturePoint.DNS, ingress, buffer, L3 + ipLength);
        } else if (pipeline.capturesDns()) {
            pipeline.capture(CapturePoint.DNS, domain.macs.lookup(clientMac), buffer, L3 + ipLength);
        }
        if (ipLength > domain.mtu) {
            fragment(ingress, domain, buffer, L3 + ipLength, domain.mtu, clientMac, domain.gatewayMac);
        } else if (ingress >= 0) {
            pipeline.transmit(ingress, buffer, L3 + ipLength);
        } else {
            pipeline.switchWithin(-1, domain, buffer, L3 + ipLength);
        }
    }

    private void writeIpHeader(
            MutableDirectBuffer buffer, int offset, int totalLength, int protocol, int source, int destination) {
        buffer.putByte(offset, (byte) 0x45);
        buffer.putByte(offset + Ipv4Packet.TOS_OFFSET, (byte) 0);
        buffer.putShort(offset + Ipv4Packet.TOTAL_LENGTH_OFFSET, (short) totalLength, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + Ipv4Packet.ID_OFFSET, nextId++, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        buffer.putByte(offset + Ipv4Packet.TTL_OFFSET, (byte) TTL);
        buffer.putByte(offset + Ipv4Packet.PROTOCOL_OFFSET, (byte) protocol);
        buffer.putInt(offset + Ipv4Packet.SOURCE_OFFSET, source, ByteOrder.BIG_ENDIAN);
        buffer.putInt(offset + Ipv4Packet.DESTINATION_OFFSET, destination, ByteOrder.BIG_ENDIAN);
        out.wrap(buffer, offset, totalLength);
        out.updateHeaderChecksum();
    }

    // ---- errors ------------------------------------------------------------------------------

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
                IcmpPacket.TYPE_DESTINATION_UNREACHABLE,
                unreachableCode,
                0,
                why);
    }

    /** Drops the packet under {@code reason} and tells its sender with an ICMP error. */
    private void refuseWith(
            int ingress,
            PortCounters in,
            BridgeDomain from,
            MutableDirectBuffer buffer,
            int length,
            DropReason reason,
            int type,
            int code,
            int nextHopMtu,
            String why) {
        note("route", why);
        if (!pipeline.dryRun) {
            sendIcmpError(ingress, from, buffer, length, type, code, nextHopMtu);
        }
        pipeline.drop(ingress, in, reason, buffer, length);
    }

    /**
     * Builds an ICMP error about the packet in {@code buffer} (header in {@link #ip}) and sends it
     * back out of the port the packet came in on. Never about an ICMP error, a non-first fragment, or
     * a packet from no one (RFC 1122 3.2.2); rate-limited.
     */
    private void sendIcmpError(
            int ingress,
            BridgeDomain from,
            MutableDirectBuffer buffer,
            int length,
            int type,
            int code,
            int nextHopMtu) {
        final int source = ip.source();
        if (source == 0
                || (source & 0xF0000000) == 0xE0000000
                || source == -1
                || ip.fragmentOffset() != 0
                || isIcmpError(buffer)) {
            return;
        }
        if (!icmpLimiter.tryAcquire(pipeline.now)) {
            icmpErrorsSuppressed++;
            return;
        }
        final int errorSource = from == null ? routerIp : from.gatewayIp;
        final long errorMac = from == null ? routerMac : from.gatewayMac;
        final int quoted = Math.min(
                Math.min(ip.totalLength(), length - L3),
                ICMP_ERROR_MAX_IP_LENGTH - Ipv4Packet.MIN_HEADER_LENGTH - IcmpPacket.HEADER_LENGTH);
        final int icmpLength = IcmpPacket.HEADER_LENGTH + quoted;
        VirtioNetHeader.clear(scratch, 0);
        setMacs(scratch, MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET), errorMac);
        scratch.putShort(ETH + 12, (short) EthernetFrame.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        writeIpHeader(
                scratch, L3, Ipv4Packet.MIN_HEADER_LENGTH + icmpLength, Ipv4Packet.PROTOCOL_ICMP, errorSource, source);
        final int l4 = L3 + Ipv4Packet.MIN_HEADER_LENGTH;
        scratch.putByte(l4, (byte) type);
        scratch.putByte(l4 + 1, (byte) code);
        scratch.putShort(l4 + 2, (short) 0);
        scratch.putShort(l4 + 4, (short) 0);
        scratch.putShort(l4 + 6, (short) nextHopMtu, ByteOrder.BIG_ENDIAN);
        scratch.putBytes(l4 + IcmpPacket.HEADER_LENGTH, buffer, L3, quoted);
        icmp.wrap(scratch, l4, icmpLength);
        icmp.updateChecksum();
        icmpErrorsSent++;
        if (from != null) {
            from.icmpErrors++;
        }
        pipeline.transmit(ingress, scratch, l4 + icmpLength);
    }

    private boolean isIcmpError(DirectBuffer buffer) {
        if (ip.protocol() != Ipv4Packet.PROTOCOL_ICMP || ip.payloadLength() < 1) {
            return false;
        }
        final int type = buffer.getByte(ip.payloadOffset()) & 0xFF;
        return type != IcmpPacket.TYPE_ECHO_REQUEST
                && type != IcmpPacket.TYPE_ECHO_REPLY
                && type != 13
                && type != 14; // timestamp request/reply are queries, not errors
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Checks the IPv4 header as a router must (RFC 1812 5.2.2); drops and counts what fails. */
    private boolean validHeader(int ingress, PortCounters in, MutableDirectBuffer buffer, int length) {
        // wrap checks version, header length, and that the total length covers the header and fits
        if (!ip.wrap(buffer, L3, length - L3)) {
            pipeline.drop(
                    ingress,
                    in,
                    length - L3 < Ipv4Packet.MIN_HEADER_LENGTH ? DropReason.TRUNCATED_IP : DropReason.BAD_IP_HEADER,
                    buffer,
                    length);
            return false;
        }
        if (!ip.isHeaderChecksumValid()) {
            pipeline.drop(ingress, in, DropReason.BAD_IP_CHECKSUM, buffer, length);
            return false;
        }
        ip.wrap(buffer, L3, ip.totalLength()); // the payload ends where the packet does, not at Ethernet padding
        return true;
    }

    /** The routed network whose subnet holds {@code address}, or null. */
    BridgeDomain lookup(int address) {
        final BridgeDomain[] networks = routed;
        for (int i = 0; i < networks.length; i++) {
            final BridgeDomain d = networks[i];
            if ((address & d.subnetMask) == d.subnet) {
                return d;
            }
        }
        return null;
    }

    private static void swapMacs(MutableDirectBuffer buffer) {
        final long destination = MacAddress.read(buffer, ETH + EthernetFrame.DESTINATION_OFFSET);
        final long source = MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET);
        setMacs(buffer, source, destination);
    }

    /**
     * Whether the current packet is traced. Trace text is built only then: building it for every
     * packet would allocate on the packet path.
     */
    private boolean tracing() {
        return pipeline.trace != null;
    }

    private void note(String stage, String text) {
        if (pipeline.trace != null) {
            pipeline.trace.note(stage, text);
        }
    }
}
