package io.jvswitch.switching;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.capture.CaptureRing;
import io.jvswitch.switching.capture.PacketTrace;
import io.jvswitch.switching.service.GatewayDatagramService;
import org.agrona.MutableDirectBuffer;

/**
 * What happens to one frame between the port it came in on and the ports it leaves by: ingress
 * checks, port security ({@link EndpointSourceCheck}), MAC learning, proxy-ARP
 * ({@link ProxyArpResponder}) and proxy-NDP, then routing ({@link Ipv4Router}, {@link Ipv6Router})
 * or switching within the frame's network ({@link L2Forwarder}). The stages share one
 * {@link FrameContext} and leave through one {@link Egress}.
 *
 * <p>The frame stays where it was read; an ARP answer is written over the request in place. No
 * allocation, no exceptions: every frame ends in exactly one verdict, counted on its ingress port
 * (forwarded, flooded, answered, or dropped with a reason).
 *
 * <p>Capture taps and tracing cost a mask test and a null test per frame when they are off. A
 * traced frame may be a dry run: it is then neither learned from nor sent anywhere.
 */
final class FramePipeline {
    private static final int ETH_OFFSET = VirtioNetHeader.LENGTH;
    private static final int MIN_FRAME = VirtioNetHeader.LENGTH + EthernetFrame.HEADER_LENGTH;
    /** Ethernet header plus up to one 802.1Q tag on top of the MTU. */
    private static final int L2_OVERHEAD = EthernetFrame.HEADER_LENGTH + EthernetFrame.VLAN_TAG_LENGTH;

    final Ipv4Router router;
    final Ipv6Router router6;
    /** One per agent, reused for every frame. */
    final FrameContext frame = new FrameContext();
    /** Turns a traced frame's records into its trace's text, after the frame. */
    final TraceFormatter traceFormat;

    final PortEgress egress;
    private final PortTable table;
    private final CaptureTaps taps;
    private final EthernetFrame ethernet = new EthernetFrame();
    private final EndpointSourceCheck sourceCheck;
    private final ProxyArpResponder proxyArp;
    private final NeighborProxy neighbors;
    private final L2Forwarder forwarder;
    /** Where the verdicts of frames the switch made go: a port's counters tell what its container sent. */
    private final PortCounters switchMade = new PortCounters();

    FramePipeline(PortTable table, CaptureTaps taps, SwitchContext ctx) {
        this.table = table;
        this.taps = taps;
        this.traceFormat = new TraceFormatter(table);
        this.egress = new PortEgress(table, taps, frame);
        this.forwarder = egress.forwarder();
        this.sourceCheck = new EndpointSourceCheck(table, egress);
        this.proxyArp = new ProxyArpResponder(table, frame, egress);
        this.neighbors = new NeighborProxy(frame, egress, table);
        this.router = new Ipv4Router(
                frame,
                egress,
                table,
                SwitchAgent.FRAME_CAPACITY,
                new IcmpRateLimiter(ctx.icmpErrorsPerSecond(), ctx.icmpErrorBurst()));
        this.router6 = new Ipv6Router(
                egress,
                frame,
                table,
                SwitchAgent.FRAME_CAPACITY,
                new IcmpRateLimiter(ctx.icmpErrorsPerSecond(), ctx.icmpErrorBurst()));
    }

    /**
     * Handles one received frame ({@code length} bytes at offset 0 of {@code buffer}, virtio-net
     * header first).
     */
    void process(int ingress, MutableDirectBuffer buffer, int length, long nowNanos) {
        final PortCounters in = table.counters[ingress];
        in.count(PortCounter.RX_FRAMES);
        in.add(PortCounter.RX_BYTES, Math.max(0, length - VirtioNetHeader.LENGTH));
        final int rxMask = taps.rx[ingress];
        if (rxMask != 0 && length > ETH_OFFSET) {
            taps.copy(rxMask, ingress, CapturePoint.RX, CaptureRing.NO_REASON, buffer, ETH_OFFSET, length - ETH_OFFSET);
        }
        handle(ingress, in, buffer, length, nowNanos);
    }

    /**
     * Sends a frame the switch built on behalf of a port (a gratuitous ARP) as if it came from it.
     * Its verdict goes to scratch counters: a port's counters tell what its container sent.
     */
    void inject(int ingress, MutableDirectBuffer buffer, int length, long nowNanos) {
        handle(ingress, switchMade, buffer, length, nowNanos);
    }

    /**
     * Processes one frame with a trace of every step. With {@code dryRun} the frame is a synthetic
     * one: nothing is learned, sent or counted, so tracing never disturbs the switch.
     */
    PacketTrace trace(int ingress, MutableDirectBuffer buffer, int length, long nowNanos, boolean dryRun) {
        final PacketTrace t = new PacketTrace();
        frame.trace = t;
        frame.dryRun = dryRun;
        try {
            frame.record(TraceEvent.RX, ingress, length - ETH_OFFSET, dryRun ? 1 : 0);
            if (dryRun) {
                handle(ingress, new PortCounters(), buffer, length, nowNanos);
            } else {
                process(ingress, buffer, length, nowNanos);
            }
        } finally {
            traceFormat.write(frame.traced, t);
            frame.traced.clear();
            frame.trace = null;
            frame.dryRun = false;
        }
        return t;
    }

    /**
     * Frames a deferred answer of the gateway's service and sends it to its client (see
     * {@link Ipv4GatewayResponder#sendDeferred}).
     */
    boolean sendDeferred(
            BridgeDomain domain,
            MutableDirectBuffer buffer,
            int clientIp,
            int clientPort,
            int servicePort,
            int payloadLength,
            long nowNanos) {
        frame.begin(FrameContext.NO_PORT, switchMade, nowNanos);
        return GatewayDatagramService.isIpv6Client(clientIp)
                ? router6.service.sendDeferred(domain, buffer, clientIp, clientPort, servicePort, payloadLength)
                : router.gateway.sendDeferred(domain, buffer, clientIp, clientPort, servicePort, payloadLength);
    }

    private void handle(int ingress, PortCounters in, MutableDirectBuffer buffer, int length, long nowNanos) {
        frame.begin(ingress, in, nowNanos);
        if (length < MIN_FRAME || !ethernet.wrap(buffer, ETH_OFFSET, length - ETH_OFFSET)) {
            egress.drop(ingress, in, DropReason.RUNT, buffer, length);
            return;
        }
        frame.l3 = ethernet.payloadOffset();
        final boolean gso = VirtioNetHeader.isGso(buffer, 0);
        if (!gso && length - ETH_OFFSET > table.mtus[ingress] + L2_OVERHEAD) {
            egress.drop(ingress, in, DropReason.OVERSIZE, buffer, length);
            return;
        }
        if (!offloadRequestFits(buffer, length, gso)) {
            egress.drop(ingress, in, DropReason.BAD_OFFLOAD, buffer, length);
            return;
        }
        final long source = ethernet.source();
        if (MacAddress.isMulticast(source)) {
            egress.drop(ingress, in, DropReason.MULTICAST_SOURCE, buffer, length);
            return;
        }
        if (source == 0) {
            egress.drop(ingress, in, DropReason.ZERO_SOURCE, buffer, length);
            return;
        }
        final BridgeDomain domain = table.domains[ingress];
        final int etherType = ethernet.payloadEtherType();
        if (domain.hostLink) {
            if (etherType == EthernetFrame.ETHERTYPE_IPV6) {
                router6.fromHost(ingress, in, ethernet, buffer, length);
            } else {
                router.fromHost(ethernet, buffer, length);
            }
            return; // the host talks to the router only: nothing from it is switched or learned
        }
        if (!domain.etherTypePolicy.allows(etherType)) {
            egress.drop(ingress, in, DropReason.UNKNOWN_ETHERTYPE, buffer, length);
            return; // before learning: a frame the network refuses must not spend the port's MAC quota
        }
        if (table.enforced[ingress] && !sourceCheck.passes(ingress, in, ethernet, etherType, buffer, length)) {
            return; // before learning: a spoofed source must not enter the FDB
        }
        if (table.learnsAddresses[ingress] && domain.isLocalMac(source)) {
            // A tunnel speaking as this host's gateway or endpoint: never moved onto the tunnel.
            egress.drop(ingress, in, DropReason.TUNNEL_LOCAL_MAC, buffer, length);
            return;
        }
        if (frame.tracing()) {
            traceIngress(ingress, etherType, gso, buffer);
        }
        if (!frame.dryRun) {
            final int learned = domain.macs.learn(source, ingress, nowNanos);
            frame.record(TraceEvent.LEARN, source, ingress, learned);
        }
        if (etherType == EthernetFrame.ETHERTYPE_ARP && proxyArp.answer(domain, ethernet, buffer, length)) {
            return;
        }
        if (etherType == EthernetFrame.ETHERTYPE_IPV6
                && neighbors.answer(ingress, in, domain, ethernet, buffer, length, frame.l3)) {
            return;
        }
        final long destination = ethernet.destination();
        if (MacAddress.isMulticast(destination)) {
            frame.record(TraceEvent.L2_GROUP, destination);
            forwarder.flood(ingress, in, domain, buffer, length);
            return;
        }
        if (destination == domain.gatewayMac) {
            if (etherType == EthernetFrame.ETHERTYPE_IPV4) {
                router.fromNetwork(domain, buffer, length);
            } else if (etherType == EthernetFrame.ETHERTYPE_IPV6) {
                router6.fromNetwork(ingress, in, domain, buffer, length, frame.l3);
            } else {
                egress.drop(ingress, in, DropReason.NO_ROUTE, buffer, length);
            }
            return;
        }
        forwarder.switchTo(ingress, in, domain, destination, buffer, length);
    }

    private void traceIngress(int ingress, int etherType, boolean gso, MutableDirectBuffer buffer) {
        frame.record(
                TraceEvent.INGRESS_PASSED,
                ethernet.source(),
                ethernet.destination(),
                etherType,
                gso ? VirtioNetHeader.gsoSize(buffer, 0) : -1);
        frame.record(TraceEvent.PORT_SECURITY, ingress);
    }

    /** An offload request must point inside the frame, or the kernel would reject it on egress. */
    private static boolean offloadRequestFits(MutableDirectBuffer buffer, int length, boolean gso) {
        final int frameLength = length - ETH_OFFSET;
        if (VirtioNetHeader.needsChecksum(buffer, 0)) {
            final int end = VirtioNetHeader.checksumStart(buffer, 0) + VirtioNetHeader.checksumOffset(buffer, 0) + 2;
            if (end > frameLength) {
                return false;
            }
        }
        return !gso || VirtioNetHeader.gsoSize(buffer, 0) > 0;
    }
}
