package io.jvswitch.bench.e2e;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every figure of every run, per path, in run order (NaN where a run failed), plus the raw
 * numbers each figure came from. Ratios are taken run by run (a path against the reference
 * measured right beside it) and then summarised, so drift of the machine between runs cancels.
 */
public final class BenchResults {
    /**
     * A path as measured: its key and title, the key of its reference, why it was skipped (null
     * when it was not), and why some figures mean nothing on it (figure to reason).
     */
    public record PathInfo(
            String key, String title, String reference, String skippedBecause, Map<Figure, String> notMeasured) {
        public PathInfo {
            notMeasured = notMeasured.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(notMeasured));
        }

        /** A path that was not measured, and why. */
        public static PathInfo skipped(String key, String title, String reference, String why) {
            return new PathInfo(key, title, reference, why, Map.of());
        }

        /** Why {@code figure} is n/a on this path, or null when it is measured. */
        public String notMeasured(Figure figure) {
            return notMeasured.get(figure);
        }
    }

    /** One measurement as it came from the tool, for the JSON file. */
    public record RawFigure(String path, int run, Figure figure, double value, Map<String, Object> raw) {}

    private final int runs;
    private final Map<String, PathInfo> paths = new LinkedHashMap<>();
    private final Map<String, EnumMap<Figure, double[]>> values = new LinkedHashMap<>();
    private final List<RawFigure> raw = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    public BenchResults(int runs) {
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be positive: " + runs);
        }
        this.runs = runs;
    }

    public int runs() {
        return runs;
    }

    public void addPath(PathInfo info) {
        paths.put(info.key(), info);
        final EnumMap<Figure, double[]> figures = new EnumMap<>(Figure.class);
        for (Figure figure : Figure.values()) {
            final double[] perRun = new double[runs];
            Arrays.fill(perRun, Double.NaN);
            figures.put(figure, perRun);
        }
        values.put(info.key(), figures);
    }

    public List<PathInfo> paths() {
        return List.copyOf(paths.values());
    }

    public PathInfo path(String key) {
        return paths.get(key);
    }

    /** Records a figure of run {@code run} (0-based). */
    public void record(String path, int run, Figure figure, double value, Map<String, Object> rawFigures) {
        values.get(path).get(figure)[run] = value;
        raw.add(new RawFigure(path, run, figure, value, rawFigures));
    }

    public void failed(String path, int run, Figure figure, String why) {
        failures.add(path + " run " + (run + 1) + " " + figure.label() + ": " + why);
    }

    public List<String> failures() {
        return List.copyOf(failures);
    }

    public List<RawFigure> raw() {
        return List.copyOf(raw);
    }

    /** The figure's values over all runs, NaN for failed ones; empty for an unknown path. */
    public double[] values(String path, Figure figure) {
        final EnumMap<Figure, double[]> figures = values.get(path);
        return figures == null ? new double[0] : figures.get(figure).clone();
    }

    public Spread spread(String path, Figure figure) {
        return Spread.of(box(values(path, figure)));
    }

    /** {@code path / reference}, run by run, summarised; NONE when either side is missing. */
    public Spread ratio(String path, String reference, Figure figure) {
        final double[] a = values(path, figure);
        final double[] b = values(reference, figure);
        if (a.length == 0 || b.length == 0) {
            return Spread.NONE;
        }
        final List<Double> ratios = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            if (Double.isFinite(a[run]) && Double.isFinite(b[run]) && b[run] > 0) {
                ratios.add(a[run] / b[run]);
            }
        }
        return Spread.of(ratios);
    }

    private static List<Double> box(double[] values) {
        final List<Double> list = new ArrayList<>(values.length);
        for (double v : values) {
            list.add(v);
        }
        return list;
    }
}
