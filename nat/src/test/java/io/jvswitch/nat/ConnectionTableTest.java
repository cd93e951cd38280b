package io.jvswitch.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

class ConnectionTableTest {
    record Tuple(long a, long b) {}

    static Tuple random(Random random) {
        return new Tuple(
                ConnectionTable.tupleA(6, random.nextInt(4) - 1, random.nextInt()),
                ConnectionTable.tupleB(random.nextInt(), random.nextInt(65536), random.nextInt(65536)));
    }

    @Test
    void tupleFieldsRoundTrip() {
        final long a = ConnectionTable.tupleA(17, -1, 0xAC130004);
        final long b = ConnectionTable.tupleB(0x0A630002, 40000, 53);
        assertEquals(17, ConnectionTable.protocolOf(a));
        assertEquals(-1, ConnectionTable.networkOf(a));
        assertEquals(0xAC130004, ConnectionTable.sourceOf(a));
        assertEquals(0x0A630002, ConnectionTable.destinationOf(b));
        assertEquals(40000, ConnectionTable.sourcePortOf(b));
        assertEquals(53, ConnectionTable.destinationPortOf(b));
        assertEquals(4095, ConnectionTable.networkOf(ConnectionTable.tupleA(6, 4095, 1)));
    }

    /** Random inserts and removals checked against a HashMap: backward-shift deletion keeps every tuple findable. */
    @Test
    void agreesWithAReferenceMapUnderChurn() {
        final Random random = new Random(42);
        final ConnectionTable table = new ConnectionTable(1000);
        final Map<Tuple, Integer> reference = new HashMap<>();
        final List<Integer> live = new ArrayList<>();
        for (int step = 0; step < 200_000; step++) {
            if (live.size() < 1000 && (live.isEmpty() || random.nextInt(3) != 0)) {
                final Tuple original = random(random);
                final Tuple reply = random(random);
                if (reference.containsKey(original) || reference.containsKey(reply) || original.equals(reply)) {
                    continue;
                }
                final int c = table.insert(original.a, original.b, reply.a, reply.b, 0, 1);
                assertTrue(c >= 0);
                reference.put(original, c << 1);
                reference.put(reply, (c << 1) | 1);
                live.add(c);
            } else {
                final int c = live.remove(random.nextInt(live.size()));
                reference.remove(new Tuple(table.tupleA(c, 0), table.tupleB(c, 0)));
                reference.remove(new Tuple(table.tupleA(c, 1), table.tupleB(c, 1)));
                table.remove(c);
            }
            if (step % 5000 == 0) {
                for (Map.Entry<Tuple, Integer> e : reference.entrySet()) {
                    assertEquals(e.getValue(), table.lookup(e.getKey().a, e.getKey().b));
                }
                assertEquals(live.size(), table.size());
            }
        }
        for (Map.Entry<Tuple, Integer> e : reference.entrySet()) {
            assertEquals(e.getValue(), table.lookup(e.getKey().a, e.getKey().b));
        }
        for (int i = 0; i < 1000; i++) {
            final Tuple t = random(random);
            if (!reference.containsKey(t)) {
                assertEquals(-1, table.lookup(t.a, t.b));
            }
        }
    }

    @Test
    void fullTableRefusesAndExpiryIsIncremental() {
        final ConnectionTable table = new ConnectionTable(8);
        for (int i = 0; i < 8; i++) {
            assertTrue(table.insert(ConnectionTable.tupleA(6, 1, i), 1, ConnectionTable.tupleA(6, -1, i), 2, 0, 100 + i)
                    >= 0);
        }
        assertTrue(table.isFull());
        assertEquals(-1, table.insert(ConnectionTable.tupleA(6, 1, 99), 1, ConnectionTable.tupleA(6, -1, 99), 2, 0, 1));
        // Deadlines 100..107; at 104 five have passed, but a slice of 2 examines only two of them.
        assertEquals(2, table.expire(104, 2));
        assertEquals(6, table.size());
        assertEquals(3, table.expire(104, 8));
        assertEquals(3, table.size());
        assertFalse(table.isFull());
        assertEquals(3, table.expire(1000, 100));
        assertEquals(0, table.size());
    }

    /**
     * The batched lookup answers exactly what one lookup per tuple answers, for tuples present in
     * either direction, absent ones, and batches longer than one pass (chunking), after churn has
     * moved entries around by backward-shift deletion.
     */
    /** What lets a batch's answers be reused: the version moves with the set of tuples, and only with it. */
    @Test
    void versionCountsInsertsAndRemovalsOnly() {
        final ConnectionTable table = new ConnectionTable(4);
        final long start = table.version();
        final int c = table.insert(ConnectionTable.tupleA(6, 1, 1), 1, ConnectionTable.tupleA(6, -1, 1), 2, 0, 100);
        assertEquals(start + 1, table.version());
        table.status(c, 3);
        table.deadline(c, 200);
        table.countPacket(c, ConnectionTable.REPLY);
        table.lookup(ConnectionTable.tupleA(6, 1, 1), 1);
        assertEquals(0, table.expire(150, 4), "nothing expired");
        assertEquals(start + 1, table.version(), "state, deadline, counts, lookups and idle expiry change nothing");
        table.remove(c);
        final long removed = table.version();
        assertEquals(start + 2, removed);
        table.remove(c);
        assertEquals(removed, table.version(), "removing what is gone changes nothing");
        table.insert(ConnectionTable.tupleA(6, 1, 2), 1, ConnectionTable.tupleA(6, -1, 2), 2, 0, 100);
        assertEquals(1, table.expire(1000, 4));
        assertEquals(removed + 2, table.version(), "an insert, and a removal by expiry");
    }

    @Test
    void eachConnectionIsOneCacheLine() {
        final ConnectionTable table = new ConnectionTable(100);
        for (int c = 0; c < 100; c++) {
            assertEquals(0, table.lineAddress(c) % 64, "connection " + c);
        }
        assertEquals(64, table.lineAddress(1) - table.lineAddress(0));
    }

    @Test
    void aLargeTableLivesInAHugePageMappingAndWorksAcrossIt() {
        // 65,536 lines (4 MiB) and 262,144 slots (1 MiB): past TableMemory.HUGE_PAGE
        final int capacity = 1 << 16;
        final ConnectionTable table = new ConnectionTable(capacity);
        assertTrue(table.inHugePageMapping(), "mapped on a 2 MiB boundary");
        assertEquals(0, table.lineAddress(0) % TableMemory.HUGE_PAGE);
        for (int i = 0; i < capacity; i++) {
            assertTrue(table.insert(
                            ConnectionTable.tupleA(6, 1, i),
                            ConnectionTable.tupleB(7, 1000, 80),
                            ConnectionTable.tupleA(6, -1, 7),
                            ConnectionTable.tupleB(i, 80, 1000),
                            0,
                            1)
                    >= 0);
        }
        assertTrue(table.isFull());
        for (int i = 0; i < capacity; i += 3) {
            table.remove(table.lookup(ConnectionTable.tupleA(6, 1, i), ConnectionTable.tupleB(7, 1000, 80)) >> 1);
        }
        for (int i = 0; i < capacity; i++) {
            final int original = table.lookup(ConnectionTable.tupleA(6, 1, i), ConnectionTable.tupleB(7, 1000, 80));
            final int reply = table.lookup(ConnectionTable.tupleA(6, -1, 7), ConnectionTable.tupleB(i, 80, 1000));
            if (i % 3 == 0) {
                assertEquals(-1, original, "removed " + i);
                assertEquals(-1, reply, "removed " + i);
            } else {
                assertEquals(ConnectionTable.ORIGINAL, original & 1);
                assertEquals(original + 1, reply, "both tuples of " + i + " lead to one connection");
            }
        }
    }

    @Test
    void aConnectionIdOutsideTheTableIsRefusedNotRead() {
        final ConnectionTable table = new ConnectionTable(16);
        assertThrows(IndexOutOfBoundsException.class, () -> table.status(16));
        assertThrows(IndexOutOfBoundsException.class, () -> table.tupleA(-1, ConnectionTable.ORIGINAL));
        assertThrows(IndexOutOfBoundsException.class, () -> table.countPacket(1 << 20, ConnectionTable.REPLY));
        assertThrows(IndexOutOfBoundsException.class, () -> table.remove(16));
        assertEquals(0, table.size());
    }

    @Test
    void lookupBatchAgreesWithLookup() {
        final Random random = new Random(7);
        final ConnectionTable table = new ConnectionTable(512);
        final List<Integer> live = new ArrayList<>();
        for (int step = 0; step < 5000; step++) {
            if (live.size() < 512 && random.nextInt(4) != 0) {
                final Tuple original = random(random);
                final Tuple reply = random(random);
                if (table.lookup(original.a, original.b) >= 0
                        || table.lookup(reply.a, reply.b) >= 0
                        || original.equals(reply)) {
                    continue;
                }
                live.add(table.insert(original.a, original.b, reply.a, reply.b, 0, 1));
            } else if (!live.isEmpty()) {
                table.remove(live.remove(random.nextInt(live.size())));
            }
        }
        assertTrue(live.size() > 200, "the table is well filled: " + live.size());
        final int count = ConnectionTable.BATCH * 2 + 37;
        final long[] a = new long[count];
        final long[] b = new long[count];
        final int[] refs = new int[count];
        int present = 0;
        for (int i = 0; i < count; i++) {
            if (random.nextBoolean()) {
                final int c = live.get(random.nextInt(live.size()));
                final int direction = random.nextInt(2);
                a[i] = table.tupleA(c, direction);
                b[i] = table.tupleB(c, direction);
                present++;
            } else {
                final Tuple t = random(random);
                a[i] = t.a;
                b[i] = t.b;
            }
            refs[i] = -7; // must be overwritten
        }
        final int found = table.lookupBatch(a, b, count, refs);
        int expectedFound = 0;
        for (int i = 0; i < count; i++) {
            final int expected = table.lookup(a[i], b[i]);
            assertEquals(expected, refs[i], "tuple " + i);
            if (expected >= 0) {
                expectedFound++;
                assertEquals(a[i], table.tupleA(expected >> 1, expected & 1));
            }
        }
        assertEquals(expectedFound, found);
        assertTrue(found >= present, "every present tuple was found: " + found + " of " + present);
    }
}
