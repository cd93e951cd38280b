package io.jvswitch.control.cluster;

import java.util.List;
import java.util.Map;

/**
 * The few operations of a consistent key-value store the cluster control plane needs: reads of a
 * key or a prefix, puts (optionally under a lease), compare-and-set transactions, leases, and a
 * prefix watch from a revision. Keys are plain strings (the caller adds its prefix); values bytes.
 * Every call has a deadline: it returns, or throws {@link StoreUnavailableException} when no
 * endpoint answered in time. Implementations are thread-safe.
 */
public interface KeyValueStore extends AutoCloseable {

    /** One key as the store holds it; {@code lease} 0 when none. */
    record KeyValue(String key, byte[] value, long createRevision, long modRevision, long version, long lease) {}

    /** The keys a read found, at the store's revision {@code revision}. */
    record Range(long revision, List<KeyValue> kvs) {}

    /** What a {@link Compare} looks at. */
    enum Target {
        CREATE,
        MOD,
        VERSION
    }

    /** A transaction guard: {@code target} of {@code key} equals {@code value} (0 for an absent key's CREATE). */
    record Compare(String key, Target target, long value) {
        public static Compare absent(String key) {
            return new Compare(key, Target.CREATE, 0);
        }

        public static Compare unchanged(String key, long modRevision) {
            return new Compare(key, Target.MOD, modRevision);
        }
    }

    /** A transaction step. */
    sealed interface Op {
        record Put(String key, byte[] value, long lease) implements Op {}

        /** Deletes {@code key}, or with {@code prefix} every key that starts with it. */
        record Delete(String key, boolean prefix) implements Op {}

        record Get(String key) implements Op {}
    }

    /** A transaction's outcome; {@code ranges} holds what its {@link Op.Get}s read, in order. */
    record TxnResult(boolean succeeded, long revision, List<Range> ranges) {}

    /** One change seen by a watch. */
    record Event(boolean deleted, KeyValue kv) {}

    /** Receives a watch's changes on the watch's own thread; must not block for long. */
    interface WatchListener {
        /** Changes up to {@code revision}, in order. */
        void changes(List<Event> events, long revision);

        /**
         * The revision to watch from was compacted away: re-read everything and return the revision
         * of that read; the watch goes on from the next one.
         */
        long resync();
    }

    Range get(String key);

    Range getPrefix(String prefix);

    long put(String key, byte[] value, long lease);

    TxnResult txn(List<Compare> compares, List<Op> success, List<Op> failure);

    /** A lease of {@code ttlSeconds}; returns its id. */
    long grantLease(long ttlSeconds);

    /** Renews a lease; returns the TTL it has now, 0 when the store no longer knows it (it expired). */
    long keepAlive(long lease);

    void revokeLease(long lease);

    /**
     * Watches every key under {@code prefix} from {@code fromRevision} on its own thread until the
     * returned handle is closed; re-opens itself after errors and idle periods from the last
     * revision it delivered.
     */
    AutoCloseable watch(String prefix, long fromRevision, WatchListener listener);

    /** The endpoint the last request went to. */
    String currentEndpoint();

    /** Requests sent so far, by kind (range, put, txn, lease-grant, keepalive, watch, ...). */
    Map<String, Long> requestCounts();

    /** The revision the watch has delivered up to, 0 before the first. */
    long watchRevision();

    @Override
    void close();
}
