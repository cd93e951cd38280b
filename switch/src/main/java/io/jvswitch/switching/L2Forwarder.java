package io.jvswitch.switching;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.MutableDirectBuffer;

/**
 * Switching within one network: the FDB lookup of a destination MAC, then out of the port that
 * learned it, or flooded to every other member when no port did (or the destination is a group).
 */
final class L2Forwarder {
    private static final int ETH_OFFSET = VirtioNetHeader.LENGTH;

    private final PortTable table;
    private final FrameContext frame;
    private final Egress egress;
    /**
     * The verdict of a frame the router (or the gateway) sent on is already counted on its ingress
     * port: what switching decides goes to these scratch counters, so every frame has one verdict.
     */
    private final PortCounters switchMade = new PortCounters();

    L2Forwarder(PortTable table, FrameContext frame, Egress egress) {
        this.table = table;
        this.frame = frame;
        this.egress = egress;
    }

    /** See {@link Egress#switchWithin}. */
    void switchWithin(int ingress, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final long destination = MacAddress.read(buffer, ETH_OFFSET + EthernetFrame.DESTINATION_OFFSET);
        switchTo(ingress, switchMade, domain, destination, buffer, length);
    }

    /** Forwards a frame received on {@code ingress} to {@code destination}'s port, or floods it. */
    void switchTo(
            int ingress,
            PortCounters in,
            BridgeDomain domain,
            long destination,
            MutableDirectBuffer buffer,
            int length) {
        final int out = domain.macs.lookup(destination);
        if (out < 0) {
            frame.record(TraceEvent.L2_UNKNOWN, domain.id, destination);
            if (!frame.dryRun) {
                domain.count(NetworkCounter.UNKNOWN_UNICAST);
            }
            flood(ingress, in, domain, buffer, length);
        } else if (out == ingress) {
            egress.drop(ingress, in, DropReason.DESTINATION_IS_INGRESS, buffer, length);
        } else {
            if (frame.tracing()) {
                frame.record(TraceEvent.L2_HIT, domain.id, destination, out);
                frame.record(TraceEvent.FORWARDED_TO, out);
                noteEgress(out, buffer, length);
            }
            in.count(PortCounter.FORWARDED);
            egress.transmit(out, buffer, length);
        }
    }

    /** Sends the frame out of every member of {@code domain} but its ingress. */
    void flood(int ingress, PortCounters in, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        in.count(PortCounter.FLOODED);
        if (!frame.dryRun) {
            domain.count(NetworkCounter.FLOODED);
        }
        final int members = domain.memberCount();
        if (frame.tracing()) {
            traceFlood(ingress, domain, buffer, length);
        }
        for (int i = 0; i < members; i++) {
            final int out = domain.member(i);
            if (out != ingress && egress.transmit(out, buffer, length)) {
                table.counters[out].count(PortCounter.FLOODED_OUT);
            }
        }
    }

    private void traceFlood(int ingress, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final int members = domain.memberCount();
        frame.record(TraceEvent.FLOODED_IN, domain.id, ingress);
        for (int i = 0; i < members; i++) {
            if (domain.member(i) != ingress) {
                noteEgress(domain.member(i), buffer, length);
            }
        }
    }

    /** Trace text: what a port that sends beyond the switch (a tunnel) would do with the frame. */
    private void noteEgress(int out, MutableDirectBuffer buffer, int length) {
        frame.note("egress " + table.ports[out].name(), table.ports[out].describeEgress(buffer, 0, length));
    }
}
