package io.jvswitch.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

import java.util.List;

class DnsCacheTest {
    private static final long SECOND = 1_000_000_000L;
    private final DnsCounters counters = new DnsCounters();

    private static DnsCache.Key key(String name) {
        return new DnsCache.Key(List.of(), name, 1, 1, false);
    }

    @Test
    void entriesLiveForTheirTtlOnly() {
        final DnsCache cache = new DnsCache(10, 1 << 20, counters);
        cache.put(key("a"), new byte[20], 30, 100 * SECOND);
        assertNotNull(cache.get(key("a"), 129 * SECOND));
        assertNull(cache.get(key("a"), 130 * SECOND));
        assertEquals(1, counters.get(DnsCounter.CACHE_EXPIRED));
        assertEquals(0, cache.size());
        assertEquals(0, cache.bytes());
        assertEquals(1, counters.get(DnsCounter.CACHE_HITS));
        assertEquals(1, counters.get(DnsCounter.CACHE_MISSES));
    }

    @Test
    void zeroTtlIsNotCached() {
        final DnsCache cache = new DnsCache(10, 1 << 20, counters);
        cache.put(key("a"), new byte[20], 0, 0);
        assertEquals(0, cache.size());
    }

    @Test
    void evictsTheLeastRecentlyUsedByCount() {
        final DnsCache cache = new DnsCache(2, 1 << 20, counters);
        cache.put(key("a"), new byte[10], 60, 0);
        cache.put(key("b"), new byte[10], 60, 0);
        cache.get(key("a"), SECOND); // a is now the most recently used
        cache.put(key("c"), new byte[10], 60, SECOND);
        assertNotNull(cache.get(key("a"), SECOND));
        assertNull(cache.get(key("b"), SECOND));
        assertNotNull(cache.get(key("c"), SECOND));
        assertEquals(1, counters.get(DnsCounter.CACHE_EVICTIONS));
    }

    @Test
    void evictsByBytesAndRefusesAnEntryLargerThanTheWholeCache() {
        final DnsCache cache = new DnsCache(100, 100, counters);
        cache.put(key("a"), new byte[40], 60, 0);
        cache.put(key("b"), new byte[40], 60, 0);
        cache.put(key("c"), new byte[40], 60, 0);
        assertEquals(2, cache.size());
        assertEquals(80, cache.bytes());
        cache.put(key("huge"), new byte[101], 60, 0);
        assertNull(cache.get(key("huge"), 0));
        assertEquals(2, cache.size());
    }

    @Test
    void replacingAnEntryKeepsTheByteCountRight() {
        final DnsCache cache = new DnsCache(10, 1000, counters);
        cache.put(key("a"), new byte[40], 60, 0);
        cache.put(key("a"), new byte[50], 60, 0);
        assertEquals(1, cache.size());
        assertEquals(50, cache.bytes());
    }
}
