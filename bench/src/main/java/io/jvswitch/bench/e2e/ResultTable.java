package io.jvswitch.bench.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The terminal report: one row per figure, one column per path with "median [min-max]" and the
 * ratio to the kernel bridge, then the targets with the measured ratios, then notes
 * (skipped paths, figures that are not applicable, failed runs).
 */
public final class ResultTable {
    /** The kernel bridge: the reference of the switch paths, and of the chart. */
    static final String REFERENCE = "bridge";

    private ResultTable() {
    }

    public static String format(BenchResults results) {
        final List<BenchResults.PathInfo> shown = new ArrayList<>();
        for (BenchResults.PathInfo p : results.paths()) {
            if (p.skippedBecause() == null) {
                shown.add(p);
            }
        }
        final List<List<String>> rows = new ArrayList<>();
        final List<String> header = new ArrayList<>();
        header.add("figure");
        for (BenchResults.PathInfo p : shown) {
            header.add(p.title());
        }
        rows.add(header);
        for (Figure figure : Figure.values()) {
            final List<String> row = new ArrayList<>();
            row.add(figure.label() + " " + figure.unit());
            for (BenchResults.PathInfo p : shown) {
                row.add(cell(results, p, figure));
            }
            rows.add(row);
        }
        final StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "median [min-max] of %d run%s; xN.NN = ratio to the kernel's path (bridge+veth for the switch), run by run%n",
            results.runs(), results.runs() == 1 ? "" : "s"));
        appendAligned(out, rows);

        out.append(System.lineSeparator()).append("targets").append(System.lineSeparator());
        final List<List<String>> targetRows = new ArrayList<>();
        targetRows.add(List.of("figure", "measured", "target", "met"));
        for (Target t : Target.SWITCH) {
            final Spread s = t.measure(results);
            targetRows.add(List.of(t.label(), s.measured() ? number(s.median(), 2) + " [" + number(s.min(), 2) + "-"
                + number(s.max(), 2) + "]" : "not measured", t.boundText(), s.measured() ? (t.met(s.median()) ? "yes" : "NO") : "-"));
        }
        appendAligned(out, targetRows);

        final List<String> notes = new ArrayList<>();
        for (BenchResults.PathInfo p : results.paths()) {
            if (p.skippedBecause() != null) {
                notes.add(p.title() + ": skipped, " + p.skippedBecause());
            } else if (p.cpuNote() != null) {
                notes.add(p.title() + " CPU per GB: " + p.cpuNote());
            }
        }
        notes.addAll(results.failures());
        if (!notes.isEmpty()) {
            out.append(System.lineSeparator()).append("notes").append(System.lineSeparator());
            for (String note : notes) {
                out.append("  ").append(note).append(System.lineSeparator());
            }
        }
        return out.toString();
    }

    private static String cell(BenchResults results, BenchResults.PathInfo p, Figure figure) {
        final Spread s = results.spread(p.key(), figure);
        if (!s.measured()) {
            return "n/a";
        }
        final int decimals = decimals(figure);
        final StringBuilder text = new StringBuilder(number(s.median(), decimals));
        if (s.count() > 1) {
            text.append(" [").append(number(s.min(), decimals)).append('-').append(number(s.max(), decimals)).append(']');
        }
        if (figure.hasRatio() && !p.key().equals(p.reference())) {
            final Spread ratio = results.ratio(p.key(), p.reference(), figure);
            if (ratio.measured()) {
                text.append(" x").append(number(ratio.median(), 2));
            }
        }
        return text.toString();
    }

    static int decimals(Figure figure) {
        return switch (figure) {
            case TCP_1, TCP_4, CPU_PER_GB -> 2;
            case UDP_64_PPS, UDP_64_LOSS -> 1;
            case PING_RTT -> 3;
        };
    }

    static String number(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    private static void appendAligned(StringBuilder out, List<List<String>> rows) {
        final int columns = rows.getFirst().size();
        final int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int c = 0; c < columns; c++) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        for (List<String> row : rows) {
            final StringBuilder line = new StringBuilder("  ");
            for (int c = 0; c < columns; c++) {
                line.append(row.get(c));
                if (c < columns - 1) {
                    line.append(" ".repeat(widths[c] - row.get(c).length() + 3));
                }
            }
            out.append(line.toString().stripTrailing()).append(System.lineSeparator());
        }
    }
}
