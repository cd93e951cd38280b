package io.jvswitch.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * What one {@code iperf3 -J} client run reports, read from its JSON: the receiver's view, since
 * what arrived is what a dataplane delivered.
 *
 * @param bitsPerSecond received throughput
 * @param bytes bytes received
 * @param seconds length of the receiving side's measurement
 * @param packets UDP datagrams sent (0 for TCP)
 * @param lostPackets UDP datagrams that did not arrive (0 for TCP)
 */
public record IperfResult(double bitsPerSecond, long bytes, double seconds, long packets, long lostPackets) {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Datagrams received per second (UDP). */
    public double receivedPacketsPerSecond() {
        return seconds > 0 ? (packets - lostPackets) / seconds : 0;
    }

    /** Share of datagrams lost, in percent (UDP). */
    public double lossPercent() {
        return packets > 0 ? 100.0 * lostPackets / packets : 0;
    }

    /**
     * Parses iperf3's JSON. iperf3 reports failures inside the JSON ({@code "error"}); those, and
     * output without the receiver's summary, are refused with the reason. Warnings iperf3 prints
     * before the JSON (a UDP block larger than the control connection's MSS, say) are skipped.
     */
    public static IperfResult parse(String json) {
        final JsonNode root;
        try {
            final int start = json.indexOf("\n{");
            root = MAPPER.readTree(json.startsWith("{") || start < 0 ? json : json.substring(start + 1));
        } catch (IOException e) {
            throw new IllegalArgumentException("iperf3 output is not JSON: " + firstLine(json));
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("iperf3 output is not a JSON object: " + firstLine(json));
        }
        if (root.hasNonNull("error")) {
            throw new IllegalArgumentException("iperf3: " + root.get("error").asText());
        }
        final JsonNode received = root.path("end").path("sum_received");
        if (!received.isObject() || !received.has("bytes") || !received.has("seconds")) {
            throw new IllegalArgumentException("iperf3 output has no end.sum_received summary");
        }
        final long packets = received.path("packets").asLong(0);
        final long lost = received.path("lost_packets").asLong(0);
        if (packets < 0 || lost < 0 || lost > packets) {
            throw new IllegalArgumentException("iperf3 reported " + lost + " lost of " + packets + " datagrams");
        }
        return new IperfResult(
                received.path("bits_per_second").asDouble(),
                received.path("bytes").asLong(),
                received.path("seconds").asDouble(),
                packets,
                lost);
    }

    private static String firstLine(String text) {
        final String stripped = text == null ? "" : text.strip();
        final int nl = stripped.indexOf('\n');
        return nl < 0 ? stripped : stripped.substring(0, nl);
    }
}
