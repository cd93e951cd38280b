package io.jvswitch.control.api;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.debug.DebugService;
import io.jvswitch.control.debug.TraceRequest;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.model.DaemonState;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.StateFile;
import io.jvswitch.control.service.MemoryWiring;
import io.jvswitch.control.service.NetworkService;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.IdleMode;
import io.jvswitch.switching.PortListener;
import io.jvswitch.switching.SwitchContext;
import io.jvswitch.switching.port.ReadySet;
import org.junit.jupiter.api.AfterAll;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Coverage-guided fuzz test of the daemon's HTTP API as {@link ApiRoutes#handle} sees it, over a real
 * {@link NetworkService} and dataplane with in-memory endpoints (the wiring of {@code NetworkServiceTest}).
 *
 * <p>Each input is a sequence of requests: a method, a path of the API with fuzzed names and query, and a body of
 * arbitrary bytes (the seeds are valid JSON requests, which the fuzzer mutates). State carries over from request to
 * request within an input and is cleaned up between inputs. Without {@code JAZZER_FUZZ} the inputs in
 * {@code src/test/resources/io/jvswitch/control/api/ApiJsonFuzzTestInputs/} are replayed as a regression test.
 *
 * <p>Properties, after every request:
 * <ul>
 * <li>the status is never 500 (an unhandled exception), only 200, 400, 404, 405 or 409;</li>
 * <li>the body is one valid JSON document, and an error carries a textual {@code error};</li>
 * <li>the state file loads with {@link StateFile#load()} and says what the service holds;</li>
 * <li>a refused request, and any GET, leaves the state file as it was;</li>
 * <li>the dataplane has exactly one port per endpoint, in its endpoint's network.</li>
 * </ul>
 */
class ApiJsonFuzzTest {
    static final String[] METHODS = {"GET", "POST", "DELETE", "PUT", "PATCH"};
    static final String[] PATHS = {
        "/v1/ping",
        "/v1/networks",
        "/v1/networks/{n}",
        "/v1/networks/{n}/fdb",
        "/v1/networks/{n}/stats",
        "/v1/endpoints",
        "/v1/endpoints/{e}",
        "/v1/ports",
        "/v1/ports/{e}/inject",
        "/v1/trace",
        "/v1/stats",
    };
    /** Names the seeds use: networks web and db, containers (namespaces) rose, tulip and lily. */
    static final String[] NAMES = {"web", "db", "rose", "tulip", "lily", ""};

    static final int MAX_REQUESTS = 16;
    static final Set<Integer> STATUSES = Set.of(200, 400, 404, 405, 409);

    /** Kept so the levels set below stick (java.util.logging holds loggers weakly). */
    static final List<Logger> QUIET = new ArrayList<>();

    static Fixture fixture;

    static {
        // Every created network and attached endpoint is logged at INFO: not at thousands per second.
        for (String name : List.of("jvs.control", "jvs.api", "jvs.debug")) {
            final Logger logger = Logger.getLogger(name);
            logger.setLevel(Level.SEVERE);
            QUIET.add(logger);
        }
    }

    @DictionaryEntries({
        "\"name\"",
        "\"driver\"",
        "\"subnet\"",
        "\"gateway\"",
        "\"ipRange\"",
        "\"auxAddresses\"",
        "\"internal\"",
        "\"mtu\"",
        "\"network\"",
        "\"container\"",
        "\"kind\"",
        "\"value\"",
        "\"netns\"",
        "\"pid\"",
        "\"docker\"",
        "\"ip\"",
        "\"mac\"",
        "\"ifname\"",
        "\"allowSpoofing\"",
        "\"from\"",
        "\"packet\"",
        "\"timeoutSeconds\"",
        "\"bridge\"",
        "10.1.0.0/24",
        "10.1.0.1",
        "172.18.0.0/16",
        "02:4a:0a:01:00:09",
        "tcp dst 10.1.0.3 port 80",
        "arp who-has 10.1.0.2",
        "true",
        "null",
        "9000",
        "?network=",
        "%2F",
        "%00",
        "\\u0000",
    })
    @FuzzTest
    void requests(FuzzedDataProvider data) throws Exception {
        if (fixture == null) {
            fixture = new Fixture();
        }
        boolean passed = false;
        try {
            for (int n = 0; n < MAX_REQUESTS && data.remainingBytes() > 0; n++) {
                final String method = METHODS[data.consumeInt(0, METHODS.length - 1)];
                final String uri = uri(data);
                final byte[] body = switch (data.consumeInt(0, 2)) {
                    case 0 -> null;
                    case 1 -> new byte[0];
                    default -> data.consumeBytes(data.consumeInt(0, 4095));
                };
                fixture.request(method, uri, body);
            }
            passed = true;
        } finally {
            // Each input starts from no networks; a fixture that cannot be cleaned is rebuilt (and, if nothing
            // else failed, reported).
            try {
                fixture.clean();
            } catch (RuntimeException | AssertionError e) {
                fixture.close();
                fixture = null;
                if (passed) {
                    throw e;
                }
            }
        }
    }

    /** A path of the API with fuzzed names, or any path at all; then sometimes a query. */
    static String uri(FuzzedDataProvider data) {
        final int template = data.consumeInt(0, PATHS.length);
        String path;
        if (template == PATHS.length) {
            path = text(data);
        } else {
            path = PATHS[template];
            if (path.contains("{n}")) {
                path = path.replace("{n}", name(data));
            }
            if (path.contains("{e}")) {
                path = path.replace("{e}", name(data));
            }
        }
        return switch (data.consumeInt(0, 2)) {
            case 0 -> path;
            case 1 -> path + "?network=" + name(data);
            default -> path + "?" + text(data);
        };
    }

    static String name(FuzzedDataProvider data) {
        final int pick = data.consumeInt(0, NAMES.length);
        return pick < NAMES.length ? NAMES[pick] : text(data);
    }

    /** Fuzzed text as a URI carries it: any byte, read as ISO-8859-1 so every byte is one character. */
    static String text(FuzzedDataProvider data) {
        return new String(data.consumeBytes(data.consumeInt(0, 64)), StandardCharsets.ISO_8859_1);
    }

    @AfterAll
    static void tearDown() {
        if (fixture != null) {
            fixture.close();
            fixture = null;
        }
    }

    /** A dataplane on its own thread and a NetworkService over memory ports, as in NetworkServiceTest. */
    static final class Fixture implements AutoCloseable {
        final ObjectMapper json = Json.mapper();
        final Path dir;
        final Path stateDir;
        final Dataplane dataplane;
        final StateFile store;
        final List<Throwable> dataplaneErrors = new ArrayList<>();
        NetworkService service;
        ApiRoutes api;

        Fixture() throws IOException {
            // tmpfs when there is one: every change is saved with fsync.
            final Path shm = Path.of("/dev/shm");
            dir = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "jvs-apifuzz")
                    : Files.createTempDirectory("jvs-apifuzz");
            for (String container : List.of("rose", "tulip", "lily")) {
                Files.createFile(dir.resolve("ns-" + container));
            }
            stateDir = dir.resolve("state");
            store = new StateFile(stateDir, json);
            dataplane = new Dataplane(
                    new SwitchContext().idleMode(IdleMode.BACKOFF),
                    ReadySet.NONE,
                    PortListener.NONE,
                    (Throwable t) -> dataplaneErrors.add(t));
            dataplane.start();
            fresh();
        }

        /** A new service over an empty state, as a daemon starting for the first time. */
        void fresh() {
            service = new NetworkService(
                    dataplane, store, new MemoryWiring(dir, false), () -> List.of(Cidr.parse("172.17.0.0/16")));
            service.restore();
            api = new ApiRoutes(service, new DebugService(service, dataplane, () -> 0), json);
        }

        void request(String method, String uri, byte[] body) throws IOException {
            if (armsATrace(method, uri, body)) {
                return; // it would wait up to its timeout for a real frame: not something to fuzz
            }
            final byte[] stateBefore = stateBytes();
            final ApiResponse response = api.handle(method, uri, body);
            final String where = method + " " + uri + " -> " + response.status();

            check(
                    response.status() != 500,
                    "internal error (an unhandled exception): " + where + " "
                            + new String(response.body(), StandardCharsets.UTF_8));
            check(STATUSES.contains(response.status()), "unexpected status: " + where);
            final JsonNode answer;
            try {
                answer = json.readTree(response.body());
            } catch (IOException e) {
                throw new AssertionError("the response is not JSON: " + where + ": " + e.getMessage(), e);
            }
            check(answer != null && !answer.isMissingNode(), "empty response body: " + where);
            if (!response.ok()) {
                check(answer.path("error").isTextual(), "an error without a textual 'error': " + where);
            }
            if (!response.ok() || method.equals("GET")) {
                check(Arrays.equals(stateBefore, stateBytes()), "the state file changed on " + where);
            }
            checkState(where);
            check(dataplaneErrors.isEmpty(), "the dataplane thread failed: " + dataplaneErrors);
        }

        /** Whether this is a trace of the next real frame ({@code match}), which would block for seconds. */
        boolean armsATrace(String method, String uri, byte[] body) {
            final int q = uri.indexOf('?');
            final String[] p = (q < 0 ? uri : uri.substring(0, q))
                    .replaceAll("^/+|/+$", "")
                    .split("/");
            if (!method.equals("POST")
                    || p.length != 2
                    || !p[0].equals("v1")
                    || !p[1].equals("trace")
                    || body == null
                    || body.length == 0) {
                return false;
            }
            try {
                final TraceRequest request = json.readValue(body, TraceRequest.class);
                return request.packet() == null && request.match() != null;
            } catch (IOException | RuntimeException e) {
                return false; // the API will refuse it the same way
            }
        }

        byte[] stateBytes() throws IOException {
            final Path file = store.file();
            return Files.exists(file) ? Files.readAllBytes(file) : null;
        }

        /** The saved state loads and is what the service holds; the dataplane has one port per endpoint. */
        void checkState(String where) {
            final DaemonState saved;
            try {
                saved = store.load();
            } catch (RuntimeException e) {
                throw new AssertionError("the state file does not load after " + where + ": " + e.getMessage(), e);
            }
            check(
                    saved.networks().stream()
                            .map(NetworkRecord::name)
                            .toList()
                            .equals(service.networks().stream()
                                    .map(NetworkRecord::name)
                                    .toList()),
                    "saved networks differ from the service's after " + where);
            check(
                    saved.endpoints().stream()
                            .map(EndpointRecord::id)
                            .toList()
                            .equals(service.endpoints().stream()
                                    .map(EndpointRecord::id)
                                    .toList()),
                    "saved endpoints differ from the service's after " + where);
            final var ports = service.portStats();
            check(
                    ports.size() == service.endpoints().size(),
                    "the dataplane has " + ports.size() + " ports for "
                            + service.endpoints().size() + " endpoints after " + where);
            for (NetworkRecord network : service.networks()) {
                final long members = ports.stream()
                        .filter(p -> p.network().equals(network.name()))
                        .count();
                check(
                        members == service.endpointsOn(network.name()).size(),
                        "network " + network.name() + " has " + members + " ports in the dataplane after " + where);
            }
        }

        /** Back to no networks, through the service, and to no state file. */
        void clean() throws IOException {
            for (EndpointRecord endpoint : service.endpoints()) {
                service.detach(endpoint.name(), endpoint.network());
            }
            for (NetworkRecord network : service.networks()) {
                service.removeNetwork(network.name());
            }
            check(Dataplane.await(dataplane.portStats()).isEmpty(), "ports left in the dataplane after cleaning");
            Files.deleteIfExists(store.file());
            fresh();
        }

        @Override
        public void close() {
            dataplane.close();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // a temporary directory left behind
            }
        }
    }

    static void check(boolean condition, String property) {
        if (!condition) {
            throw new AssertionError(property);
        }
    }
}
