package io.jvswitch.nat;

import static io.jvswitch.nat.SlotNote.done;
import static io.jvswitch.nat.SlotNote.kindOf;
import static io.jvswitch.nat.SlotNote.verdictOf;

import io.jvswitch.switching.service.ConnectionSlot;
import io.jvswitch.switching.service.RoutingHook;

/**
 * The steps of the routing hook that both families' engines ({@link NatEngine}, {@link
 * Ipv6NatEngine}) take alike around their own classification: the hand-over from {@code
 * beforeRouting} to {@code afterRouting} through the switch's {@link ConnectionSlot}, and the
 * outcomes they count the same way (untracked, truncated, a first TCP packet to a published port
 * that opens nothing). Written once, so a change to the hook's contract or to what a counter means
 * is made in one place; each engine keeps its own cases, policy and tables.
 *
 * <p>One per engine, on the dataplane thread; allocates nothing per packet.
 */
final class NatHookSteps {
    /** Where the frames the router hands over hold their virtio-net header: before the Ethernet frame. */
    static final int VIRTIO_HEADER = 0;

    private final NatTally tally;
    /** A bit per case ({@link SlotNote} kind) whose packet the router is told is tracked. */
    private final int trackedKinds;

    /**
     * @param trackedKinds the engine's cases whose packets get {@link RoutingHook#ACCEPT_TRACKED}
     *     from {@code beforeRouting} (the others that go on get {@link RoutingHook#ACCEPT})
     */
    NatHookSteps(NatTally tally, int... trackedKinds) {
        this.tally = tally;
        int kinds = 0;
        for (int kind : trackedKinds) {
            kinds |= 1 << kind;
        }
        this.trackedKinds = kinds;
    }

    /**
     * {@code beforeRouting}'s last step: leaves {@code afterRouting} the note (an empty slot for a
     * {@link SlotNote#done} one) and says the verdict.
     */
    int leave(long note, ConnectionSlot slot) {
        slot.set(note >= 0 ? note : ConnectionSlot.EMPTY);
        if (note < 0) {
            return verdictOf(note);
        }
        return (trackedKinds & (1 << kindOf(note))) != 0 ? RoutingHook.ACCEPT_TRACKED : RoutingHook.ACCEPT;
    }

    /** {@code afterRouting}'s first step: the note {@code beforeRouting} left, taken out of the slot. */
    static long take(ConnectionSlot slot) {
        final long note = slot.get();
        slot.clear();
        return note;
    }

    /** A packet routed as it is and counted so: the note for {@code beforeRouting}. */
    long untracked() {
        return done(passUntracked());
    }

    /** A packet routed as it is and counted so: the verdict for {@code afterRouting}. */
    int passUntracked() {
        tally.count(NatCounter.UNTRACKED);
        return RoutingHook.ACCEPT;
    }

    /** A packet whose L4 header is cut short: dropped and counted. */
    long truncated() {
        return done(tally.drop(NatDrop.TRUNCATED));
    }

    /**
     * A first packet to a published port opens a connection only if it may: for TCP a SYN.
     *
     * @return 0 when it may go on, else the note that drops it (counted: no connection for a valid
     *     segment, bad flags for an invalid one)
     */
    long refuseUnopened(boolean tcp, int flags) {
        if (!tcp || TcpStates.opensConnection(flags)) {
            return 0;
        }
        return done(tally.drop(TcpStates.validFlags(flags) ? NatDrop.TCP_NO_CONNECTION : NatDrop.TCP_BAD_FLAGS));
    }
}
