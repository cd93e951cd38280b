package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvswitch.control.cluster.EtcdGateway;
import io.jvswitch.control.cluster.KeyValueStore;
import io.jvswitch.control.cluster.KeyValueStore.Compare;
import io.jvswitch.control.cluster.KeyValueStore.Op;
import io.jvswitch.control.cluster.StoreUnavailableException;
import io.jvswitch.control.lab.EtcdLab;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** The etcd gateway client against one real etcd member on loopback (its own ports and data directory). */
class EtcdGatewayIT {
    static EtcdLab etcd;
    static URI url;
    static EtcdGateway store;
    static int deadPort;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/etcd")), "needs etcd (Debian's etcd-server)");
        final int client = freePort();
        final int peer = freePort();
        deadPort = freePort();
        etcd = new EtcdLab().member("g1", null, "127.0.0.1", client, peer);
        etcd.startAll();
        url = URI.create(etcd.clientUrl("g1"));
        store = new EtcdGateway(List.of(url), Duration.ofSeconds(2), Duration.ofSeconds(5));
    }

    @AfterAll
    static void tearDown() {
        if (store != null) {
            store.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void await(String what, Duration within, BooleanSupplier condition) {
        Await.until(what, within, condition::getAsBoolean);
    }

    @Test
    void putGetAndPrefix() {
        store.put("/t/a/1", bytes("one"), 0);
        store.put("/t/a/2", bytes("two"), 0);
        store.put("/t/b", bytes("other"), 0);
        assertArrayEquals(bytes("one"), store.get("/t/a/1").kvs().getFirst().value());
        final KeyValueStore.Range range = store.getPrefix("/t/a/");
        assertEquals(
                List.of("/t/a/1", "/t/a/2"),
                range.kvs().stream().map(KeyValueStore.KeyValue::key).toList());
        assertTrue(range.revision() > 0);
        assertTrue(store.get("/t/none").kvs().isEmpty());
        assertTrue(store.requestCounts().get("range") >= 3);
    }

    @Test
    void aPrefixLargerThanAPageIsReadWholeInPages() {
        final int count = 2 * EtcdGateway.PAGE + 5;
        final List<KeyValueStore.Op> ops = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ops.add(new KeyValueStore.Op.Put(String.format("/p/%05d", i), bytes("v" + i), 0));
            if (ops.size() == 100 || i == count - 1) {
                assertTrue(store.txn(List.of(), List.copyOf(ops), List.of()).succeeded());
                ops.clear();
            }
        }
        store.put("/q", bytes("after the prefix"), 0);
        final long before = store.requestCounts().get("range");
        final KeyValueStore.Range range = store.getPrefix("/p/");
        assertEquals(count, range.kvs().size());
        for (int i = 0; i < count; i++) {
            assertEquals(String.format("/p/%05d", i), range.kvs().get(i).key());
        }
        assertArrayEquals(bytes("v" + (count - 1)), range.kvs().getLast().value());
        assertEquals(3, store.requestCounts().get("range") - before, "three pages");
    }

    @Test
    void createIfAbsentLetsOneWin() {
        final var first = store.txn(
                List.of(Compare.absent("/t/claim")),
                List.of(new Op.Put("/t/claim", bytes("A"), 0)),
                List.of(new Op.Get("/t/claim")));
        final var second = store.txn(
                List.of(Compare.absent("/t/claim")),
                List.of(new Op.Put("/t/claim", bytes("B"), 0)),
                List.of(new Op.Get("/t/claim")));
        assertTrue(first.succeeded());
        assertFalse(second.succeeded());
        assertArrayEquals(
                bytes("A"), second.ranges().getFirst().kvs().getFirst().value());
        final long mod = store.get("/t/claim").kvs().getFirst().modRevision();
        assertTrue(store.txn(
                        List.of(Compare.unchanged("/t/claim", mod)),
                        List.of(new Op.Put("/t/claim", bytes("C"), 0)),
                        List.of())
                .succeeded());
        assertFalse(store.txn(
                        List.of(Compare.unchanged("/t/claim", mod)),
                        List.of(new Op.Put("/t/claim", bytes("D"), 0)),
                        List.of())
                .succeeded());
        store.txn(List.of(), List.of(new Op.Delete("/t/claim", true)), List.of());
        assertTrue(store.get("/t/claim").kvs().isEmpty());
    }

    @Test
    void leaseKeysVanishWhenTheLeaseExpires() throws Exception {
        final long lease = store.grantLease(2);
        store.put("/t/leased", bytes("x"), lease);
        assertTrue(store.keepAlive(lease) > 0);
        assertEquals(lease, store.get("/t/leased").kvs().getFirst().lease());
        await(
                "the leased key is gone",
                Duration.ofSeconds(6),
                () -> store.get("/t/leased").kvs().isEmpty());
        assertEquals(0, store.keepAlive(lease));
    }

    @Test
    void watchDeliversDeltasInOrder() throws Exception {
        final long from = store.put("/w/start", bytes("0"), 0);
        final List<String> seen = new CopyOnWriteArrayList<>();
        try (AutoCloseable w = store.watch("/w/", from + 1, new KeyValueStore.WatchListener() {
            @Override
            public void changes(List<KeyValueStore.Event> events, long revision) {
                events.forEach(e -> seen.add((e.deleted() ? "-" : "+") + e.kv().key()));
            }

            @Override
            public long resync() {
                throw new AssertionError("no compaction here");
            }
        })) {
            store.put("/w/a", bytes("1"), 0);
            store.put("/w/b", bytes("2"), 0);
            store.txn(List.of(), List.of(new Op.Delete("/w/a", false)), List.of());
            store.put("/other", bytes("3"), 0);
            await("three events", Duration.ofSeconds(5), () -> seen.size() >= 3);
            assertEquals(List.of("+/w/a", "+/w/b", "-/w/a"), seen);
            await("the watch revision", Duration.ofSeconds(5), () -> store.watchRevision() > from);
        }
    }

    @Test
    void aCompactedStartMakesTheWatchReadEverythingAgain() throws Exception {
        final long old = store.put("/c/1", bytes("1"), 0);
        final long now = store.put("/c/2", bytes("2"), 0);
        final HttpResponse<String> compacted = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(url.resolve("/v3/kv/compaction"))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"revision\":\"" + now + "\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, compacted.statusCode(), compacted.body());
        final AtomicInteger resyncs = new AtomicInteger();
        final List<String> seen = new CopyOnWriteArrayList<>();
        try (AutoCloseable w = store.watch("/c/", old, new KeyValueStore.WatchListener() {
            @Override
            public void changes(List<KeyValueStore.Event> events, long revision) {
                events.forEach(e -> seen.add(e.kv().key()));
            }

            @Override
            public long resync() {
                // counted once read: a put the test makes after seeing the count is newer than the read
                final long revision = store.getPrefix("/c/").revision();
                resyncs.incrementAndGet();
                return revision;
            }
        })) {
            await("a re-read", Duration.ofSeconds(5), () -> resyncs.get() == 1);
            store.put("/c/3", bytes("3"), 0);
            await("the watch goes on after the re-read", Duration.ofSeconds(5), () -> seen.contains("/c/3"));
            assertTrue(store.requestCounts().getOrDefault("watch-compacted", 0L) >= 1);
        }
    }

    @Test
    void failsOverToTheNextEndpointAndFailsClearlyWhenNoneAnswers() {
        try (EtcdGateway two = new EtcdGateway(
                List.of(URI.create("http://127.0.0.1:" + deadPort), url),
                Duration.ofSeconds(1),
                Duration.ofSeconds(5))) {
            two.put("/f/x", bytes("1"), 0);
            assertEquals(url.toString(), two.currentEndpoint());
        }
        try (EtcdGateway none = new EtcdGateway(
                List.of(URI.create("http://127.0.0.1:" + deadPort)), Duration.ofSeconds(1), Duration.ofSeconds(5))) {
            final long start = System.nanoTime();
            final StoreUnavailableException e = assertThrows(StoreUnavailableException.class, () -> none.get("/f/x"));
            assertTrue(e.getMessage().contains("does not answer"), e.getMessage());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(3).toNanos());
        }
    }
}
