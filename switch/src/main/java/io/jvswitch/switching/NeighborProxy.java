package io.jvswitch.switching;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.MutableDirectBuffer;

/**
 * Proxy-NDP, the IPv6 counterpart of proxy-ARP: a neighbor solicitation for an address in the
 * network's {@link Ipv6AddressBook} (its gateway, its endpoints) is answered by the switch with a
 * neighbor advertisement out of the asking port, written over the solicitation in place. The
 * solicitation, multicast to the target's solicited-node group, never floods, so a third container
 * never sees it; a unicast one (neighbor unreachability detection, also to the gateway's MAC) is
 * answered the same way.
 *
 * <p>Left alone, to travel like any frame: solicitations for addresses the book does not know
 * (link-local addresses, unknown ones), for the asker's own address, and duplicate address
 * detection (unspecified source), which must reach the real owner if there is one. A solicitation
 * that is malformed (hop limit not 255, bad checksum, too short) is not answered either: RFC 4861
 * 7.1.1 says a node silently discards it, and the switch leaves that to the nodes.
 *
 * <p>On a tunnel port ({@link PortTable#learnsAddresses}: an overlay's VTEP) neighbor discovery
 * also teaches the book where remote endpoints live, by {@link AddressBook}'s rules for ARP
 * ({@link Ipv6AddressBook#learn}): an advertisement's target with its target link-layer option, a
 * solicitation's source (not {@code ::}) with its source link-layer option. So after one exchange
 * a local container's next solicitation for a remote endpoint is answered here instead of
 * crossing the tunnel. Only a well-formed message (hop limit 255, checksum right) whose option
 * names the frame's own source MAC teaches anything (the frame's MAC is checked against this
 * host's endpoints before), and never a link-local or multicast address: the book holds no local
 * link-local address a tunnel's claim could be refused against. A claim on an address of this
 * host, or one another peer holds, is dropped ({@link DropReason#TUNNEL_SPOOFED_NDP}), as over ARP.
 * Nothing from a container port teaches anything.
 *
 * <p>Runs on the dataplane thread; allocates nothing.
 */
final class NeighborProxy {
    private final FrameContext frame;
    private final Egress egress;
    private final PortTable table;
    private final Ipv6Packet ip = new Ipv6Packet();
    private final Icmpv6Packet icmp = new Icmpv6Packet();

    NeighborProxy(FrameContext frame, Egress egress, PortTable table) {
        this.frame = frame;
        this.egress = egress;
        this.table = table;
    }

    /**
     * Answers the frame if it is a solicitation the network can answer. Returns true when the
     * frame's verdict is settled (answered); false leaves it to the rest of the pipeline.
     */
    boolean answer(
            int ingress,
            PortCounters in,
            BridgeDomain domain,
            EthernetFrame ethernet,
            MutableDirectBuffer buffer,
            int length,
            int l3) {
        if (!ip.wrap(buffer, l3, length - l3)
                || ip.nextHeader() != Ipv6Packet.NEXT_HEADER_ICMPV6
                || ip.hopLimit() != Icmpv6Packet.ND_HOP_LIMIT) {
            return false;
        }
        final int icmpLength = ip.payloadLength();
        if (icmpLength < Icmpv6Packet.ND_MIN_LENGTH || !icmp.wrap(buffer, ip.payloadOffset(), icmpLength)) {
            return false;
        }
        final int type = icmp.type();
        if ((type != Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION && type != Icmpv6Packet.TYPE_NEIGHBOR_ADVERTISEMENT)
                || icmp.code() != 0) {
            return false;
        }
        if (table.learnsAddresses[ingress] && !learnFromTunnel(ingress, in, domain, ethernet, buffer, length)) {
            return true; // dropped: a claim on a local address or another peer's
        }
        if (type != Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION) {
            return false; // advertisements travel like any frame
        }
        final long askerHigh = ip.sourceHigh();
        final long askerLow = ip.sourceLow();
        if ((askerHigh | askerLow) == 0) {
            return false; // duplicate address detection: the owner must hear it
        }
        final long targetHigh = icmp.targetHigh();
        final long targetLow = icmp.targetLow();
        final long owner = domain.addresses6.lookup(targetHigh, targetLow, frame.now);
        final long askerMac = ethernet.source();
        if (owner < 0 || owner == askerMac) {
            frame.record(TraceEvent.NDP_UNANSWERED, domain.id, targetHigh, targetLow, owner < 0 ? 0 : 1);
            return false;
        }
        if (!icmp.checksumValid(ip, icmpLength)) {
            return false;
        }
        final int answerLength = l3 + Ipv6Packet.HEADER_LENGTH + Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH;
        if (answerLength > buffer.capacity()) {
            return false;
        }
        frame.record(TraceEvent.NDP_ANSWERED, domain.id, targetHigh, targetLow, owner);
        frame.record(TraceEvent.PROXY_NDP_VERDICT, ingress);
        if (frame.dryRun) {
            return true;
        }
        final boolean gateway = targetHigh == domain.gateway6High && targetLow == domain.gateway6Low;
        ethernet.setDestination(askerMac);
        ethernet.setSource(owner);
        ip.setVersionClassFlow();
        ip.setPayloadLength(Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH);
        ip.setHopLimit(Icmpv6Packet.ND_HOP_LIMIT);
        ip.setDestination(askerHigh, askerLow);
        ip.setSource(targetHigh, targetLow);
        icmp.writeNeighborAdvertisement(
                targetHigh,
                targetLow,
                owner,
                Icmpv6Packet.NA_FLAG_SOLICITED
                        | Icmpv6Packet.NA_FLAG_OVERRIDE
                        | (gateway ? Icmpv6Packet.NA_FLAG_ROUTER : 0));
        icmp.setChecksum(icmp.computeChecksum(ip, Icmpv6Packet.NEIGHBOR_ADVERTISEMENT_LENGTH));
        VirtioNetHeader.clear(buffer, 0);
        in.count(PortCounter.ARP_ANSWERED);
        domain.count(NetworkCounter.ARP_ANSWERED);
        if (domain.addresses6.isRemote(targetHigh, targetLow)) {
            domain.count(NetworkCounter.REMOTE_NDP_ANSWERED);
        }
        egress.transmit(ingress, buffer, answerLength);
        return true;
    }

    /**
     * Neighbor discovery from a tunnel teaches the IPv6 address book where a remote address lives.
     * Returns false when the frame was dropped: a claim on a local address, or on another peer's.
     */
    private boolean learnFromTunnel(
            int ingress,
            PortCounters in,
            BridgeDomain domain,
            EthernetFrame ethernet,
            MutableDirectBuffer buffer,
            int length) {
        final boolean advertisement = icmp.type() == Icmpv6Packet.TYPE_NEIGHBOR_ADVERTISEMENT;
        final long high = advertisement ? icmp.targetHigh() : ip.sourceHigh();
        final long low = advertisement ? icmp.targetLow() : ip.sourceLow();
        if (Ipv6Address.isLinkLocal(high) || Ipv6Address.isMulticast(high) || (high | low) == 0) {
            return true; // not learned: see the class comment
        }
        final long mac = icmp.linkLayerOption(
                advertisement ? Icmpv6Packet.OPTION_TARGET_LINK_LAYER : Icmpv6Packet.OPTION_SOURCE_LINK_LAYER);
        if (mac != ethernet.source() || !icmp.checksumValid(ip, ip.payloadLength())) {
            return true; // no option, another MAC than the sender's, or not a valid message: teaches nothing
        }
        final int learned = domain.addresses6.learn(
                high, low, mac, ingress, table.ports[ingress].lastFrameOrigin(), frame.now, !frame.dryRun);
        if (learned == AddressOwners.REFUSED_LOCAL || learned == AddressOwners.REFUSED_OTHER_PEER) {
            // Not forwarded either: the local containers' neighbor caches would take the claim.
            egress.drop(ingress, in, DropReason.TUNNEL_SPOOFED_NDP, buffer, length);
            return false;
        }
        if (learned == AddressOwners.LEARNED) {
            frame.record(TraceEvent.NDP_LEARNED_FROM_TUNNEL, high, low, mac);
        }
        return true;
    }
}
