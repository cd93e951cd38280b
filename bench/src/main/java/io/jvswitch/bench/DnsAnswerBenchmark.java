package io.jvswitch.bench;

import io.jvswitch.dns.DnsContext;
import io.jvswitch.dns.DnsEndpointName;
import io.jvswitch.dns.DnsNetwork;
import io.jvswitch.dns.DnsService;
import io.jvswitch.switching.service.GatewayDatagramService;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import java.io.ByteArrayOutputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The DNS responder's local answer path as the dataplane calls it ({@link GatewayDatagramService#handle}):
 * parse the query, find the name among 1000 endpoints on 10 networks, check the asker's scope,
 * write the answer over the query. One invocation restores the 40-odd query bytes (the stand-in
 * for the datagram arriving) and answers it; run with {@code -prof gc} to see it allocates nothing.
 *
 * <p>{@code query}: {@code a} (a name, one A record), {@code alias} (an alias shared by two
 * endpoints, rotated), {@code ptr} (a reverse name), {@code nodata} (AAAA of an IPv4-only name),
 * {@code edns} (an A query with an OPT record, answered with one).
 */
public class DnsAnswerBenchmark extends InMemoryBenchmark {
    private static final int NETWORKS = 10;
    private static final int PER_NETWORK = 100;

    @Param({"a", "alias", "ptr", "nodata", "edns"})
    String query;

    private DnsService dns;
    private GatewayDatagramService responder;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
    private byte[] message;
    private int asker;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dns = new DnsService(new DnsContext().conclude(), List.of(), 0);
        final List<DnsNetwork> networks = new ArrayList<>();
        final List<DnsEndpointName> names = new ArrayList<>();
        for (int n = 0; n < NETWORKS; n++) {
            networks.add(new DnsNetwork(n + 1, "net" + n, ip(n, 1), false, List.of()));
            for (int e = 0; e < PER_NETWORK; e++) {
                names.add(new DnsEndpointName(
                        n + 1,
                        "net" + n,
                        "c" + n + "-" + e,
                        "host" + n + "-" + e,
                        List.of(e < 2 ? "shared" : "alias" + n + "-" + e),
                        ip(n, e + 2),
                        null));
            }
        }
        dns.update(networks, names);
        asker = ip(4, 10);
        message = switch (query) {
            case "a" -> query("host4-57", 1, false);
            case "alias" -> query("shared", 1, false);
            case "ptr" -> query("59.4.0.10.in-addr.arpa", 12, false);
            case "nodata" -> query("host4-57.net4", 28, false);
            case "edns" -> query("HOST4-57", 1, true);
            default -> throw new IllegalArgumentException(query);
        };
        final int n = answer();
        if (n <= 0 || (buffer.getByte(3) & 0xF) != 0) {
            throw new IllegalStateException("the benchmark's query is not answered NOERROR: " + n);
        }
        final int answers = buffer.getShort(6, ByteOrder.BIG_ENDIAN);
        final int expected = switch (query) {
            case "alias" -> 2;
            case "nodata" -> 0;
            default -> 1;
        };
        if (answers != expected) {
            throw new IllegalStateException(query + ": " + answers + " answers, expected " + expected);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        dns.close();
    }

    @Benchmark
    public int answer() {
        buffer.putBytes(0, message);
        return responder().handle(5, asker, 33333, buffer, 0, message.length, buffer.capacity(), 0);
    }

    private GatewayDatagramService responder() {
        if (responder == null) {
            responder = dns.responder();
        }
        return responder;
    }

    private static int ip(int network, int host) {
        return (10 << 24) | (network << 8) | host;
    }

    /** A query with RD set for {@code name} and {@code qtype}, with an OPT record for 1232 bytes if {@code edns}. */
    static byte[] query(String name, int qtype, boolean edns) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int[] header = {0x4242, 0x0100, 1, 0, 0, edns ? 1 : 0};
        for (int v : header) {
            out.write(v >>> 8);
            out.write(v);
        }
        for (String label : name.split("\\.")) {
            out.write(label.length());
            out.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        out.write(0);
        out.write(qtype >>> 8);
        out.write(qtype);
        out.write(0);
        out.write(1);
        if (edns) {
            out.writeBytes(new byte[] {0, 0, 41, 4, (byte) 0xD0, 0, 0, 0, 0, 0, 0});
        }
        return out.toByteArray();
    }
}
