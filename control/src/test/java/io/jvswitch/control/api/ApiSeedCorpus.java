package io.jvswitch.control.api;

import io.jvswitch.testsupport.FuzzSeed;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Writes the seed corpus of {@link ApiJsonFuzzTest}: sessions of valid requests (what the CLI sends) and refused
 * ones, each encoded exactly as {@link ApiJsonFuzzTest#requests} consumes its input. Not a test:
 *
 * <pre>
 * java -cp control/target/test-classes io.jvswitch.control.api.ApiSeedCorpus \
 *     control/src/test/resources/io/jvswitch/control/api/ApiJsonFuzzTestInputs/requests
 * </pre>
 */
public final class ApiSeedCorpus {
    static final int PING = 0;
    static final int NETWORKS = 1;
    static final int NETWORK = 2;
    static final int FDB = 3;
    static final int NETWORK_STATS = 4;
    static final int ENDPOINTS = 5;
    static final int ENDPOINT = 6;
    static final int PORTS = 7;
    static final int INJECT = 8;
    static final int TRACE = 9;
    static final int STATS = 10;
    static final int RAW = 11;

    static final String WEB = "{\"name\":\"web\",\"subnet\":\"10.1.0.0/24\"}";
    static final String ROSE = "{\"network\":\"web\",\"container\":{\"kind\":\"netns\",\"value\":\"rose\"}}";
    static final String TULIP = "{\"network\":\"web\",\"container\":{\"kind\":\"netns\",\"value\":\"tulip\"},"
            + "\"name\":\"t\",\"ip\":\"10.1.0.200\",\"mac\":\"02:00:00:00:00:aa\",\"ifname\":\"net0\",\"allowSpoofing\":true}";

    private ApiSeedCorpus() {}

    public static void main(String[] args) throws IOException {
        final Path out = Files.createDirectories(Path.of(args[0]));

        new Session().req("GET", PING, null, null, null).write(out, "ping");
        new Session()
                .req("POST", NETWORKS, null, null, WEB)
                .req("GET", NETWORKS, null, null, null)
                .req("GET", NETWORK, "web", null, null)
                .req("GET", NETWORK_STATS, "web", null, null)
                .req("GET", FDB, "web", null, null)
                .req("DELETE", NETWORK, "web", null, null)
                .write(out, "network-lifecycle");
        new Session()
                .req(
                        "POST",
                        NETWORKS,
                        null,
                        null,
                        "{\"name\":\"db\",\"driver\":\"bridge\",\"subnet\":\"10.2.0.0/16\","
                                + "\"gateway\":\"10.2.0.254\",\"ipRange\":\"10.2.1.0/24\",\"auxAddresses\":{\"router\":\"10.2.0.2\"},"
                                + "\"internal\":true,\"mtu\":9000}")
                .req("POST", NETWORKS, null, null, "{\"name\":\"web\"}")
                .req("POST", NETWORKS, null, null, "{\"name\":\"x1\"}")
                .req("GET", NETWORKS, null, null, null)
                .write(out, "network-all-fields-and-default-subnets");

        final byte[] arp = HexFormat.of()
                .parseHex("ffffffffffff02000000000a0806000108000604000102000000000a0a0100c8" + "0000000000000a010002");
        final byte[] batch = ByteBuffer.allocate(8 + 2 * arp.length)
                .putInt(arp.length)
                .put(arp)
                .putInt(arp.length)
                .put(arp)
                .array();
        new Session()
                .req("POST", NETWORKS, null, null, WEB)
                .req("POST", ENDPOINTS, null, null, ROSE)
                .req("POST", ENDPOINTS, null, null, TULIP)
                .req("GET", ENDPOINTS, null, null, null)
                .req("POST", INJECT, "t", "web", batch)
                .req(
                        "POST",
                        TRACE,
                        null,
                        null,
                        "{\"from\":\"rose\",\"packet\":\"tcp dst 10.1.0.200 port 80 flags sa\"}")
                .req(
                        "POST",
                        TRACE,
                        null,
                        null,
                        "{\"from\":\"t\",\"network\":\"web\",\"packet\":\"arp who-has 10.1.0.2\"}")
                .req(
                        "POST",
                        TRACE,
                        null,
                        null,
                        "{\"from\":\"rose\",\"packet\":\"udp src 10.9.9.9 sport 5 dst 8.8.8.8 port 53\"}")
                .req("GET", PORTS, null, null, null)
                .req("GET", STATS, null, null, null)
                .req("DELETE", NETWORK, "web", null, null)
                .req("DELETE", ENDPOINT, "rose", "web", null)
                .req("DELETE", ENDPOINT, "t", null, null)
                .req("DELETE", NETWORK, "web", null, null)
                .write(out, "attach-inject-trace-detach");

        // Refused requests: none may change anything.
        new Session()
                .req("POST", NETWORKS, null, null, "{\"name\":\"a\",\"subnetz\":\"10.0.0.0/24\"}")
                .req("POST", NETWORKS, null, null, "{\"name\":")
                .req("POST", NETWORKS, null, null, "{\"name\":\"a\",\"mtu\":\"big\"}")
                .req("POST", NETWORKS, null, null, "{\"name\":\"a\",\"mtu\":10}")
                .req("POST", NETWORKS, null, null, "{\"name\":\"a\",\"subnet\":\"10.1.0.0/33\"}")
                .req(
                        "POST",
                        NETWORKS,
                        null,
                        null,
                        "{\"name\":\"a\",\"subnet\":\"300.1.0.0/24\",\"gateway\":\"10.1.0.1\"}")
                .req("POST", NETWORKS, null, null, "{\"name\":\"-bad/name\"}")
                .req("POST", NETWORKS, null, null, "[]")
                .req("POST", NETWORKS, null, null, "{\"name\":\"a\"} {}")
                .req("POST", ENDPOINTS, null, null, null)
                .req("PUT", NETWORKS, null, null, null)
                .req("GET", RAW, "/v2/nothing", null, null)
                .req("GET", RAW, "//v1//networks//", null, null)
                .write(out, "refused-networks");
        new Session()
                .req("POST", NETWORKS, null, null, WEB)
                .req("POST", NETWORKS, null, null, "{\"name\":\"db\",\"subnet\":\"10.1.0.128/25\"}")
                .req(
                        "POST",
                        ENDPOINTS,
                        null,
                        null,
                        "{\"network\":\"web\",\"container\":{\"kind\":\"netns\",\"value\":\"nobody\"}}")
                .req(
                        "POST",
                        ENDPOINTS,
                        null,
                        null,
                        "{\"network\":\"web\",\"container\":{\"kind\":\"pid\",\"value\":\"1\"}}")
                .req(
                        "POST",
                        ENDPOINTS,
                        null,
                        null,
                        "{\"network\":\"web\",\"container\":{\"kind\":\"netns\",\"value\":\"lily\"},"
                                + "\"mac\":\"01:00:5e:00:00:01\"}")
                .req(
                        "POST",
                        ENDPOINTS,
                        null,
                        null,
                        "{\"network\":\"web\",\"container\":{\"kind\":\"netns\",\"value\":\"lily\"},"
                                + "\"ip\":\"10.9.0.1\"}")
                .req(
                        "POST",
                        ENDPOINTS,
                        null,
                        null,
                        "{\"network\":\"web\",\"container\":{\"kind\":\"netns\",\"value\":\"lily\"},"
                                + "\"ifname\":\"a-name-that-is-too-long\"}")
                .req("POST", ENDPOINTS, null, null, ROSE)
                .req("POST", ENDPOINTS, null, null, ROSE)
                .req("POST", INJECT, "rose", null, new byte[] {0, 0, 0, 13, 1, 2, 3})
                .req("POST", TRACE, null, null, "{\"from\":\"rose\",\"packet\":\"tcp dst 10.1.0.3\"}")
                .req(
                        "POST",
                        TRACE,
                        null,
                        null,
                        "{\"from\":\"rose\",\"packet\":\"tcp dst 10.1.0.3 port 80\",\"match\":\"tcp\"}")
                .req("DELETE", ENDPOINT, "nobody", "web", null)
                .req("DELETE", NETWORK, "web", null, null)
                .write(out, "refused-endpoints");

        // Findings of the fuzzer, reduced by hand: they fail until the bug they show is fixed. A body starting
        // with bytes Jackson takes for an unsupported UCS-4 byte order is refused with an IOException that is
        // not a JsonProcessingException, which the API answered with 500.
        final byte[] ucs4 = {0, 0, (byte) 0xFF, (byte) 0xFE, '{', '}', 0, 0};
        new Session()
                .req("POST", NETWORKS, null, null, ucs4)
                .req("POST", ENDPOINTS, null, null, ucs4)
                .req("POST", TRACE, null, null, ucs4)
                .write(out, "crash-ucs4-byte-order-body-is-internal-error");
    }

    /** Requests encoded the way the fuzz test reads them ({@link FuzzSeed}). */
    static final class Session {
        private final FuzzSeed input = new FuzzSeed();

        /**
         * @param name  the {n} or {e} of the path, or the whole path for {@link #RAW}
         * @param query the value of {@code ?network=}, or null for none
         */
        Session req(String method, int path, String name, String query, Object body) {
            range(Arrays.asList(ApiJsonFuzzTest.METHODS).indexOf(method), 0, ApiJsonFuzzTest.METHODS.length - 1);
            range(path, 0, ApiJsonFuzzTest.PATHS.length);
            if (path == RAW) {
                text(name);
            } else if (ApiJsonFuzzTest.PATHS[path].contains("{")) {
                name(name);
            }
            if (query == null) {
                range(0, 0, 2);
            } else {
                range(1, 0, 2);
                name(query);
            }
            if (body == null) {
                range(0, 0, 2);
            } else {
                final byte[] bytes = body instanceof byte[] b ? b : ((String) body).getBytes(StandardCharsets.UTF_8);
                range(2, 0, 2).range(bytes.length, 0, 4095);
                input.front(bytes);
            }
            return this;
        }

        private void name(String name) {
            final int pick = Arrays.asList(ApiJsonFuzzTest.NAMES).indexOf(name);
            if (pick >= 0) {
                range(pick, 0, ApiJsonFuzzTest.NAMES.length);
            } else {
                range(ApiJsonFuzzTest.NAMES.length, 0, ApiJsonFuzzTest.NAMES.length);
                text(name);
            }
        }

        private void text(String text) {
            final byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
            range(bytes.length, 0, 64);
            input.front(bytes);
        }

        private Session range(int value, int min, int max) {
            input.range(value, min, max);
            return this;
        }

        void write(Path dir, String name) throws IOException {
            input.write(dir, name);
        }
    }
}
