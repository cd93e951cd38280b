package io.jvswitch.control.cluster;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Copies this host's saved state into the cluster store (one put of the latest state, not under the
 * lease) on a thread of its own, so that a store that is slow or gone never holds up or fails the
 * change that was saved: the local file is the state, this is its copy. A put that fails keeps the
 * state pending and is tried again with a growing delay (1 s to 30 s), at the next save, or when the
 * store answers again; only the latest state is ever sent. A state larger than {@link #MAX_BYTES}
 * is not sent (etcd refuses requests over 1.5 MiB by default) and counted.
 */
final class StateMirror implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    static final int MAX_BYTES = 1024 * 1024;
    private static final long FIRST_RETRY_MS = 1_000;
    private static final long LAST_RETRY_MS = 30_000;
    /** How long a stopping daemon waits for the last state to reach the store. */
    private static final long CLOSE_WAIT_MS = 3_000;

    private final KeyValueStore store;
    private final String key;
    private final ScheduledThreadPoolExecutor thread;
    /** The latest state not yet in the store, null when the store has the latest. */
    private final AtomicReference<byte[]> pending = new AtomicReference<>();

    /** Mirror thread only. */
    private long retryMs = FIRST_RETRY_MS;

    private boolean retryScheduled;

    private volatile long mirrored;
    private volatile long failures;
    private volatile long tooLarge;
    private volatile int lastBytes;
    private volatile String lastMirroredAt;
    private volatile String lastError;

    StateMirror(KeyValueStore store, String key) {
        this.store = store;
        this.key = key;
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            final Thread t = new Thread(r, "jvs-state-mirror");
            t.setDaemon(true);
            return t;
        });
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    String key() {
        return key;
    }

    /** Sends {@code record} (the encoded state) soon; returns at once. */
    void offer(byte[] record) {
        if (record.length > MAX_BYTES) {
            if (tooLarge++ == 0) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "this host''s state ({0} bytes) is larger than {1} bytes: not mirrored to {2};"
                                + " the local state file keeps it",
                        record.length,
                        MAX_BYTES,
                        key);
            }
            return;
        }
        pending.set(record);
        submit();
    }

    /** The store answers again: send what is pending now rather than at the next retry. */
    void retry() {
        if (pending.get() != null) {
            submit();
        }
    }

    private void submit() {
        try {
            thread.execute(this::flush);
        } catch (RejectedExecutionException e) {
            // closing: the local file has the state
        }
    }

    /** Mirror thread: one put of the latest state. */
    private void flush() {
        final byte[] record = pending.getAndSet(null);
        if (record == null) {
            return;
        }
        try {
            store.put(key, record, 0);
            mirrored++;
            lastBytes = record.length;
            lastMirroredAt = Instant.now().toString();
            retryMs = FIRST_RETRY_MS;
        } catch (RuntimeException e) {
            // a newer state offered meanwhile wins; otherwise this one is still the latest
            pending.compareAndSet(null, record);
            if (failures++ == 0 || lastError == null) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "this host''s state not mirrored to {0}: {1} (tried again; the local state file has it)",
                        key,
                        e.getMessage());
            }
            lastError = e.getMessage();
            scheduleRetry();
            return;
        }
        if (lastError != null) {
            LOG.log(System.Logger.Level.INFO, "this host''s state is mirrored to {0} again", key);
            lastError = null;
        }
    }

    private void scheduleRetry() {
        if (retryScheduled || thread.isShutdown()) {
            return;
        }
        retryScheduled = true;
        final long delay = retryMs;
        retryMs = Math.min(LAST_RETRY_MS, retryMs * 2);
        thread.schedule(
                () -> {
                    retryScheduled = false;
                    flush();
                },
                delay,
                TimeUnit.MILLISECONDS);
    }

    /** The mirror's part of {@code jvs cluster status}. */
    Map<String, Object> status() {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("key", key);
        out.put("mirrored", mirrored);
        out.put("pending", pending.get() != null);
        out.put("failures", failures);
        out.put("tooLarge", tooLarge);
        out.put("bytes", lastBytes);
        out.put("lastMirroredAt", lastMirroredAt);
        out.put("lastError", lastError);
        return out;
    }

    /** Sends what is pending, waiting at most a few seconds, and stops the thread. */
    @Override
    public void close() {
        submit();
        thread.shutdown();
        try {
            if (!thread.awaitTermination(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
