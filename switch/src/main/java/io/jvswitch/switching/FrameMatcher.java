package io.jvswitch.switching;

import org.agrona.DirectBuffer;

/** Selects frames for an armed trace (a compiled BPF filter, for example). Runs on the dataplane thread. */
@FunctionalInterface
public interface FrameMatcher {
    /** Whether the Ethernet frame at {@code offset} (of {@code length} bytes) is the one to trace. */
    boolean matches(DirectBuffer buffer, int offset, int length);
}
