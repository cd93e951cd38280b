package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.switching.DutyCycleWorkTest.RecordingWork;
import io.jvswitch.switching.DutyCycleWorkTest.ScriptedReadySet;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

/** {@code --idle spin-wait}: the dataplane polls on for a while after its last work, then blocks as {@code wait} does. */
class SpinWaitIdleTest {
    final DataplaneTest.ManualClock clock = new DataplaneTest.ManualClock();
    final ScriptedReadySet readySet = new ScriptedReadySet();

    Dataplane dataplane(IdleMode mode) {
        return new Dataplane(
                new SwitchContext().idleMode(mode).clock(clock),
                readySet,
                PortListener.NONE,
                Throwable::printStackTrace);
    }

    /** A work whose descriptor the ready set watches, so that only the idle mode decides whether a poll blocks. */
    RecordingWork watchedWork(Dataplane dp) {
        final var future = dp.addWork(() -> new RecordingWork(9));
        dp.runDutyCycle();
        return Dataplane.await(future);
    }

    @Test
    void afterItsLastWorkTheDataplanePollsWithoutBlockingForTheSpinWindowThenBlocks() {
        final Dataplane dp = dataplane(IdleMode.SPIN_WAIT);
        final RecordingWork work = watchedWork(dp);
        work.workToReport = 1;
        dp.runDutyCycle();
        work.workToReport = 0;
        final long window = IdleMode.SPIN_WAIT_NANOS;
        clock.advance(window / 2);
        dp.runDutyCycle();
        dp.runDutyCycle();
        assertEquals(0, readySet.timeouts.getLast(), "within the window after the last work: no blocking");
        clock.advance(window / 2 + 1);
        dp.runDutyCycle();
        assertTrue(readySet.timeouts.getLast() > 0, "past the window: the idle dataplane blocks");
        work.workToReport = 1;
        dp.runDutyCycle();
        work.workToReport = 0;
        clock.advance(TimeUnit.MICROSECONDS.toNanos(10));
        dp.runDutyCycle();
        dp.runDutyCycle();
        assertEquals(0, readySet.timeouts.getLast(), "new work opens a new window");
    }

    @Test
    void waitBlocksOnTheFirstIdleCycle() {
        final Dataplane dp = dataplane(IdleMode.WAIT);
        final RecordingWork work = watchedWork(dp);
        work.workToReport = 1;
        dp.runDutyCycle();
        work.workToReport = 0;
        dp.runDutyCycle();
        dp.runDutyCycle();
        assertTrue(readySet.timeouts.getLast() > 0, "wait keeps no window");
    }
}
