package io.jvswitch.control.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * etcd v3 through its JSON gateway ({@code /v3/kv/range}, {@code put}, {@code txn}, {@code
 * deleterange}, {@code /v3/lease/*}, the streaming {@code /v3/watch}), with the JDK's HTTP client
 * and Jackson: keys and values base64, 64-bit numbers as JSON strings. Works against etcd 3.4
 * (Debian's) and 3.5/3.6, which serve the same {@code /v3/} paths.
 *
 * <p>Why not jetcd: {@code mvn dependency:tree} of io.etcd:jetcd-core 0.8.6 (checked on a scratch
 * pom) brings Vert.x 5 (vertx-core, vertx-grpc) with netty 4.2.7, grpc-java 1.76 whose grpc-netty
 * asks for netty 4.1.124 (codec-http2, codec, handler-proxy, native-unix-common), protobuf-java,
 * Guava and Failsafe. Our netty-bom would force grpc-netty, built for 4.1, onto the dataplane's
 * pinned netty 4.2.18 epoll line (or, unmanaged, 4.1 and 4.2 jars side by side): all that for
 * the six calls used here, each of which maps one-to-one onto a gateway path.
 * The price is written here: failover, timeouts and the watch's resume.
 *
 * <p>Failover: requests go to the endpoint that answered last; one that fails (connection refused,
 * timeout, a 5xx or an "unavailable" answer) sends the request on to the next, each endpoint tried
 * once per request. Every request has a deadline ({@code requestTimeout}); a half-open connection
 * therefore costs one timeout, not a hang. The watch runs on its own thread over one long-lived
 * response, asks for progress notifications, and is torn down and re-opened from the last
 * revision it delivered when nothing (not even a progress notification) arrived for {@code
 * watchIdle}; a compacted start revision makes it ask its listener to re-read everything.
 */
public final class EtcdGateway implements KeyValueStore {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();
    /** Keys per request of a full read: about 600 kB of JSON. */
    public static final int PAGE = 2_000;

    private final List<URI> endpoints;
    private final Duration requestTimeout;
    private final Duration watchIdle;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicInteger current = new AtomicInteger();
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private volatile long watchRevision;
    private final List<EtcdWatch> watchers = new ArrayList<>();

    /** {@code endpoints}: base URLs such as {@code http://10.0.0.1:2379}. */
    public EtcdGateway(List<URI> endpoints, Duration requestTimeout, Duration watchIdle) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoint");
        }
        this.endpoints = List.copyOf(endpoints);
        this.requestTimeout = requestTimeout;
        this.watchIdle = watchIdle;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(requestTimeout)
                .build();
    }

    // ---- reads and writes --------------------------------------------------------------------

    @Override
    public Range get(String key) {
        final ObjectNode body = json.createObjectNode().put("key", b64(key));
        return range(request("range", "/v3/kv/range", body, requestTimeout));
    }

    /**
     * Reads in pages of {@link #PAGE} keys, all at the revision of the first: one answer for a
     * store of 40,000 keys (12 MB of JSON) did not arrive within the request deadline on a loaded
     * machine, and the daemon could not join.
     */
    @Override
    public Range getPrefix(String prefix) {
        final List<KeyValue> all = new ArrayList<>();
        long revision = 0;
        String from = b64(prefix);
        while (true) {
            final ObjectNode body = json.createObjectNode()
                    .put("key", from)
                    .put("range_end", rangeEnd(prefix))
                    .put("limit", PAGE);
            if (revision != 0) {
                body.put("revision", revision);
            }
            final JsonNode answer = request("range", "/v3/kv/range", body, requestTimeout);
            if (revision == 0) {
                revision = answer.path("header").path("revision").asLong();
            }
            final Range page = range(answer, revision);
            all.addAll(page.kvs());
            if (!answer.path("more").asBoolean(false) || page.kvs().isEmpty()) {
                return new Range(revision, all);
            }
            // the next page starts just after the last key read: that key and a zero byte
            final byte[] last = page.kvs().getLast().key().getBytes(StandardCharsets.UTF_8);
            from = B64.encodeToString(Arrays.copyOf(last, last.length + 1));
        }
    }

    @Override
    public long put(String key, byte[] value, long lease) {
        final JsonNode answer = request("put", "/v3/kv/put", putBody(key, value, lease), requestTimeout);
        return answer.path("header").path("revision").asLong();
    }

    @Override
    public TxnResult txn(List<Compare> compares, List<Op> success, List<Op> failure) {
        final ObjectNode body = json.createObjectNode();
        final ArrayNode compare = body.putArray("compare");
        for (Compare c : compares) {
            final ObjectNode node = compare.addObject().put("key", b64(c.key())).put("result", "EQUAL");
            switch (c.target()) {
                case CREATE -> node.put("target", "CREATE").put("create_revision", Long.toString(c.value()));
                case MOD -> node.put("target", "MOD").put("mod_revision", Long.toString(c.value()));
                case VERSION -> node.put("target", "VERSION").put("version", Long.toString(c.value()));
            }
        }
        ops(body.putArray("success"), success);
        ops(body.putArray("failure"), failure);
        final JsonNode answer = request("txn", "/v3/kv/txn", body, requestTimeout);
        final List<Range> ranges = new ArrayList<>();
        final long revision = answer.path("header").path("revision").asLong();
        for (JsonNode response : answer.path("responses")) {
            if (response.has("response_range")) {
                ranges.add(range(response.path("response_range"), revision));
            }
        }
        return new TxnResult(answer.path("succeeded").asBoolean(false), revision, ranges);
    }

    private void ops(ArrayNode into, List<Op> ops) {
        for (Op op : ops) {
            switch (op) {
                case Op.Put p -> into.addObject().set("request_put", putBody(p.key(), p.value(), p.lease()));
                case Op.Delete d -> {
                    final ObjectNode node = into.addObject().putObject("request_delete_range");
                    node.put("key", b64(d.key()));
                    if (d.prefix()) {
                        node.put("range_end", rangeEnd(d.key()));
                    }
                }
                case Op.Get g -> into.addObject().putObject("request_range").put("key", b64(g.key()));
            }
        }
    }

    private ObjectNode putBody(String key, byte[] value, long lease) {
        final ObjectNode body = json.createObjectNode().put("key", b64(key)).put("value", B64.encodeToString(value));
        if (lease != 0) {
            body.put("lease", Long.toString(lease));
        }
        return body;
    }

    // ---- leases ------------------------------------------------------------------------------

    @Override
    public long grantLease(long ttlSeconds) {
        final JsonNode answer = request(
                "lease-grant",
                "/v3/lease/grant",
                json.createObjectNode().put("TTL", Long.toString(ttlSeconds)),
                requestTimeout);
        final long id = answer.path("ID").asLong();
        if (id == 0) {
            throw new IllegalStateException("etcd granted no lease: " + answer);
        }
        return id;
    }

    @Override
    public long keepAlive(long lease) {
        final JsonNode answer = request(
                "keepalive",
                "/v3/lease/keepalive",
                json.createObjectNode().put("ID", Long.toString(lease)),
                requestTimeout);
        return answer.path("result").path("TTL").asLong(0);
    }

    @Override
    public void revokeLease(long lease) {
        try {
            request(
                    "lease-revoke",
                    "/v3/lease/revoke",
                    json.createObjectNode().put("ID", Long.toString(lease)),
                    requestTimeout);
        } catch (IllegalStateException e) {
            // already gone
        }
    }

    // ---- one request, with failover ------------------------------------------------------------

    private JsonNode request(String kind, String path, JsonNode body, Duration timeout) {
        final byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
        Exception last = null;
        final int start = current.get();
        for (int attempt = 0; attempt < endpoints.size(); attempt++) {
            final int index = (start + attempt) % endpoints.size();
            count(kind);
            try {
                final HttpResponse<byte[]> response = http.send(
                        HttpRequest.newBuilder(endpoints.get(index).resolve(path))
                                .timeout(timeout)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                final JsonNode answer = parse(response.body());
                if (response.statusCode() == 200 && !answer.has("error")) {
                    current.set(index);
                    return answer;
                }
                final int code = answer.path("code").asInt(-1);
                final String message = answer.path("error").asText("HTTP " + response.statusCode());
                // 14 unavailable, 4 deadline exceeded (no leader, a member cut off): another member may answer
                if (response.statusCode() >= 500 && (code == 14 || code == 4 || code == -1)) {
                    last = new IOException(endpoints.get(index) + ": " + message);
                    continue;
                }
                current.set(index);
                throw new IllegalStateException("etcd: " + message);
            } catch (IOException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreUnavailableException("interrupted", e);
            }
        }
        count("failed");
        throw new StoreUnavailableException(
                "the cluster store does not answer (" + endpointList() + "): " + describe(last), last);
    }

    private JsonNode parse(byte[] body) throws IOException {
        if (body == null || body.length == 0) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new IOException(
                    "not JSON: " + new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8));
        }
    }

    private static String describe(Exception e) {
        if (e == null) {
            return "no endpoint";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private String endpointList() {
        return String.join(",", endpoints.stream().map(URI::toString).toList());
    }

    void count(String kind) {
        counts.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    @Override
    public String currentEndpoint() {
        return endpoints.get(current.get()).toString();
    }

    @Override
    public Map<String, Long> requestCounts() {
        final Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    @Override
    public long watchRevision() {
        return watchRevision;
    }

    // ---- decoding ----------------------------------------------------------------------------

    private Range range(JsonNode answer) {
        return range(answer, answer.path("header").path("revision").asLong());
    }

    private Range range(JsonNode answer, long revision) {
        final List<KeyValue> kvs = new ArrayList<>();
        for (JsonNode kv : answer.path("kvs")) {
            kvs.add(keyValue(kv));
        }
        return new Range(revision, kvs);
    }

    static KeyValue keyValue(JsonNode kv) {
        return new KeyValue(
                new String(B64D.decode(kv.path("key").asText()), StandardCharsets.UTF_8),
                kv.has("value") ? B64D.decode(kv.path("value").asText()) : new byte[0],
                kv.path("create_revision").asLong(),
                kv.path("mod_revision").asLong(),
                kv.path("version").asLong(),
                kv.path("lease").asLong());
    }

    static String b64(String key) {
        return B64.encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The first key after every key that starts with {@code prefix}. */
    static String rangeEnd(String prefix) {
        final byte[] bytes = prefix.getBytes(StandardCharsets.UTF_8);
        final byte[] end = Arrays.copyOf(bytes, bytes.length);
        for (int i = end.length - 1; i >= 0; i--) {
            if ((end[i] & 0xFF) != 0xFF) {
                end[i]++;
                return B64.encodeToString(Arrays.copyOf(end, i + 1));
            }
        }
        return B64.encodeToString(new byte[] {0});
    }

    // ---- watch (EtcdWatch, one thread per watch) ---------------------------------------------

    List<URI> endpoints() {
        return endpoints;
    }

    /** The endpoint that answered last. */
    int currentIndex() {
        return current.get();
    }

    HttpClient http() {
        return http;
    }

    ObjectMapper json() {
        return json;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    Duration watchIdle() {
        return watchIdle;
    }

    /** A watch has delivered everything up to {@code revision}. */
    void watchedTo(long revision) {
        watchRevision = revision;
    }

    @Override
    public synchronized AutoCloseable watch(String prefix, long fromRevision, WatchListener listener) {
        final EtcdWatch watcher = new EtcdWatch(this, prefix, fromRevision, listener);
        watchers.add(watcher);
        watcher.start();
        return watcher;
    }

    @Override
    public synchronized void close() {
        for (EtcdWatch w : watchers) {
            w.close();
        }
        watchers.clear();
        http.close();
    }
}
