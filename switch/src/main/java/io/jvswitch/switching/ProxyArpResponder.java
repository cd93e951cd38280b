package io.jvswitch.switching;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.MutableDirectBuffer;

/**
 * Proxy-ARP: answers a request for an address the network knows, from the owner's MAC, out of the
 * port it came in on, writing the answer over the request. Also where ARP is checked for spoofing
 * and where a tunnel's ARP teaches the network's address book.
 */
final class ProxyArpResponder {
    private final PortTable table;
    private final FrameContext frame;
    private final Egress egress;
    private final ArpPacket arp = new ArpPacket();

    ProxyArpResponder(PortTable table, FrameContext frame, Egress egress) {
        this.table = table;
        this.frame = frame;
        this.egress = egress;
    }

    /** Returns true when the frame's verdict is settled (answered or dropped). */
    boolean answer(BridgeDomain domain, EthernetFrame ethernet, MutableDirectBuffer buffer, int length) {
        final int ingress = frame.ingress;
        final PortCounters in = frame.in;
        final int arpOffset = ethernet.payloadOffset();
        if (!arp.wrap(buffer, arpOffset, length - arpOffset)) {
            egress.drop(ingress, in, DropReason.TRUNCATED_ARP, buffer, length);
            return true;
        }
        final int operation = arp.operation();
        if (!arp.isEthernetIpv4() || (operation != ArpPacket.OP_REQUEST && operation != ArpPacket.OP_REPLY)) {
            egress.drop(ingress, in, DropReason.MALFORMED_ARP, buffer, length);
            return true;
        }
        if (table.enforced[ingress]
                && (arp.senderMac() != table.macs[ingress]
                        || (arp.senderIp() != table.ips[ingress] && arp.senderIp() != 0))) {
            // Claiming another MAC or address, in a request, a reply or an announcement: ARP poisoning.
            egress.drop(ingress, in, DropReason.SPOOFED_ARP, buffer, length);
            return true;
        }
        if (table.learnsAddresses[ingress] && !learnFromTunnel(domain, ingress, buffer, length)) {
            return true;
        }
        if (operation != ArpPacket.OP_REQUEST || arp.isGratuitous()) {
            frame.record(TraceEvent.ARP_NOT_A_QUESTION, operation);
            return false; // replies and announcements travel like any other frame
        }
        final int targetIp = arp.targetIp();
        final long owner = domain.addresses.lookup(targetIp, frame.now);
        if (owner < 0 || owner == arp.senderMac()) {
            frame.record(TraceEvent.ARP_UNANSWERED, domain.id, targetIp, owner < 0 ? 0 : 1);
            return false; // unknown here, or a probe for the asker's own address: let it flood
        }
        frame.record(TraceEvent.ARP_ANSWERED, domain.id, targetIp, owner);
        frame.record(TraceEvent.PROXY_ARP_VERDICT, ingress);
        if (frame.dryRun) {
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
        in.count(PortCounter.ARP_ANSWERED);
        domain.count(NetworkCounter.ARP_ANSWERED);
        egress.transmit(ingress, buffer, length);
        return true;
    }

    /**
     * A tunnel's ARP teaches the address book where a remote address lives. Returns false when the
     * frame was dropped: a claim on a local address, or on another peer's.
     */
    private boolean learnFromTunnel(BridgeDomain domain, int ingress, MutableDirectBuffer buffer, int length) {
        final int learned = domain.addresses.learn(
                arp.senderIp(),
                arp.senderMac(),
                ingress,
                table.ports[ingress].lastFrameOrigin(),
                frame.now,
                !frame.dryRun);
        if (learned == AddressOwners.REFUSED_LOCAL || learned == AddressOwners.REFUSED_OTHER_PEER) {
            // Not flooded either: the local containers' ARP caches would take the claim.
            egress.drop(ingress, frame.in, DropReason.TUNNEL_SPOOFED_ARP, buffer, length);
            return false;
        }
        if (learned == AddressOwners.LEARNED) {
            frame.record(TraceEvent.ARP_LEARNED_FROM_TUNNEL, arp.senderIp(), arp.senderMac());
        }
        return true;
    }
}
