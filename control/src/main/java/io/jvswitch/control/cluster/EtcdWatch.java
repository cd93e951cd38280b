package io.jvswitch.control.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One prefix watch of an {@link EtcdGateway}: a thread reading one streaming {@code /v3/watch}
 * response at a time, from the revision after the last one it delivered; on an error it backs off
 * and tries the next endpoint, when nothing (not even a progress notification) came for the
 * gateway's {@code watchIdle} it re-opens the watch, and on a compacted start revision it asks its
 * listener to read everything again.
 */
final class EtcdWatch implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    private final String prefix;
    private final EtcdGateway gateway;
    private final KeyValueStore.WatchListener listener;
    private final Thread thread;
    private volatile boolean closed;
    private volatile long lastSeenNanos = System.nanoTime();
    private volatile InputStream stream;
    private long next;

    EtcdWatch(EtcdGateway gateway, String prefix, long fromRevision, KeyValueStore.WatchListener listener) {
        this.gateway = gateway;
        this.prefix = prefix;
        this.listener = listener;
        this.next = fromRevision;
        this.thread = Thread.ofPlatform().daemon().name("jvs-etcd-watch").unstarted(this::run);
    }

    private void run() {
        final Thread idleCheck =
                Thread.ofPlatform().daemon().name("jvs-etcd-watch-idle").start(this::checkIdle);
        int failures = 0;
        int index = gateway.currentIndex();
        while (!closed) {
            try {
                watchOnce(gateway.endpoints().get(index % gateway.endpoints().size()));
                failures = 0;
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    break;
                }
                failures++;
                gateway.count("watch-error");
                LOG.log(
                        System.Logger.Level.DEBUG,
                        "watch on {0} ended: {1}",
                        gateway.endpoints().get(index % gateway.endpoints().size()),
                        e.toString());
            } catch (InterruptedException e) {
                if (closed) {
                    break;
                }
                gateway.count("watch-idle-reopen");
                Thread.interrupted();
            }
            if (failures > 0) {
                index++; // another member next time
                try {
                    final long backoff = Math.min(2_000, 100L << Math.min(failures, 4));
                    Thread.sleep(backoff + ThreadLocalRandom.current().nextLong(100));
                } catch (InterruptedException e) {
                    if (closed) {
                        break;
                    }
                }
            } else {
                index = gateway.currentIndex();
            }
        }
        idleCheck.interrupt();
    }

    private void watchOnce(URI endpoint) throws IOException, InterruptedException {
        final ObjectNode body = gateway.json().createObjectNode();
        body.putObject("create_request")
                .put("key", EtcdGateway.b64(prefix))
                .put("range_end", EtcdGateway.rangeEnd(prefix))
                .put("start_revision", Long.toString(next))
                .put("progress_notify", true);
        gateway.count("watch");
        lastSeenNanos = System.nanoTime();
        final HttpResponse<InputStream> response = gateway.http()
                .send(
                        HttpRequest.newBuilder(endpoint.resolve("/v3/watch"))
                                .timeout(gateway.requestTimeout())
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(
                                        gateway.json().writeValueAsBytes(body)))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            stream = in;
            if (response.statusCode() != 200) {
                throw new IOException("watch: HTTP " + response.statusCode());
            }
            lastSeenNanos = System.nanoTime();
            try (MappingIterator<JsonNode> messages =
                    gateway.json().readerFor(JsonNode.class).readValues(in)) {
                while (!closed && messages.hasNextValue()) {
                    final JsonNode message = messages.nextValue();
                    lastSeenNanos = System.nanoTime();
                    if (!handle(message)) {
                        return; // compacted: re-read done, watch again from the new revision
                    }
                }
            }
            throw new IOException("watch stream ended");
        } finally {
            stream = null;
        }
    }

    /** Returns false when the watch must be re-opened (after a compaction's re-read). */
    private boolean handle(JsonNode message) throws IOException {
        if (message.has("error")) {
            throw new IOException("watch: " + message.path("error"));
        }
        final JsonNode result = message.path("result");
        if (result.path("canceled").asBoolean(false)) {
            final long compacted = result.path("compact_revision").asLong(0);
            if (compacted > 0) {
                gateway.count("watch-compacted");
                LOG.log(
                        System.Logger.Level.WARNING,
                        "the cluster store compacted revision {0}: reading everything again",
                        next);
                final long revision = listener.resync();
                next = revision + 1;
                gateway.watchedTo(revision);
                return false;
            }
            throw new IOException(
                    "watch canceled: " + result.path("cancel_reason").asText());
        }
        final JsonNode events = result.path("events");
        final long headerRevision = result.path("header").path("revision").asLong(0);
        if (events.isEmpty()) {
            // created, or a progress notification: everything up to the header's revision is seen
            if (!result.path("created").asBoolean(false) && headerRevision >= next) {
                next = headerRevision + 1;
                gateway.watchedTo(headerRevision);
            }
            return true;
        }
        final List<KeyValueStore.Event> changes = new ArrayList<>(events.size());
        long last = 0;
        for (JsonNode event : events) {
            final KeyValueStore.KeyValue kv = EtcdGateway.keyValue(event.path("kv"));
            changes.add(
                    new KeyValueStore.Event("DELETE".equals(event.path("type").asText()), kv));
            last = Math.max(last, kv.modRevision());
        }
        listener.changes(changes, last);
        next = last + 1;
        gateway.watchedTo(last);
        return true;
    }

    private void checkIdle() {
        final long bound = gateway.watchIdle().toNanos();
        while (!closed) {
            try {
                Thread.sleep(Math.max(100, TimeUnit.NANOSECONDS.toMillis(bound) / 4));
            } catch (InterruptedException e) {
                return;
            }
            if (stream != null && System.nanoTime() - lastSeenNanos > bound) {
                LOG.log(
                        System.Logger.Level.INFO,
                        "the cluster store's watch was silent for {0} s: re-opening it",
                        gateway.watchIdle().toSeconds());
                lastSeenNanos = System.nanoTime();
                thread.interrupt();
            }
        }
    }

    void start() {
        thread.start();
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
