package io.jvswitch.control.cluster;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * Keeps the view current and the dataplane in step with it: one range read of the whole prefix,
 * then one watch from that revision whose deltas are applied on the control thread; a full read
 * again only when the watch says etcd compacted the revision it needed. Only ever with a view the
 * store gave: an unreachable store changes nothing in the dataplane.
 */
final class ClusterSync implements AutoCloseable {
    private final KeyValueStore store;
    private final ClusterKeys keys;
    private final ClusterView view;
    private final ExecutorService control;

    private long loadedRevision;
    private ClusterDataplane dataplane;
    private AutoCloseable watch;

    ClusterSync(KeyValueStore store, ClusterKeys keys, ClusterView view, ExecutorService control) {
        this.store = store;
        this.keys = keys;
        this.view = view;
        this.control = control;
    }

    /** One range read of the whole prefix into the view; returns its revision. */
    long load() {
        final KeyValueStore.Range all = store.getPrefix(keys.prefix());
        view.reset();
        for (KeyValueStore.KeyValue kv : all.kvs()) {
            view.put(kv.key(), kv.value(), kv.modRevision());
        }
        view.readAt(all.revision());
        loadedRevision = all.revision();
        return loadedRevision;
    }

    /** Control thread: applies the view to {@code target}, from now on after every change. */
    void applyTo(ClusterDataplane target) {
        this.dataplane = target;
        reconcile();
    }

    /** Follows the store from the revision of the last full read. */
    void follow() {
        watch = store.watch(keys.prefix(), loadedRevision + 1, new KeyValueStore.WatchListener() {
            @Override
            public void changes(List<KeyValueStore.Event> events, long revision) {
                control.execute(() -> apply(events, revision));
            }

            @Override
            public long resync() {
                final CompletableFuture<Long> done = new CompletableFuture<>();
                control.execute(() -> {
                    try {
                        done.complete(load());
                        reconcile();
                    } catch (RuntimeException e) {
                        done.completeExceptionally(e);
                    }
                });
                try {
                    return done.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        });
    }

    private void apply(List<KeyValueStore.Event> events, long revision) {
        for (KeyValueStore.Event event : events) {
            if (event.deleted()) {
                view.remove(event.kv().key(), event.kv().modRevision());
            } else {
                view.put(event.kv().key(), event.kv().value(), event.kv().modRevision());
            }
        }
        view.watchedTo(revision);
        reconcile();
    }

    private void reconcile() {
        if (dataplane != null) {
            dataplane.reconcile();
        }
    }

    @Override
    public void close() {
        if (watch != null) {
            try {
                watch.close();
            } catch (Exception ignored) {
                // closing
            }
        }
    }
}
