package io.jvswitch.switching;

import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.port.TransmitFailures;

/**
 * A port's late transmit failures counted on its slot, as {@link PortEgress} counts a refusal
 * {@code transmit} answers at once: {@code tx-queue-full}, {@code tx-rejected} or
 * {@code port-gone}, and the frame taken back out of the frames and bytes sent (it was counted
 * sent when the port took it). A report that comes after the port left its slot is ignored, so
 * it never lands on a port plugged in there since.
 */
final class SlotTransmitFailures implements TransmitFailures {
    private final PortTable table;
    private final int slot;
    private final Port port;

    SlotTransmitFailures(PortTable table, int slot, Port port) {
        this.table = table;
        this.slot = slot;
        this.port = port;
    }

    @Override
    public void failed(int result, int length) {
        if (table.ports[slot] != port) {
            return;
        }
        final PortCounters counters = table.counters[slot];
        counters.add(PortCounter.TX_FRAMES, -1);
        counters.add(PortCounter.TX_BYTES, -(long) (length - VirtioNetHeader.LENGTH));
        counters.drop(
                result == Port.TX_BUSY
                        ? DropReason.TX_QUEUE_FULL
                        : result == Port.TX_GONE ? DropReason.PORT_GONE : DropReason.TX_REJECTED);
    }
}
