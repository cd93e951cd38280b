package io.jvswitch.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** {@link EpollReadySet#wakeup()}: another thread ends a blocked poll at once, and reports no slot. */
class EpollWakeupTest {
    @Test
    void aWakeupFromAnotherThreadEndsABlockedPoll() throws Exception {
        try (EpollReadySet set = new EpollReadySet()) {
            final int[] slots = new int[8];
            final Thread waker = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(200); // lets the poll block first (a wake-up before it must end it too)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                set.wakeup();
                set.wakeup(); // a second one before the poller consumed the first costs nothing
            });
            final long start = System.nanoTime();
            final int ready = set.poll(slots, 10_000);
            final long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            waker.join();
            assertEquals(0, ready, "the wakeup is not a port");
            assertTrue(waitedMillis < 5_000, "woken after " + waitedMillis + " ms, not at the 10 s timeout");
            // the second wakeup may land after the poll consumed the first, and then writes again:
            // take that one too; an eventfd never drained would keep every later poll returning at once
            set.poll(slots, 0);
            final long again = System.nanoTime();
            assertEquals(0, set.poll(slots, 300));
            assertTrue(
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - again) >= 250,
                    "consumed: the next poll waits its timeout instead of returning at once for it");
        }
    }

    @Test
    void aWakeupBeforeThePollMakesItReturnAtOnce() throws Exception {
        try (EpollReadySet set = new EpollReadySet()) {
            set.wakeup();
            final long start = System.nanoTime();
            set.poll(new int[8], 10_000);
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 5_000);
        }
    }

    /**
     * Many rounds of "wake, then poll" from two threads: every wakeup must end a poll. A lost one
     * (the flag left set while the eventfd is empty) would leave a poll to its 2 s timeout.
     */
    @Test
    void noWakeupIsLostUnderRaces() throws Exception {
        try (EpollReadySet set = new EpollReadySet()) {
            final int[] slots = new int[8];
            final AtomicInteger rounds = new AtomicInteger();
            final AtomicBoolean stop = new AtomicBoolean();
            final Thread waker = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    set.wakeup();
                    Thread.onSpinWait();
                }
            });
            try {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (System.nanoTime() < deadline) {
                    final long start = System.nanoTime();
                    set.poll(slots, 2_000);
                    assertTrue(
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1_000,
                            "a poll waited for its timeout after " + rounds.get() + " rounds: a wakeup was lost");
                    rounds.incrementAndGet();
                }
            } finally {
                stop.set(true);
                waker.join();
            }
            assertTrue(rounds.get() > 100, "rounds: " + rounds.get());
        }
    }

    @Test
    void aWakeupAfterCloseIsHarmless() throws Exception {
        final EpollReadySet set = new EpollReadySet();
        set.close();
        set.wakeup();
    }
}
