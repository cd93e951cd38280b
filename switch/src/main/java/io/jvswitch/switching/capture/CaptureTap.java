package io.jvswitch.switching.capture;

import org.agrona.DirectBuffer;

/**
 * Lets a port capture frames the switch never sees, such as a tunnel's datagrams with their outer
 * headers: bound to the port's slot, it copies into the same bounded capture ring as every other
 * point (a full ring loses the copy, never the frame). Dataplane thread only.
 */
public interface CaptureTap {
    /** For a port not plugged in: wants nothing. */
    CaptureTap NONE = new CaptureTap() {
        @Override
        public boolean wants(CapturePoint point) {
            return false;
        }

        @Override
        public void copy(CapturePoint point, DirectBuffer frame, int offset, int length) {}
    };

    /** Whether a capture wants {@code point} at this port now: a load and a compare. */
    boolean wants(CapturePoint point);

    /** Copies an Ethernet frame ({@code length} bytes at {@code offset}) for the captures that want {@code point}. */
    void copy(CapturePoint point, DirectBuffer frame, int offset, int length);
}
