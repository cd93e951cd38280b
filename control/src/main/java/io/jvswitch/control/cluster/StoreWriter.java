package io.jvswitch.control.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * This host's writes to the cluster store, each applied to its {@link ClusterView} as soon as the
 * store confirms it (at the revision the store gave it), so that a claim made a moment ago is seen
 * by the next one before the watch brings the news; the watch brings the same news again later,
 * older than the view by then, and changes nothing. Control thread only.
 */
final class StoreWriter {
    /** etcd refuses transactions of more than 128 operations by default. */
    private static final int TXN_OPS = 100;

    private final KeyValueStore store;
    private final ClusterView view;

    StoreWriter(KeyValueStore store, ClusterView view) {
        this.store = store;
        this.view = view;
    }

    /**
     * Runs a transaction and applies to the view what it wrote or, when its guard failed, what its
     * Gets read back. Deletes of a prefix are the caller's to apply.
     */
    KeyValueStore.TxnResult txn(
            List<KeyValueStore.Compare> compares, List<KeyValueStore.Op> success, List<KeyValueStore.Op> failure) {
        final KeyValueStore.TxnResult result = store.txn(compares, success, failure);
        if (result.succeeded()) {
            for (KeyValueStore.Op op : success) {
                if (op instanceof KeyValueStore.Op.Put put) {
                    view.put(put.key(), put.value(), result.revision());
                } else if (op instanceof KeyValueStore.Op.Delete delete && !delete.prefix()) {
                    view.remove(delete.key(), result.revision());
                }
            }
            return result;
        }
        int read = 0;
        for (KeyValueStore.Op op : failure) {
            if (op instanceof KeyValueStore.Op.Get get) {
                final KeyValueStore.Range range = result.ranges().get(read++);
                if (range.kvs().isEmpty()) {
                    view.remove(get.key(), range.revision());
                } else {
                    final KeyValueStore.KeyValue kv = range.kvs().getFirst();
                    view.put(kv.key(), kv.value(), kv.modRevision());
                }
            }
        }
        return result;
    }

    /** Writes {@code key} if no one has it: one transaction that reads the holder back when it fails. */
    KeyValueStore.TxnResult putIfAbsent(String key, Object value, long lease) {
        return txn(
                List.of(KeyValueStore.Compare.absent(key)),
                List.of(new KeyValueStore.Op.Put(key, json(value), lease)),
                List.of(new KeyValueStore.Op.Get(key)));
    }

    /** Writes {@code key} whatever it holds. */
    void put(String key, Object value, long lease) {
        final byte[] bytes = json(value);
        view.put(key, bytes, store.put(key, bytes, lease));
    }

    /** Whether the store holds {@code key} (one read; for keys the view does not hold). */
    boolean exists(String key) {
        return !store.get(key).kvs().isEmpty();
    }

    /** Deletes the keys, in transactions small enough for etcd; returns how many. */
    int deleteAll(List<String> doomed) {
        for (int i = 0; i < doomed.size(); i += TXN_OPS) {
            final List<KeyValueStore.Op> ops = new ArrayList<>();
            for (String key : doomed.subList(i, Math.min(doomed.size(), i + TXN_OPS))) {
                ops.add(new KeyValueStore.Op.Delete(key, false));
            }
            txn(List.of(), ops, List.of());
        }
        return doomed.size();
    }

    static byte[] json(Object value) {
        try {
            return ClusterView.JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first value of a range, or null when it is empty or does not parse. */
    static <T> T read(KeyValueStore.Range range, Class<T> type) {
        if (range.kvs().isEmpty()) {
            return null;
        }
        try {
            return ClusterView.JSON.readValue(range.kvs().getFirst().value(), type);
        } catch (IOException e) {
            return null;
        }
    }
}
