package io.jvswitch.switching;

import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.capture.CaptureRing;
import io.jvswitch.switching.capture.CaptureTap;
import org.agrona.DirectBuffer;

/** A {@link CaptureTap} bound to one slot of the switch: made when a port is plugged in. */
final class SlotCaptureTap implements CaptureTap {
    private final CaptureTaps taps;
    private final int slot;

    SlotCaptureTap(CaptureTaps taps, int slot) {
        this.taps = taps;
        this.slot = slot;
    }

    @Override
    public boolean wants(CapturePoint point) {
        return taps.mask(point, slot) != 0;
    }

    @Override
    public void copy(CapturePoint point, DirectBuffer frame, int offset, int length) {
        final int mask = taps.mask(point, slot);
        if (mask != 0) {
            taps.copy(mask, slot, point, CaptureRing.NO_REASON, frame, offset, length);
        }
    }
}
