package io.jvswitch.switching;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.port.Port;
import org.agrona.MutableDirectBuffer;

/**
 * What happens to one frame between the port it came in on and the ports it leaves by: ingress
 * checks, MAC learning, proxy-ARP, then unicast forwarding or flooding within the frame's network.
 *
 * <p>The frame stays where it was read; an ARP answer is written over the request in place. No
 * allocation, no exceptions: every frame ends in exactly one verdict, counted on its ingress port
 * (forwarded, flooded, answered, or dropped with a reason).
 */
final class FramePipeline {
    private static final int ETH_OFFSET = VirtioNetHeader.LENGTH;
    private static final int MIN_FRAME = VirtioNetHeader.LENGTH + EthernetFrame.HEADER_LENGTH;
    /** Ethernet header plus up to one 802.1Q tag on top of the MTU. */
    private static final int L2_OVERHEAD = EthernetFrame.HEADER_LENGTH + 4;

    private final PortTable table;
    private final EthernetFrame ethernet = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();
    private int goneCount;
    private final int[] goneSlots;

    FramePipeline(PortTable table) {
        this.table = table;
        this.goneSlots = new int[table.capacity()];
    }

    /**
     * Handles one received frame ({@code length} bytes at offset 0 of {@code buffer}, virtio-net
     * header first).
     */
    void process(int ingress, MutableDirectBuffer buffer, int length, long nowNanos) {
        final PortCounters in = table.counters[ingress];
        in.rxFrames++;
        in.rxBytes += Math.max(0, length - VirtioNetHeader.LENGTH);
        handle(ingress, in, buffer, length, nowNanos);
    }

    /** Sends a frame the switch built on behalf of a port (a gratuitous ARP) as if it came from it. */
    void inject(int ingress, MutableDirectBuffer buffer, int length, long nowNanos) {
        handle(ingress, table.counters[ingress], buffer, length, nowNanos);
    }

    private void handle(int ingress, PortCounters in, MutableDirectBuffer buffer, int length, long nowNanos) {
        if (length < MIN_FRAME || !ethernet.wrap(buffer, ETH_OFFSET, length - ETH_OFFSET)) {
            in.drop(DropReason.RUNT);
            return;
        }
        final boolean gso = VirtioNetHeader.isGso(buffer, 0);
        if (!gso && length - ETH_OFFSET > table.mtus[ingress] + L2_OVERHEAD) {
            in.drop(DropReason.OVERSIZE);
            return;
        }
        if (!offloadRequestFits(buffer, length, gso)) {
            in.drop(DropReason.BAD_OFFLOAD);
            return;
        }
        final long source = ethernet.source();
        if (MacAddress.isMulticast(source)) {
            in.drop(DropReason.MULTICAST_SOURCE);
            return;
        }
        if (source == 0) {
            in.drop(DropReason.ZERO_SOURCE);
            return;
        }
        final BridgeDomain domain = table.domains[ingress];
        final int etherType = ethernet.payloadEtherType();
        if (!domain.etherTypePolicy.allows(etherType)) {
            in.drop(DropReason.UNKNOWN_ETHERTYPE);
            return; // before learning: a frame the network refuses must not spend the port's MAC quota
        }
        domain.macs.learn(source, ingress, nowNanos);

        if (etherType == EthernetFrame.ETHERTYPE_ARP && answerArp(ingress, in, domain, buffer, length)) {
            return;
        }
        final long destination = ethernet.destination();
        if (MacAddress.isMulticast(destination)) {
            flood(ingress, in, domain, buffer, length);
            return;
        }
        if (destination == domain.gatewayMac) {
            in.drop(DropReason.NO_ROUTE);
            return;
        }
        final int egress = domain.macs.lookup(destination);
        if (egress < 0) {
            domain.unknownUnicastFrames++;
            flood(ingress, in, domain, buffer, length);
        } else if (egress == ingress) {
            in.drop(DropReason.DESTINATION_IS_INGRESS);
        } else {
            in.forwarded++;
            transmit(egress, buffer, length);
        }
    }

    /**
     * Proxy-ARP: answers a request for an address the network knows, from the owner's MAC, out of
     * the port it came in on. Returns true when the frame's verdict is settled (answered or dropped).
     */
    private boolean answerArp(int ingress, PortCounters in, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final int arpOffset = ethernet.payloadOffset();
        if (!arp.wrap(buffer, arpOffset, length - arpOffset)) {
            in.drop(DropReason.TRUNCATED_ARP);
            return true;
        }
        final int operation = arp.operation();
        if (!arp.isEthernetIpv4() || (operation != ArpPacket.OP_REQUEST && operation != ArpPacket.OP_REPLY)) {
            in.drop(DropReason.MALFORMED_ARP);
            return true;
        }
        if (operation != ArpPacket.OP_REQUEST || arp.isGratuitous()) {
            return false; // replies and announcements travel like any other frame
        }
        final int targetIp = arp.targetIp();
        final long owner = domain.addresses.lookup(targetIp);
        if (owner < 0 || owner == arp.senderMac()) {
            return false; // unknown here, or a probe for the asker's own address: let it flood
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
        domain.floodedFrames++;
        final int members = domain.memberCount();
        for (int i = 0; i < members; i++) {
            final int egress = domain.member(i);
            if (egress != ingress && transmit(egress, buffer, length)) {
                table.counters[egress].floodedOut++;
            }
        }
    }

    /** Sends the frame out of one port; returns whether the device took it. Failures are counted there. */
    private boolean transmit(int egress, MutableDirectBuffer buffer, int length) {
        final PortCounters out = table.counters[egress];
        if (!table.offloads[egress]) {
            if (VirtioNetHeader.isGso(buffer, 0)) {
                out.drop(DropReason.GSO_UNSUPPORTED);
                return false;
            }
            // Completing the checksum edits the shared frame: later ports of a flood get it completed,
            // which is valid for every port.
            if (VirtioNetHeader.needsChecksum(buffer, 0) && !VirtioNetHeader.completeChecksum(buffer, 0, length)) {
                out.drop(DropReason.BAD_OFFLOAD);
                return false;
            }
        }
        final int result = table.ports[egress].transmit(buffer, 0, length);
        if (result == Port.TX_OK) {
            out.txFrames++;
            out.txBytes += length - VirtioNetHeader.LENGTH;
            return true;
        } else if (result == Port.TX_BUSY) {
            out.drop(DropReason.TX_QUEUE_FULL);
        } else if (result == Port.TX_GONE) {
            out.drop(DropReason.PORT_GONE);
            markGone(egress);
        } else {
            out.drop(DropReason.TX_REJECTED);
        }
        return false;
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
