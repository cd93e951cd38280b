package io.jvswitch.bench.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;

/** The JSON file of a run: options, every raw figure, and the summaries the table shows. */
public final class BenchJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchJson() {}

    public static ObjectNode toJson(BenchOptions options, BenchResults results) {
        final ObjectNode root = MAPPER.createObjectNode();
        final ObjectNode opts = root.putObject("options");
        opts.put("runs", options.runs());
        opts.put("seconds", options.seconds());
        opts.put("pings", options.pings());
        opts.put("warmupSeconds", options.warmupSeconds());
        opts.putPOJO("jvsDaemonArgs", options.jvsDaemonArgs());
        final ObjectNode machine = root.putObject("machine");
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("java", System.getProperty("java.version"));
        final ArrayNode paths = root.putArray("paths");
        for (BenchResults.PathInfo p : results.paths()) {
            final ObjectNode node = paths.addObject();
            node.put("key", p.key());
            node.put("title", p.title());
            node.put("reference", p.reference());
            if (p.skippedBecause() != null) {
                node.put("skipped", p.skippedBecause());
                continue;
            }
            final ObjectNode figures = node.putObject("figures");
            for (Figure f : Figure.values()) {
                final ObjectNode fig = figures.putObject(f.name());
                fig.put("label", f.label());
                fig.put("unit", f.unit());
                if (p.notMeasured(f) != null) {
                    fig.put("notMeasured", p.notMeasured(f));
                }
                final ArrayNode values = fig.putArray("runs");
                for (double v : results.values(p.key(), f)) {
                    if (Double.isFinite(v)) {
                        values.add(v);
                    } else {
                        values.addNull();
                    }
                }
                putSpread(fig.putObject("spread"), results.spread(p.key(), f));
                if (!p.key().equals(p.reference()) && f.hasRatio()) {
                    putSpread(fig.putObject("ratioToReference"), results.ratio(p.key(), p.reference(), f));
                }
            }
        }
        final ArrayNode targets = root.putArray("targets");
        for (Target t : Target.SWITCH) {
            final ObjectNode node = targets.addObject();
            node.put("figure", t.label());
            node.put("target", t.boundText());
            final Spread s = t.measure(results);
            putSpread(node.putObject("measured"), s);
            if (s.measured()) {
                node.put("met", t.met(s.median()));
            }
        }
        final ArrayNode raw = root.putArray("raw");
        for (BenchResults.RawFigure r : results.raw()) {
            final ObjectNode node = raw.addObject();
            node.put("path", r.path());
            node.put("run", r.run() + 1);
            node.put("figure", r.figure().name());
            node.put("value", r.value());
            node.set("tool", MAPPER.valueToTree(r.raw()));
        }
        final ArrayNode failures = root.putArray("failures");
        results.failures().forEach(failures::add);
        return root;
    }

    private static void putSpread(ObjectNode node, Spread s) {
        if (!s.measured()) {
            node.putNull("median");
            return;
        }
        node.put("median", s.median());
        node.put("min", s.min());
        node.put("max", s.max());
        node.put("count", s.count());
    }

    public static void write(BenchOptions options, BenchResults results, Path file) throws IOException {
        MAPPER.writeValue(file.toFile(), toJson(options, results));
    }
}
