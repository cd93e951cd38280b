package io.jvswitch.control.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

class ApiConnectionLimitsTest {
    @Test
    void atTheCapTheOldestUnsentConnectionMakesRoom() {
        final ApiConnectionLimits limits = new ApiConnectionLimits(2, 10_000);
        final EmbeddedChannel slow = new EmbeddedChannel();
        final EmbeddedChannel quick = new EmbeddedChannel();
        limits.admit(slow);
        limits.admit(quick);
        limits.requestReceived(quick);
        final EmbeddedChannel next = new EmbeddedChannel();
        limits.admit(next);
        assertFalse(slow.isOpen(), "the oldest connection still sending its request was closed");
        assertTrue(quick.isOpen(), "one that sent its request is never evicted");
        assertTrue(next.isOpen());
        assertEquals(2, limits.open());
        assertEquals(1, limits.evicted());
    }

    @Test
    void whenEveryConnectionHasSentItsRequestANewcomerIsRefused() {
        final ApiConnectionLimits limits = new ApiConnectionLimits(1, 10_000);
        final EmbeddedChannel streaming = new EmbeddedChannel();
        limits.admit(streaming);
        limits.requestReceived(streaming);
        final EmbeddedChannel next = new EmbeddedChannel();
        limits.admit(next);
        assertFalse(next.isOpen());
        assertTrue(streaming.isOpen());
        assertEquals(1, limits.refused());
        streaming.close();
        assertEquals(0, limits.open(), "a closed connection frees its place");
        final EmbeddedChannel later = new EmbeddedChannel();
        limits.admit(later);
        assertTrue(later.isOpen());
    }

    @Test
    void theRequestDeadlineIsAbsolute() {
        final ApiConnectionLimits limits = new ApiConnectionLimits(4, 1_000);
        final EmbeddedChannel trickle = new EmbeddedChannel();
        final EmbeddedChannel served = new EmbeddedChannel();
        limits.admit(trickle);
        limits.admit(served);
        limits.requestReceived(served);
        for (int i = 0; i < 9; i++) {
            trickle.writeInbound(new byte[] {'G'}); // bytes arriving do not move the deadline
            trickle.advanceTimeBy(100, TimeUnit.MILLISECONDS);
            trickle.runScheduledPendingTasks();
        }
        assertTrue(trickle.isOpen(), "not before the deadline");
        trickle.advanceTimeBy(150, TimeUnit.MILLISECONDS);
        trickle.runScheduledPendingTasks();
        assertFalse(trickle.isOpen(), "closed at the deadline");
        served.advanceTimeBy(5, TimeUnit.SECONDS);
        served.runScheduledPendingTasks();
        assertTrue(served.isOpen(), "a connection whose request arrived keeps no deadline");
        assertEquals(1, limits.timedOut());
        assertEquals(1, limits.open());
    }
}
