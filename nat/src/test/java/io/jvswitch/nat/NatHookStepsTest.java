package io.jvswitch.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvswitch.packet.TcpPacket;
import io.jvswitch.switching.service.ConnectionSlot;
import io.jvswitch.switching.service.RoutingHook;
import org.junit.jupiter.api.Test;

/** The hand-over and counted outcomes both engines share; their own tests cover them packet by packet. */
class NatHookStepsTest {
    private static final int TRACKED = 1;
    private static final int NEW = 2;
    private static final int PUBLISHED = 6;

    private final NatTally tally = new NatTally();
    private final NatHookSteps steps = new NatHookSteps(tally, TRACKED, PUBLISHED);
    private final ConnectionSlot slot = new ConnectionSlot();

    @Test
    void aPendingNoteGoesToTheSlotAndOnlyTheTrackedKindsAreToldSo() {
        assertEquals(RoutingHook.ACCEPT_TRACKED, steps.leave(SlotNote.pending(TRACKED, 42), slot));
        assertEquals(SlotNote.pending(TRACKED, 42), NatHookSteps.take(slot));
        assertEquals(ConnectionSlot.EMPTY, slot.get(), "taken out");
        assertEquals(RoutingHook.ACCEPT_TRACKED, steps.leave(SlotNote.pending(PUBLISHED, 0), slot));
        assertEquals(RoutingHook.ACCEPT, steps.leave(SlotNote.pending(NEW, 7), slot));
        assertEquals(NEW, SlotNote.kindOf(NatHookSteps.take(slot)));
    }

    @Test
    void aDoneNoteLeavesTheSlotEmptyAndGivesItsVerdict() {
        slot.set(SlotNote.pending(TRACKED, 1));
        assertEquals(RoutingHook.DROP, steps.leave(steps.truncated(), slot));
        assertEquals(ConnectionSlot.EMPTY, slot.get());
        assertEquals(RoutingHook.ACCEPT, steps.leave(steps.untracked(), slot));
        assertEquals(ConnectionSlot.EMPTY, slot.get());
        final NatCounters counters = tally.snapshot(0, 0);
        assertEquals(1, counters.drops(NatDrop.TRUNCATED));
        assertEquals(1, counters.untracked());
    }

    @Test
    void onlyABareSynMayOpenAConnectionToAPublishedPort() {
        assertEquals(0, steps.refuseUnopened(true, TcpPacket.SYN));
        assertEquals(0, steps.refuseUnopened(false, 0), "UDP or ICMP");
        assertEquals(RoutingHook.DROP, SlotNote.verdictOf(steps.refuseUnopened(true, TcpPacket.ACK)));
        assertEquals(RoutingHook.DROP, SlotNote.verdictOf(steps.refuseUnopened(true, TcpPacket.SYN | TcpPacket.RST)));
        final NatCounters counters = tally.snapshot(0, 0);
        assertEquals(1, counters.drops(NatDrop.TCP_NO_CONNECTION));
        assertEquals(1, counters.drops(NatDrop.TCP_BAD_FLAGS));
        assertEquals(0, counters.untracked());
        assertEquals(RoutingHook.ACCEPT, steps.passUntracked());
        assertEquals(1, tally.snapshot(0, 0).untracked());
    }
}
