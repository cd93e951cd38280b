package io.jvswitch.switching;

import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.capture.CaptureRing;
import io.jvswitch.switching.port.Port;
import org.agrona.MutableDirectBuffer;

/**
 * The {@link Egress} of one agent: sends through the {@link PortTable}'s ports (completing what
 * a port without offloads cannot), counts drops per port with the capture taps in the loop, and
 * notes the ports whose device went away so the agent unplugs them after the duty cycle.
 */
final class PortEgress implements Egress {
    private static final int ETH_OFFSET = VirtioNetHeader.LENGTH;

    private final PortTable table;
    private final CaptureTaps taps;
    private final FrameContext frame;
    private final L2Forwarder forwarder;
    private final int[] goneSlots;
    private int goneCount;

    PortEgress(PortTable table, CaptureTaps taps, FrameContext frame) {
        this.table = table;
        this.taps = taps;
        this.frame = frame;
        this.goneSlots = new int[table.capacity()];
        this.forwarder = new L2Forwarder(table, frame, this);
    }

    /** The switching within a network that {@link #switchWithin} hands frames to. */
    L2Forwarder forwarder() {
        return forwarder;
    }

    @Override
    public void switchWithin(int ingress, BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        forwarder.switchWithin(ingress, domain, buffer, length);
    }

    @Override
    public boolean transmit(int egress, MutableDirectBuffer buffer, int length) {
        if (frame.dryRun) {
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
            out.count(PortCounter.TX_FRAMES);
            out.add(PortCounter.TX_BYTES, length - VirtioNetHeader.LENGTH);
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

    @Override
    public void drop(int slot, PortCounters counters, DropReason reason, MutableDirectBuffer buffer, int length) {
        counters.drop(reason);
        if (frame.tracing()) {
            frame.record(TraceEvent.DROPPED, reason.ordinal());
            frame.record(TraceEvent.DROPPED_VERDICT, slot, reason.ordinal());
        }
        final int mask = taps.drop[slot];
        if (mask != 0 && !frame.dryRun && length > ETH_OFFSET) {
            taps.copy(mask, slot, CapturePoint.DROP, reason.ordinal(), buffer, ETH_OFFSET, length - ETH_OFFSET);
        }
    }

    @Override
    public void capture(CapturePoint point, int slot, MutableDirectBuffer buffer, int length) {
        if (slot < 0 || frame.dryRun || length <= ETH_OFFSET) {
            return;
        }
        final int mask = taps.mask(point, slot);
        if (mask != 0) {
            taps.copy(mask, slot, point, CaptureRing.NO_REASON, buffer, ETH_OFFSET, length - ETH_OFFSET);
        }
    }

    @Override
    public boolean capturesDns() {
        return taps.dnsArmed;
    }

    private void markGone(int slot) {
        for (int i = 0; i < goneCount; i++) {
            if (goneSlots[i] == slot) {
                return;
            }
        }
        goneSlots[goneCount++] = slot;
    }

    /** How many ports went away during this duty cycle's transmits. */
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
