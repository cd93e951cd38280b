package io.jvswitch.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

class Ipv6AddressIdsTest {
    @Test
    void anIdStandsForItsAddressUntilItsLastReferenceGoes() {
        final Ipv6AddressIds ids = new Ipv6AddressIds(4);
        final int a = ids.acquire(0xfd00_0020_0000_0000L, 5);
        assertEquals(a, ids.acquire(0xfd00_0020_0000_0000L, 5));
        final int b = ids.acquire(0xfd00_0020_0000_0000L, 6);
        assertNotEquals(a, b);
        assertEquals(a, ids.find(0xfd00_0020_0000_0000L, 5));
        assertEquals(5, ids.low(a));
        ids.release(a);
        assertEquals(a, ids.find(0xfd00_0020_0000_0000L, 5), "one reference left");
        ids.release(a);
        assertEquals(Ipv6AddressIds.NONE, ids.find(0xfd00_0020_0000_0000L, 5));
        assertEquals(b, ids.find(0xfd00_0020_0000_0000L, 6));
        assertEquals(1, ids.size());
    }

    @Test
    void refusesPastItsCapacity() {
        final Ipv6AddressIds ids = new Ipv6AddressIds(2);
        ids.acquire(1, 1);
        ids.acquire(1, 2);
        assertEquals(Ipv6AddressIds.NONE, ids.acquire(1, 3));
        assertEquals(0, ids.find(1, 1));
    }

    /** Many acquires and releases at random, checked against a plain model: probe runs survive deletions. */
    @Test
    void staysConsistentUnderChurn() {
        final int addresses = 64;
        final Ipv6AddressIds ids = new Ipv6AddressIds(addresses);
        final int[] model = new int[addresses];
        final int[] idOf = new int[addresses];
        final SplittableRandom random = new SplittableRandom(42);
        for (int step = 0; step < 100_000; step++) {
            final int a = random.nextInt(addresses);
            if (model[a] > 0 && random.nextBoolean()) {
                ids.release(idOf[a]);
                model[a]--;
            } else {
                idOf[a] = ids.acquire(0xfd00L << 48, a * 0x9E37_79B9L);
                model[a]++;
            }
            final int b = random.nextInt(addresses);
            assertEquals(model[b] > 0, ids.find(0xfd00L << 48, b * 0x9E37_79B9L) >= 0, "address " + b);
        }
    }
}
