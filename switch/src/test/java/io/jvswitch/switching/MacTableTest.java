package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

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
