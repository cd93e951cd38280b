package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

class MacTableTest {
    @Test
    void matchesAReferenceMapUnderRandomChurn() {
        final MacTable table = new MacTable(512, 512, 8, 1_000_000_000L);
        final Map<Long, Integer> reference = new HashMap<>();
        final Random random = new Random(42);
        for (int step = 0; step < 200_000; step++) {
            final long mac = 0x0200_0000_0000L | random.nextInt(700);
            final int op = random.nextInt(3);
            if (op < 2) {
                final int slot = random.nextInt(8);
                final int result = table.learn(mac, slot, 0);
                if (result != MacTable.REFUSED_TABLE_FULL) {
                    reference.put(mac, slot);
                } else {
                    assertEquals(512, reference.size());
                }
            } else {
                assertEquals(reference.remove(mac) != null, table.remove(mac));
            }
            if (step % 997 == 0) {
                for (Map.Entry<Long, Integer> e : reference.entrySet()) {
                    assertEquals(e.getValue(), table.lookup(e.getKey()));
                }
                assertEquals(reference.size(), table.size());
            }
        }
    }

    @Test
    void incrementalExpiryRemovesOnlyStaleEntries() {
        final MacTable table = new MacTable(1000, 1000, 2, 100);
        for (int i = 1; i <= 1000; i++) {
            table.learn(i, 0, i % 2 == 0 ? 0 : 50);
        }
        int removed = 0;
        for (int cycle = 0; cycle < 100; cycle++) {
            removed += table.expire(120, 64);
        }
        assertEquals(500, removed, "entries last seen at 0 are 120 old; those at 50 are 70");
        for (int i = 1; i <= 1000; i++) {
            assertEquals(i % 2 == 0 ? -1 : 0, table.lookup(i));
        }
    }

    @Test
    void agingIsPacedByTheClockNotByTheCallRate() {
        // 1000 entries in 2048 buckets, aging 4 s: a sweep per second, a bucket every 488 us.
        final MacTable table = new MacTable(1000, 1000, 2, TimeUnit.SECONDS.toNanos(4));
        long t = TimeUnit.SECONDS.toNanos(100);
        for (int i = 1; i <= 1000; i++) {
            table.learn(i, 0, t);
        }
        for (int i = 0; i < 100; i++) {
            table.expireDue(t, 64); // the first slices pay the sweep owed after the idle start
        }
        assertEquals(2048, table.bucketsSwept(), "one sweep owed, not more");
        final long before = table.bucketsSwept();
        for (int i = 0; i < 100_000; i++) {
            t += 1_000;
            table.expireDue(t, 64);
        }
        // 100 ms of calls a microsecond apart: about 205 buckets (a tenth of a sweep), where a fixed
        // slice per call would have examined 6.4 million
        final long swept = table.bucketsSwept() - before;
        assertTrue(swept >= 185 && swept <= 225, "swept " + swept);
        assertEquals(1000, table.size(), "nothing was stale");
    }

    @Test
    void pacedAgingRemovesEntriesWithinASweepOfTheirAgingTime() {
        final long aging = TimeUnit.SECONDS.toNanos(4);
        final MacTable table = new MacTable(1000, 1000, 2, aging);
        for (int i = 1; i <= 1000; i++) {
            table.learn(i, 0, 0);
        }
        long t = 0;
        for (; t < aging; t += TimeUnit.MILLISECONDS.toNanos(1)) {
            table.expireDue(t, 64);
        }
        assertEquals(1000, table.size(), "nothing goes before its aging time");
        final long deadline = aging + table.sweepPeriodNanos() + TimeUnit.MILLISECONDS.toNanos(10);
        for (; t <= deadline; t += TimeUnit.MILLISECONDS.toNanos(1)) {
            table.expireDue(t, 64);
        }
        assertEquals(0, table.size(), "all gone within a sweep period past the aging time");
    }

    @Test
    void removePortForgetsOnlyThatPort() {
        final MacTable table = new MacTable(100, 100, 3, 100);
        for (int i = 1; i <= 90; i++) {
            table.learn(i, i % 3, 0);
        }
        table.removePort(1);
        assertEquals(60, table.size());
        assertEquals(0, table.entriesOn(1));
        for (int i = 1; i <= 90; i++) {
            assertEquals(i % 3 == 1 ? -1 : i % 3, table.lookup(i));
        }
    }
}
