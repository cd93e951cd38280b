package io.jvswitch.switching;

import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.capture.PacketTrace;
import org.agrona.MutableDirectBuffer;

import java.util.concurrent.CompletableFuture;

/**
 * One armed trace: the next real frame on a port that a {@link FrameMatcher} accepts is processed
 * with a trace, once, and the trace completes the caller's future. Costs the port reader one int
 * compare per frame while nothing is armed.
 */
final class TraceArm {
    private static final int NONE = -1;

    private int slot = NONE;
    private FrameMatcher matcher;
    private CompletableFuture<PacketTrace> result;

    /** Arms a trace on {@code slot}; one at a time. */
    void arm(int slot, FrameMatcher matcher, CompletableFuture<PacketTrace> result) {
        if (this.slot != NONE) {
            throw new IllegalStateException("another trace is waiting for a frame; try again when it is done");
        }
        this.slot = slot;
        this.matcher = matcher;
        this.result = result;
    }

    void disarm() {
        slot = NONE;
        matcher = null;
        result = null;
    }

    /** Whether a trace waits for a frame from {@code port}. */
    boolean armedOn(int port) {
        return port == slot;
    }

    /**
     * If the frame matches, processes it through {@code pipeline} with a trace, disarms and
     * completes the trace; returns whether it did (the frame must then not be processed again).
     */
    boolean traceIfMatching(FramePipeline pipeline, MutableDirectBuffer buffer, int length, long nowNanos) {
        if (length <= VirtioNetHeader.LENGTH
                || !matcher.matches(buffer, VirtioNetHeader.LENGTH, length - VirtioNetHeader.LENGTH)) {
            return false;
        }
        final CompletableFuture<PacketTrace> done = result;
        final int traced = slot;
        disarm();
        done.complete(pipeline.trace(traced, buffer, length, nowNanos, false));
        return true;
    }

    /** The armed port went away: the trace fails rather than waiting forever. */
    void portUnplugged(int port) {
        if (port == slot) {
            result.completeExceptionally(new IllegalStateException("the port went away before a frame matched"));
            disarm();
        }
    }
}
