package io.jvswitch.switching;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.capture.CaptureRing;
import io.jvswitch.switching.capture.PacketTrace;
import io.jvswitch.switching.port.Port;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * What happens to one frame between the port it came in on and the ports it leaves by: ingress
 * checks, MAC learning, proxy-ARP, then unicast forwarding or flooding within the frame's network.
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
    private static final int L2_OVERHEAD = EthernetFrame.HEADER_LENGTH + 4;

    private final PortTable table;
    private final CaptureTaps taps;
    private final EthernetFrame ethernet = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();
    private final Ipv6PortSecurity ipv6Security = new Ipv6PortSecurity();
    private int goneCount;
    private final int[] goneSlots;

    /** Set only while a traced frame is processed. */
    PacketTrace trace;

    boolean dryRun;
    /** The clock reading of the duty cycle processing the current frame. */
    long now;

    final Ipv4Router router;
    final Ipv6Router router6;
    private final NeighborProxy neighbors;
    private final PortCounters switchMade = new PortCounters();

    FramePipeline(PortTable table, CaptureTaps taps, SwitchContext ctx) {
        this.table = table;
        this.taps = taps;
        this.goneSlots = new int[table.capacity()];
        this.router = new Ipv4Router(
                this,
                table,
                SwitchAgent.FRAME_CAPACITY,
                new IcmpRateLimiter(ctx.icmpErrorsPerSecond(), ctx.icmpErrorBurst()));
        this.router6 = new Ipv6Router(
                this,
                table,
                SwitchAgent.FRAME_CAPACITY,
                new IcmpRateLimiter(ctx.icmpErrorsPerSecond(), ctx.icmpErrorBurst()));
        this.neighbors = new NeighborProxy(this, table);
    }

    /**
     * Handles one received frame ({@code length} bytes at offset 0 of {@code buffer}, virtio-net
     * header first).
     */
    void process(int ingress, MutableDirectBuffer buffer, int length, long nowNanos) {
        final PortCounters in = table.counters[ingress];
        in.rxFrames++;
        in.rxBytes += Math.max(0, length - VirtioNetHeader.LENGTH);
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
        trace = t;
        this.dryRun = dryRun;
        try {
            t.note(
                    "rx",
                    "port " + table.ports[ingress].name() + " (network " + table.domains[ingress].name + "), "
                            + (length - ETH_OFFSET) + " bytes"
                            + (dryRun ? ", synthetic: nothing is sent or learned" : ""));
            if (dryRun) {
                handle(ingress, new PortCounters(), buffer, length, nowNanos);
            } else {
                process(ingress, buffer, length, nowNanos);
            }
        } finally {
            trace = null;
            this.dryRun = false;
        }
        return t;
    }

    private void handle(int ingress, PortCounters in, MutableDirectBuffer buffer, int length, long nowNanos) {
        now = nowNanos;
        if (length < MIN_FRAME || !ethernet.wrap(buffer, ETH_OFFSET, length - ETH_OFFSET)) {
            drop(ingress, in, DropReason.RUNT, buffer, length);
            return;
        }
        final boolean gso = VirtioNetHeader.isGso(buffer, 0);
        if (!gso && length - ETH_OFFSET > table.mtus[ingress] + L2_OVERHEAD) {
            drop(ingress, in, DropReason.OVERSIZE, buffer, length);
            return;
        }
        if (!offloadRequestFits(buffer, length, gso)) {
            drop(ingress, in, DropReason.BAD_OFFLOAD, buffer, length);
            return;
        }
        final long source = ethernet.source();
        if (MacAddress.isMulticast(source)) {
            drop(ingress, in, DropReason.MULTICAST_SOURCE, buffer, length);
            return;
        }
        if (source == 0) {
            drop(ingress, in, DropReason.ZERO_SOURCE, buffer, length);
            return;
        }
        final BridgeDomain domain = table.domains[ingress];
        if (domain.hostLink) {
            if (ethernet.payloadEtherType() == EthernetFrame.ETHERTYPE_IPV6) {
                router6.fromHost(ingress, in, ethernet, buffer, length);
            } else {
                router.fromHost(ingress, in, ethernet, buffer, length);
            }
            return; // the host talks to the router only: nothing from it is switched or learned
        }
        final int etherType = ethernet.payloadEtherType();
        if (!domain.etherTypePolicy.allows(etherType)) {
            drop(ingress, in, DropReason.UNKNOWN_ETHERTYPE, buffer, length);
            return; // before learning: a frame the network refuses must not spend the port's MAC quota
        }
        if (table.enforced[ingress] && !speaksAsItsEndpoint(ingress, in, etherType, buffer, length)) {
            return; // before learning: a spoofed source must not enter the FDB
        }
        if (table.learnsAddresses[ingress] && domain.isLocalMac(source)) {
            // A tunnel speaking as this host's gateway or endpoint: never moved onto the tunnel.
            drop(ingress, in, DropReason.TUNNEL_LOCAL_MAC, buffer, length);
            return;
        }
        if (trace != null) {
            trace.note(
                    "ingress-checks",
                    "passed: " + MacAddress.format(source) + " -> "
                            + MacAddress.format(ethernet.destination()) + String.format(", ethertype 0x%04x", etherType)
                            + (gso ? ", GSO super-frame (gso_size " + VirtioNetHeader.gsoSize(buffer, 0) + ")" : ""));
            trace.note(
                    "port-security",
                    table.enforced[ingress]
                            ? "source MAC and address are the endpoint's"
                            : "off for this endpoint (--allow-spoofing)");
        }
        if (!dryRun) {
            final int learned = domain.macs.learn(source, ingress, nowNanos);
            if (trace != null) {
                trace.note(
                        "learn",
                        MacAddress.format(source) + " on " + table.ports[ingress].name() + ": " + learnResult(learned));
            }
        }

        if (etherType == EthernetFrame.ETHERTYPE_ARP && answerArp(ingress, in, domain, buffer, length)) {
            return;
        }
        if (etherType == EthernetFrame.ETHERTYPE_IPV6
                && neighbors.answer(ingress, in, domain, ethernet, buffer, length, ethernet.payloadOffset())) {
            return;
        }

        final long destination = ethernet.destination();
        if (MacAddress.isMulticast(destination)) {
            if (trace != null) {
                trace.note(
                        "l2-lookup",
                        MacAddress.format(destination) + " is "
                                + (MacAddress.isBroadcast(destination) ? "broadcast" : "multicast") + ": flood");
            }
            flood(ingress, in, domain, buffer, length);
            return;
        }
        if (destination == domain.gatewayMac) {
            if (etherType == EthernetFrame.ETHERTYPE_IPV4) {
                router.fromNetwork(ingress, in, domain, buffer, length, ethernet.payloadOffset());
            } else if (etherType == EthernetFrame.ETHERTYPE_IPV6) {
                router6.fromNetwork(ingress, in, domain, buffer, length, ethernet.payloadOffset());
            } else {
                drop(ingress, in, DropReason.NO_ROUTE, buffer, length);
            }
            return;
        }
        switchTo(ingress, in, domain, destination, buffer, length);
    }

    /**
     * Delivers a frame the router sent into {@code domain}: to the port that learned its destination
     * MAC, or flooded. {@code ingress} is -1 for a frame the switch made.
     */
    void switchWithin(int ingress, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final long destination = MacAddress.read(buffer, ETH_OFFSET + EthernetFrame.DESTINATION_OFFSET);
        // The frame's verdict (routed, answered) is already counted on its ingress port: what the
        // switching step decides goes to scratch counters, so every received frame has one verdict.
        switchTo(ingress, switchMade, domain, destination, buffer, length);
    }

    private void switchTo(
            int ingress,
            PortCounters in,
            BridgeDomain domain,
            long destination,
            MutableDirectBuffer buffer,
            int length) {
        final int egress = domain.macs.lookup(destination);
        if (egress < 0) {
            if (trace != null) {
                trace.note(
                        "l2-lookup",
                        "FDB of " + domain.name + ": " + MacAddress.format(destination)
                                + " not learned: flood as unknown unicast");
            }
            if (!dryRun) {
                domain.unknownUnicastFrames++;
            }
            flood(ingress, in, domain, buffer, length);
        } else if (egress == ingress) {
            drop(ingress, in, DropReason.DESTINATION_IS_INGRESS, buffer, length);
        } else {
            if (trace != null) {
                trace.note(
                        "l2-lookup",
                        "FDB of " + domain.name + ": " + MacAddress.format(destination) + " -> port "
                                + table.ports[egress].name());
                trace.verdict("forwarded to " + table.ports[egress].name());
                noteEgress(egress, buffer, length);
            }
            in.forwarded++;
            transmit(egress, buffer, length);
        }
    }

    /**
     * Port security: the source MAC, and the IPv4/IPv6 source, must be the endpoint's (ARP is
     * checked in {@link #answerArp}, where the ARP header is parsed anyway).
     */
    private boolean speaksAsItsEndpoint(
            int ingress, PortCounters in, int etherType, MutableDirectBuffer buffer, int length) {
        if (ethernet.source() != table.macs[ingress]) {
            drop(ingress, in, DropReason.SPOOFED_SOURCE_MAC, buffer, length);
            return false;
        }
        final int l3 = ethernet.payloadOffset();
        if (etherType == EthernetFrame.ETHERTYPE_IPV4) {
            if (length - l3 < Ipv4Packet.MIN_HEADER_LENGTH) {
                drop(ingress, in, DropReason.TRUNCATED_IP, buffer, length);
                return false;
            }
            final int source = buffer.getInt(l3 + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
            if (source != table.ips[ingress] && source != 0) {
                drop(ingress, in, DropReason.SPOOFED_SOURCE_IP, buffer, length);
                return false;
            }
            if (isDhcpServerMessage(buffer, l3, length)) {
                drop(ingress, in, DropReason.DHCP_SERVER, buffer, length);
                return false;
            }
        } else if (etherType == EthernetFrame.ETHERTYPE_IPV6) {
            if (length - l3 < Ipv6Packet.HEADER_LENGTH) {
                drop(ingress, in, DropReason.TRUNCATED_IP, buffer, length);
                return false;
            }
            final DropReason refused = ipv6Security.check(
                    buffer, l3, length, table.macs[ingress], table.ip6Highs[ingress], table.ip6Lows[ingress]);
            if (refused != null) {
                drop(ingress, in, refused, buffer, length);
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

    /**
     * Proxy-ARP: answers a request for an address the network knows, from the owner's MAC, out of
     * the port it came in on. Returns true when the frame's verdict is settled (answered or dropped).
     */
    private boolean answerArp(
            int ingress, PortCounters in, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final int arpOffset = ethernet.payloadOffset();
        if (!arp.wrap(buffer, arpOffset, length - arpOffset)) {
            drop(ingress, in, DropReason.TRUNCATED_ARP, buffer, length);
            return true;
        }
        final int operation = arp.operation();
        if (!arp.isEthernetIpv4() || (operation != ArpPacket.OP_REQUEST && operation != ArpPacket.OP_REPLY)) {
            drop(ingress, in, DropReason.MALFORMED_ARP, buffer, length);
            return true;
        }
        if (table.enforced[ingress]
                && (arp.senderMac() != table.macs[ingress]
                        || (arp.senderIp() != table.ips[ingress] && arp.senderIp() != 0))) {
            // Claiming another MAC or address, in a request, a reply or an announcement: ARP poisoning.
            drop(ingress, in, DropReason.SPOOFED_ARP, buffer, length);
            return true;
        }
        if (table.learnsAddresses[ingress]) {
            final int learned = domain.addresses.learn(
                    arp.senderIp(), arp.senderMac(), ingress, table.ports[ingress].lastFrameOrigin(), now, !dryRun);
            if (learned == AddressBook.REFUSED_LOCAL || learned == AddressBook.REFUSED_OTHER_PEER) {
                // Not flooded either: the local containers' ARP caches would take the claim.
                drop(ingress, in, DropReason.TUNNEL_SPOOFED_ARP, buffer, length);
                return true;
            }
            if (learned == AddressBook.LEARNED && trace != null) {
                trace.note(
                        "arp-proxy",
                        "learned " + Ipv4Address.format(arp.senderIp()) + " at " + MacAddress.format(arp.senderMac())
                                + " from the tunnel");
            }
        }
        if (operation != ArpPacket.OP_REQUEST || arp.isGratuitous()) {
            if (trace != null) {
                trace.note(
                        "arp-proxy",
                        (operation == ArpPacket.OP_REPLY ? "a reply" : "a gratuitous ARP")
                                + ": not answered, forwarded like any frame");
            }
            return false; // replies and announcements travel like any other frame
        }
        final int targetIp = arp.targetIp();
        final long owner = domain.addresses.lookup(targetIp, now);
        if (owner < 0 || owner == arp.senderMac()) {
            if (trace != null) {
                trace.note(
                        "arp-proxy",
                        "who-has " + Ipv4Address.format(targetIp) + ": "
                                + (owner < 0 ? "not in the address book of " + domain.name : "the asker's own address")
                                + ": flood");
            }
            return false; // unknown here, or a probe for the asker's own address: let it flood
        }
        if (trace != null) {
            trace.note(
                    "arp-proxy",
                    "who-has " + Ipv4Address.format(targetIp) + ": address book of " + domain.name + " says "
                            + MacAddress.format(owner) + ": answered by the switch");
            trace.verdict("answered (proxy-ARP) out of " + table.ports[ingress].name());
        }
        if (dryRun) {
            return true;
        }
        final long askerMac = arp.senderMac();
        final int askerIp = arp.senderIp();
        ethernet.setDestination(ethernet.source());
        ethernet.setSource(owner);
        arp.setOperation(ArpPacket.OP_REPLY);
        arp.setSenderMac(owner);
        arp.setSenderIp(targetIp);
        arp.setTargetMac(askerMac);
        arp.setTargetIp(askerIp);
        VirtioNetHeader.clear(buffer, 0);
        in.arpAnswered++;
        domain.arpAnswered++;
        transmit(ingress, buffer, length);
        return true;
    }

    private void flood(int ingress, PortCounters in, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        in.flooded++;
        if (!dryRun) {
            domain.floodedFrames++;
        }
        final int members = domain.memberCount();
        if (trace != null) {
            final StringBuilder to = new StringBuilder();
            for (int i = 0; i < members; i++) {
                if (domain.member(i) != ingress) {
                    to.append(to.isEmpty() ? "" : ", ").append(table.ports[domain.member(i)].name());
                }
            }
            trace.verdict("flooded in " + domain.name + " to " + (to.isEmpty() ? "no other port" : to));
            for (int i = 0; i < members; i++) {
                if (domain.member(i) != ingress) {
                    noteEgress(domain.member(i), buffer, length);
                }
            }
        }
        for (int i = 0; i < members; i++) {
            final int egress = domain.member(i);
            if (egress != ingress && transmit(egress, buffer, length)) {
                table.counters[egress].floodedOut++;
            }
        }
    }

    /** Trace text: what a port that sends beyond the switch (a tunnel) would do with the frame. */
    private void noteEgress(int egress, MutableDirectBuffer buffer, int length) {
        final String beyond = table.ports[egress].describeEgress(buffer, 0, length);
        if (beyond != null) {
            trace.note("egress " + table.ports[egress].name(), beyond);
        }
    }

    /** Sends the frame out of one port; returns whether the device took it. Failures are counted there. */
    boolean transmit(int egress, MutableDirectBuffer buffer, int length) {
        if (dryRun) {
            return false;
        }
        final PortCounters out = table.counters[egress];
        if (!table.offloads[egress]) {
            if (VirtioNetHeader.isGso(buffer, 0)) {
                drop(egress, out, DropReason.GSO_UNSUPPORTED, buffer, length);
                return false;
            }
            // Completing the checksum edits the shared frame: later ports of a flood get it completed,
            // which is valid for every port.
            if (VirtioNetHeader.needsChecksum(buffer, 0) && !VirtioNetHeader.completeChecksum(buffer, 0, length)) {
                drop(egress, out, DropReason.EGRESS_BAD_OFFLOAD, buffer, length);
                return false;
            }
        }
        final int result = table.ports[egress].transmit(buffer, 0, length);
        if (result == Port.TX_OK) {
            out.txFrames++;
            out.txBytes += length - VirtioNetHeader.LENGTH;
            final int txMask = taps.tx[egress];
            if (txMask != 0) {
                taps.copy(
                        txMask,
                        egress,
                        CapturePoint.TX,
                        CaptureRing.NO_REASON,
                        buffer,
                        ETH_OFFSET,
                        length - ETH_OFFSET);
            }
            return true;
        } else if (result == Port.TX_BUSY) {
            drop(egress, out, DropReason.TX_QUEUE_FULL, buffer, length);
        } else if (result == Port.TX_GONE) {
            drop(egress, out, DropReason.PORT_GONE, buffer, length);
            markGone(egress);
        } else {
            drop(egress, out, DropReason.TX_REJECTED, buffer, length);
        }
        return false;
    }

    /** Counts a drop on the port it happened at, and hands a copy to drop captures. */
    void drop(int slot, PortCounters counters, DropReason reason, MutableDirectBuffer buffer, int length) {
        counters.drop(reason);
        if (trace != null) {
            trace.note(reason.stage().label(), "dropped: " + reason.label() + " (" + reason.description() + ")");
            trace.verdict("dropped at " + table.ports[slot].name() + ": " + reason.label());
        }
        final int mask = taps.drop[slot];
        if (mask != 0 && !dryRun && length > ETH_OFFSET) {
            taps.copy(mask, slot, CapturePoint.DROP, reason.ordinal(), buffer, ETH_OFFSET, length - ETH_OFFSET);
        }
    }

    /**
     * Hands a copy of the frame to the captures that want {@code point} at {@code slot}: a load and
     * a compare when none does. Never for a synthetic frame.
     */
    void capture(CapturePoint point, int slot, MutableDirectBuffer buffer, int length) {
        if (slot < 0 || dryRun || length <= ETH_OFFSET) {
            return;
        }
        final int mask = taps.mask(point, slot);
        if (mask != 0) {
            taps.copy(mask, slot, point, CaptureRing.NO_REASON, buffer, ETH_OFFSET, length - ETH_OFFSET);
        }
    }

    /** Whether any capture wants DNS frames (a deferred answer finds its client's port only then). */
    boolean capturesDns() {
        return taps.dnsArmed;
    }

    /** Sets the trace's verdict when a frame is traced. */
    void verdictNote(String verdict) {
        if (trace != null) {
            trace.verdict(verdict);
        }
    }

    private static String learnResult(int result) {
        return switch (result) {
            case MacTable.LEARNED -> "learned";
            case MacTable.REFRESHED -> "refreshed";
            case MacTable.MOVED -> "moved here from another port";
            case MacTable.REFUSED_TABLE_FULL -> "not learned: the network's MAC table is full";
            case MacTable.REFUSED_INVALID -> "not learned: not a station address";
            default -> "not learned: the port's MAC limit is reached";
        };
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

    private void markGone(int slot) {
        for (int i = 0; i < goneCount; i++) {
            if (goneSlots[i] == slot) {
                return;
            }
        }
        goneSlots[goneCount++] = slot;
    }

    int goneCount() {
        return goneCount;
    }

    int goneSlot(int index) {
        return goneSlots[index];
    }

    void clearGone() {
        goneCount = 0;
    }
}
