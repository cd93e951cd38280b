package io.jvswitch.control.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.api.Json;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.DaemonState;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.StateFile;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The state in cluster mode: the local file first, mirrored into a store under the host's name, and
 * taken back from the store when the file is missing. Against an in-memory store that can be
 * switched off (the real etcd is in {@code ClusterStateIT}).
 */
class ClusterStateStoreTest {
    private static final String KEY = new ClusterKeys(ClusterKeys.DEFAULT_PREFIX).hostState("h1");

    @TempDir
    Path dir;

    private final MemoryStore store = new MemoryStore();
    private StateMirror mirror;

    @AfterEach
    void closeMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    private ClusterStateStore open(String host) {
        if (mirror != null) {
            mirror.close();
        }
        mirror = new StateMirror(store, KEY);
        return new ClusterStateStore(new StateFile(dir, Json.mapper()), store, mirror, host, Json.mapper());
    }

    private static DaemonState oneEndpoint(String ip) {
        final NetworkRecord network = new NetworkRecord(
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                1,
                "web",
                "bridge",
                "10.93.0.0/24",
                "10.93.0.1",
                null,
                Map.of(),
                false,
                1500,
                "2026-12-01T10:00:00Z");
        final EndpointRecord endpoint = new EndpointRecord(
                "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
                "a",
                "web",
                new ContainerRef(ContainerRef.Kind.NETNS, "a"),
                "eth0",
                "02:4a:0a:5d:00:02",
                ip,
                "2026-12-01T10:00:01Z",
                false,
                List.of("alias-a"),
                List.of(),
                null);
        return new DaemonState(DaemonState.VERSION, List.of(network), List.of(endpoint));
    }

    private String mirrored() {
        final byte[] value = store.values.get(KEY);
        return value == null ? "" : new String(value, StandardCharsets.UTF_8);
    }

    @Test
    void aSaveWritesTheFileAndMirrorsItUnderTheHostsKey() throws Exception {
        final ClusterStateStore state = open("h1");
        assertTrue(state.load().networks().isEmpty());
        state.save(oneEndpoint("10.93.0.2"));
        assertTrue(Files.readString(dir.resolve("state.json")).contains("10.93.0.2"));
        Await.until(
                "the state in the store",
                Duration.ofSeconds(5),
                () -> state.status().get("mirrored").equals(1L));
        assertTrue(mirrored().contains("10.93.0.2"), mirrored());
        assertTrue(mirrored().contains("\"host\":\"h1\""), mirrored());
    }

    @Test
    void withNoStateFileTheStateComesBackFromTheStoreAndIsWrittenLocally() throws Exception {
        open("h1").save(oneEndpoint("10.93.0.7"));
        Await.until(
                "the state in the store",
                Duration.ofSeconds(5),
                () -> mirrored().contains("10.93.0.7"));
        Files.delete(dir.resolve("state.json"));
        final ClusterStateStore restarted = open("h1");
        final DaemonState restored = restarted.load();
        assertEquals(oneEndpoint("10.93.0.7"), restored);
        assertEquals("cluster store", restarted.status().get("loadedFrom"));
        assertEquals(restored, new StateFile(dir, Json.mapper()).load());
    }

    @Test
    void anEmptyStateFileIsRestoredFromTheStoreToo() throws Exception {
        open("h1").save(oneEndpoint("10.93.0.8"));
        Await.until(
                "the state in the store",
                Duration.ofSeconds(5),
                () -> mirrored().contains("10.93.0.8"));
        Files.write(dir.resolve("state.json"), new byte[0]);
        assertEquals(oneEndpoint("10.93.0.8"), open("h1").load());
    }

    @Test
    void theLocalFileWinsOverAnOlderRecordAndRefreshesIt() throws Exception {
        open("h1").save(oneEndpoint("10.93.0.2"));
        Await.until(
                "the state in the store",
                Duration.ofSeconds(5),
                () -> mirrored().contains("10.93.0.2"));
        store.down = true;
        final ClusterStateStore before = open("h1");
        before.save(oneEndpoint("10.93.0.3")); // not mirrored: the store is gone
        Await.until(
                "the mirror failed",
                Duration.ofSeconds(5),
                () -> (long) before.status().get("failures") > 0);
        final ClusterStateStore restarted = open("h1"); // the daemon stops while the store is gone
        assertTrue(mirrored().contains("10.93.0.2"), mirrored());
        store.down = false;
        assertEquals("10.93.0.3", restarted.load().endpoints().getFirst().ipv4());
        assertEquals("local file", restarted.status().get("loadedFrom"));
        Await.until(
                "the record refreshed from the file",
                Duration.ofSeconds(5),
                () -> mirrored().contains("10.93.0.3"));
    }

    @Test
    void aStoreThatIsGoneNeverFailsTheSaveAndGetsTheLatestStateWhenBack() throws Exception {
        final ClusterStateStore state = open("h1");
        state.load();
        store.down = true;
        state.save(oneEndpoint("10.93.0.2"));
        state.save(oneEndpoint("10.93.0.4"));
        assertTrue(Files.readString(dir.resolve("state.json")).contains("10.93.0.4"));
        Await.until(
                "a failure counted",
                Duration.ofSeconds(5),
                () -> (long) state.status().get("failures") > 0);
        assertEquals(true, state.status().get("pending"));
        store.down = false;
        mirror.retry(); // what the agent does when the store answers again
        Await.until(
                "the latest state in the store",
                Duration.ofSeconds(5),
                () -> mirrored().contains("10.93.0.4"));
        assertEquals(false, state.status().get("pending"));
    }

    @Test
    void garbageOrAnotherHostsRecordIsIgnoredAndCounted() {
        store.values.put(KEY, "{not json".getBytes(StandardCharsets.UTF_8));
        final ClusterStateStore state = open("h1");
        assertTrue(state.load().networks().isEmpty());
        assertEquals(1L, state.status().get("ignoredRecords"));
        assertFalse(Files.exists(dir.resolve("state.json")));

        store.values.put(
                KEY,
                ("{\"host\":\"h2\",\"savedAt\":\"x\",\"state\":{\"version\":1,\"networks\":[],\"endpoints\":[]}}")
                        .getBytes(StandardCharsets.UTF_8));
        final ClusterStateStore other = open("h1");
        assertTrue(other.load().networks().isEmpty());
        assertEquals(1L, other.status().get("ignoredRecords"));
        assertEquals("none", other.status().get("loadedFrom"));
    }

    @Test
    void noStateFileAndAStoreThatDoesNotAnswerRefusesToStartRatherThanOverwriteTheRecord() {
        store.down = true;
        final IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> open("h1").load());
        assertTrue(e.getMessage().contains("cannot be read"), e.getMessage());
    }

    @Test
    void aStateLargerThanTheBoundIsNotMirroredAndCounted() {
        final StateMirror bounded = new StateMirror(store, KEY);
        try {
            bounded.offer(new byte[StateMirror.MAX_BYTES + 1]);
            bounded.offer(new byte[StateMirror.MAX_BYTES + 1]);
            assertEquals(2L, bounded.status().get("tooLarge"));
            assertEquals(false, bounded.status().get("pending"));
        } finally {
            bounded.close();
        }
        assertFalse(store.values.containsKey(KEY));
    }

    /** Keys and values in a map; {@code down} makes every request fail as an unreachable store does. */
    private static final class MemoryStore implements KeyValueStore {
        final Map<String, byte[]> values = new ConcurrentHashMap<>();
        final AtomicLong revision = new AtomicLong();
        volatile boolean down;

        private void answer() {
            if (down) {
                throw new StoreUnavailableException("no endpoint answered (test store is down)", null);
            }
        }

        @Override
        public Range get(String key) {
            answer();
            final byte[] value = values.get(key);
            final long rev = revision.get();
            return new Range(rev, value == null ? List.of() : List.of(new KeyValue(key, value, rev, rev, 1, 0)));
        }

        @Override
        public Range getPrefix(String prefix) {
            throw new UnsupportedOperationException("not used by the state store");
        }

        @Override
        public long put(String key, byte[] value, long lease) {
            answer();
            values.put(key, value);
            return revision.incrementAndGet();
        }

        @Override
        public TxnResult txn(List<Compare> compares, List<Op> success, List<Op> failure) {
            throw new UnsupportedOperationException("not used by the state store");
        }

        @Override
        public long grantLease(long ttlSeconds) {
            throw new UnsupportedOperationException("not used by the state store");
        }

        @Override
        public long keepAlive(long lease) {
            throw new UnsupportedOperationException("not used by the state store");
        }

        @Override
        public void revokeLease(long lease) {
            throw new UnsupportedOperationException("not used by the state store");
        }

        @Override
        public AutoCloseable watch(String prefix, long fromRevision, WatchListener listener) {
            throw new UnsupportedOperationException("not used by the state store");
        }

        @Override
        public String currentEndpoint() {
            return "memory";
        }

        @Override
        public Map<String, Long> requestCounts() {
            return Map.of();
        }

        @Override
        public long watchRevision() {
            return 0;
        }

        @Override
        public void close() {
            // nothing held
        }
    }
}
