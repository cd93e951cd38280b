package io.jvswitch.bench.e2e;

import java.util.Arrays;
import java.util.List;

/**
 * The median of repeated measurements and their range. With the default three runs the median is
 * the middle value, and the range shows how far the machine drifted.
 */
public record Spread(double median, double min, double max, int count) {
    /** An empty spread: the figure was not measured (path skipped, or every run failed). */
    public static final Spread NONE = new Spread(Double.NaN, Double.NaN, Double.NaN, 0);

    /** The spread of the finite values in {@code values}; NaN values (failed runs) are left out. */
    public static Spread of(List<Double> values) {
        final double[] finite = values.stream()
                .mapToDouble(Double::doubleValue)
                .filter(Double::isFinite)
                .toArray();
        if (finite.length == 0) {
            return NONE;
        }
        Arrays.sort(finite);
        final int n = finite.length;
        final double median = n % 2 == 1 ? finite[n / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2;
        return new Spread(median, finite[0], finite[n - 1], n);
    }

    public boolean measured() {
        return count > 0;
    }
}
