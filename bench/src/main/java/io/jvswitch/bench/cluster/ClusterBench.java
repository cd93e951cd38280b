package io.jvswitch.bench.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * {@code jvs bench --cluster}: cluster mode measured, instead of the dataplane paths. Convergence
 * across three hosts ({@link ClusterConvergence}), then the scale simulation ({@link
 * ClusterScale}) at each point asked for, one after the other, each in namespaces of its own that
 * are removed after it.
 */
public final class ClusterBench {
    /** The points of the scale simulation unless told: how start-up, memory and changes grow. */
    public static final List<String> DEFAULT_POINTS = List.of("50x5000", "100x10000", "200x20000");

    /** Endpoints added one at a time at every point, and the quiet spell after them. */
    private static final int CHANGES = 20;

    private static final int REST_SECONDS = 15;

    /** One point of the simulation: {@code hosts} hosts, {@code endpoints} endpoints. */
    public record Point(int hosts, int endpoints) {
        /** {@code 200x20000}; a clear message for anything else. */
        public static Point parse(String text) {
            final String[] p = text.strip().split("x", -1);
            try {
                if (p.length == 2) {
                    final Point point = new Point(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
                    if (point.hosts() >= 1
                            && point.hosts() <= 1_000
                            && point.endpoints() >= 0
                            && point.endpoints() <= 50_000) {
                        return point;
                    }
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException("--cluster-scale point '" + text
                    + "' must be HOSTSxENDPOINTS with 1..1000 hosts and 0..50000 endpoints, e.g. 200x20000");
        }
    }

    private ClusterBench() {}

    /** Runs both measures, prints them to {@code out}, writes the JSON when asked; the exit status. */
    public static int run(int attaches, List<Point> points, Path json, PrintStream out) throws Exception {
        final ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("started", Instant.now().toString());
        final ObjectNode machine = root.putObject("machine");
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("cpuModel", cpuModel());
        machine.put("java", System.getProperty("java.version"));
        machine.put("loadAverage", loadAverage());
        final ObjectNode cluster = root.putObject("cluster");
        if (attaches > 0) {
            final ClusterConvergence.Result convergence = ClusterConvergence.run(attaches);
            out.print(ClusterReport.convergence(convergence));
            ClusterReport.convergenceJson(cluster.putObject("convergence"), convergence);
        }
        if (!points.isEmpty()) {
            out.print(ClusterReport.scaleHeader());
            final ArrayNode scale = cluster.putArray("scale");
            for (Point p : points) {
                final ClusterScale.Result r = ClusterScale.run(p.hosts(), p.endpoints(), CHANGES, REST_SECONDS);
                out.print(ClusterReport.scaleLine(r));
                ClusterReport.scaleJson(scale.addObject(), r);
            }
        }
        machine.put("loadAverageAfter", loadAverage());
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), root);
            out.println("raw figures: " + json);
        }
        return 0;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst()
                    .orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The machine's load when measured: others' work on a shared machine shows here. */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
