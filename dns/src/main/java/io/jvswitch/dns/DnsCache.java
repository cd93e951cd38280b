package io.jvswitch.dns;

import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Upstream answers, positive and negative, kept within their TTLs (see {@link ResponseTtls}).
 * Bounded by entry count and by bytes; when either is full the least recently used entries are
 * evicted ({@link DnsCounter#CACHE_EVICTIONS}). Used by the DNS event loop only: not thread-safe.
 *
 * <p>Keyed by the upstream servers asked, the lower-case question name, type, class and whether the query carried EDNS (an
 * answer with an OPT record must not go to a client that sent none).
 */
final class DnsCache {
    /**
     * The servers asked are part of the key: networks with different upstreams (their own
     * {@code --dns}) get their own servers' answers, never another network's.
     */
    record Key(List<InetSocketAddress> upstreams, String name, int qtype, int qclass, boolean edns) {}

    /** A cached response: its bytes as received (with the upstream's TTLs) and when they were received. */
    record Entry(byte[] response, long storedNanos, long expiresNanos) {}

    private final int maxEntries;
    private final long maxBytes;
    private final DnsCounters counters;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;

    DnsCache(int maxEntries, long maxBytes, DnsCounters counters) {
        if (maxEntries < 0 || maxBytes < 0) {
            throw new IllegalArgumentException("cache limits must not be negative");
        }
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        this.counters = counters;
    }

    /** The live entry for {@code key}, or null (counted as a miss; an expired entry is removed). */
    Entry get(Key key, long nowNanos) {
        final Entry entry = entries.get(key);
        if (entry == null) {
            counters.increment(DnsCounter.CACHE_MISSES);
            return null;
        }
        if (nowNanos - entry.expiresNanos() >= 0) {
            remove(key, entry);
            counters.increment(DnsCounter.CACHE_EXPIRED);
            counters.increment(DnsCounter.CACHE_MISSES);
            return null;
        }
        counters.increment(DnsCounter.CACHE_HITS);
        return entry;
    }

    /** Stores a response for {@code ttlSeconds} (nothing for 0 or less, or when it alone exceeds the byte limit). */
    void put(Key key, byte[] response, int ttlSeconds, long nowNanos) {
        if (ttlSeconds <= 0 || maxEntries == 0 || response.length > maxBytes) {
            return;
        }
        final Entry old = entries.remove(key);
        if (old != null) {
            bytes -= old.response().length;
        }
        while (!entries.isEmpty() && (entries.size() >= maxEntries || bytes + response.length > maxBytes)) {
            final Iterator<Map.Entry<Key, Entry>> eldest = entries.entrySet().iterator();
            final Map.Entry<Key, Entry> victim = eldest.next();
            bytes -= victim.getValue().response().length;
            eldest.remove();
            counters.increment(DnsCounter.CACHE_EVICTIONS);
        }
        entries.put(key, new Entry(response, nowNanos, nowNanos + ttlSeconds * 1_000_000_000L));
        bytes += response.length;
        counters.increment(DnsCounter.CACHE_INSERTS);
    }

    private void remove(Key key, Entry entry) {
        entries.remove(key);
        bytes -= entry.response().length;
    }

    int size() {
        return entries.size();
    }

    long bytes() {
        return bytes;
    }
}
