package io.jvswitch.switching;

import io.jvswitch.switching.capture.CapturePoint;
import org.agrona.MutableDirectBuffer;

/**
 * How a stage lets a frame go: out of one port, into a network's switching, or nowhere with a
 * reason. The stages of the packet path talk to the ports through this, never through each
 * other's fields. Every method is allocation-free and never throws for a bad frame.
 */
interface Egress {
    /** Sends the frame out of one port; returns whether the device took it. Failures are counted there. */
    boolean transmit(int egress, MutableDirectBuffer buffer, int length);

    /**
     * Delivers a frame the router sent into {@code domain}: to the port that learned its
     * destination MAC, or flooded. {@code ingress} is {@link FrameContext#NO_PORT} for a frame the
     * switch made.
     */
    void switchWithin(int ingress, BridgeDomain domain, MutableDirectBuffer buffer, int length);

    /** Counts a drop on the port it happened at, and hands a copy to drop captures. */
    void drop(int slot, PortCounters counters, DropReason reason, MutableDirectBuffer buffer, int length);

    /**
     * Hands a copy of the frame to the captures that want {@code point} at {@code slot}: a load and
     * a compare when none does. Never for a synthetic frame.
     */
    void capture(CapturePoint point, int slot, MutableDirectBuffer buffer, int length);

    /** Whether any capture wants DNS frames (a deferred answer finds its client's port only then). */
    boolean capturesDns();
}
