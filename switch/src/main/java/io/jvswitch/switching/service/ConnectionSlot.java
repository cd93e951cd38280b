package io.jvswitch.switching.service;

/**
 * What the {@link RoutingHook} noted about the packet in hand in {@link RoutingHook#beforeRouting},
 * carried by the switch to {@link RoutingHook#afterRouting} of the same packet (the connection it
 * found, say, and what is still owed to it). The switch empties it as each frame enters the
 * pipeline, so a note never reaches another packet: a packet the router drops between the two
 * calls takes its note with it.
 *
 * <p>One per dataplane, reused for every frame: a long, so nothing is allocated per packet. What
 * the long means is the hook's business.
 */
public final class ConnectionSlot {
    /** Nothing noted. */
    public static final long EMPTY = -1;

    private long value = EMPTY;

    public long get() {
        return value;
    }

    public void set(long value) {
        this.value = value;
    }

    public void clear() {
        value = EMPTY;
    }
}
