package io.jvswitch.bench.e2e;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The terminal report: a table per reference (the switch paths against the kernel bridge, the
 * VXLAN paths against the kernel's vxlan, the published ports against iptables DNAT), one row per
 * figure and one column per path with "median [min-max]" and the ratio to that reference; then
 * the targets with the measured ratios, then notes (skipped paths, figures that are not
 * applicable and why, failed runs).
 */
public final class ResultTable {
    /** The kernel bridge: the reference of the switch paths, and of the targets. */
    static final String REFERENCE = "bridge";

    private ResultTable() {}

    public static String format(BenchResults results) {
        final StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "median [min-max] of %d run%s; xN.NN = ratio to the kernel's way of doing the same "
                        + "(the first column of each table), run by run%n",
                results.runs(),
                results.runs() == 1 ? "" : "s"));
        for (Map.Entry<String, List<BenchResults.PathInfo>> group :
                byReference(results).entrySet()) {
            final BenchResults.PathInfo reference = results.path(group.getKey());
            out.append(System.lineSeparator())
                    .append("against ")
                    .append(reference != null ? reference.title() : group.getKey())
                    .append(System.lineSeparator());
            final List<List<String>> rows = new ArrayList<>();
            final List<String> header = new ArrayList<>();
            header.add("figure");
            for (BenchResults.PathInfo p : group.getValue()) {
                header.add(p.title());
            }
            rows.add(header);
            for (Figure figure : Figure.values()) {
                if (notAsked(results, figure)) {
                    continue;
                }
                final List<String> row = new ArrayList<>();
                row.add(figure.label() + " " + figure.unit());
                for (BenchResults.PathInfo p : group.getValue()) {
                    row.add(cell(results, p, figure));
                }
                rows.add(row);
            }
            appendAligned(out, rows);
        }

        out.append(System.lineSeparator()).append("targets").append(System.lineSeparator());
        final List<List<String>> targetRows = new ArrayList<>();
        targetRows.add(List.of("figure", "measured", "target", "met"));
        for (Target t : Target.SWITCH) {
            final Spread s = t.measure(results);
            targetRows.add(List.of(
                    t.label(),
                    s.measured()
                            ? number(s.median(), 2) + " [" + number(s.min(), 2) + "-" + number(s.max(), 2) + "]"
                            : "not measured",
                    t.boundText(),
                    s.measured() ? (t.met(s.median()) ? "yes" : "NO") : "-"));
        }
        appendAligned(out, targetRows);

        final List<String> notes = new ArrayList<>();
        for (BenchResults.PathInfo p : results.paths()) {
            if (p.skippedBecause() != null) {
                notes.add(p.title() + ": skipped, " + p.skippedBecause());
            }
        }
        notes.addAll(notMeasuredNotes(results));
        notes.addAll(udpLossNotes(results));
        notes.addAll(busyMachineNotes(results));
        notes.addAll(results.failures());
        if (!notes.isEmpty()) {
            out.append(System.lineSeparator()).append("notes").append(System.lineSeparator());
            for (String note : notes) {
                out.append("  ").append(note).append(System.lineSeparator());
            }
        }
        return out.toString();
    }

    /**
     * The measured paths grouped by the key of their reference, in the order the groups first
     * appear, each with its reference first (so the first column is what the ratios are against).
     */
    static Map<String, List<BenchResults.PathInfo>> byReference(BenchResults results) {
        final Map<String, List<BenchResults.PathInfo>> groups = new LinkedHashMap<>();
        for (BenchResults.PathInfo p : results.paths()) {
            if (p.skippedBecause() == null) {
                groups.computeIfAbsent(p.reference(), k -> new ArrayList<>()).add(p);
            }
        }
        for (List<BenchResults.PathInfo> group : groups.values()) {
            group.sort(
                    Comparator.comparing((BenchResults.PathInfo p) -> !p.key().equals(p.reference())));
        }
        return groups;
    }

    /** Whether no path measured {@code figure} because the run did not ask for it ({@code --pairs}). */
    static boolean notAsked(BenchResults results, Figure figure) {
        return results.paths().stream()
                .filter(p -> p.skippedBecause() == null)
                .allMatch(p -> Figure.NOT_ASKED.equals(p.notMeasured(figure)));
    }

    /** One note per figure and reason: "FIGURE n/a on PATH, PATH: REASON", the paths in table order. */
    private static List<String> notMeasuredNotes(BenchResults results) {
        final Map<Map.Entry<Figure, String>, List<String>> pathsByReason = new LinkedHashMap<>();
        for (Figure figure : Figure.values()) {
            for (List<BenchResults.PathInfo> group : byReference(results).values()) {
                for (BenchResults.PathInfo p : group) {
                    final String why = p.notMeasured(figure);
                    if (why != null && !why.equals(Figure.NOT_ASKED)) {
                        pathsByReason
                                .computeIfAbsent(Map.entry(figure, why), k -> new ArrayList<>())
                                .add(p.title());
                    }
                }
            }
        }
        final List<String> notes = new ArrayList<>();
        pathsByReason.forEach((reason, titles) ->
                notes.add(reason.getKey().label() + " n/a on " + String.join(", ", titles) + ": " + reason.getValue()));
        return notes;
    }

    /**
     * Per path whose UDP runs carry the kernel's drop counters (see {@link UdpLossCounters}): where
     * the lost datagrams went, as shares of those sent, medians of the runs.
     */
    static List<String> udpLossNotes(BenchResults results) {
        final List<String> notes = new ArrayList<>();
        for (List<BenchResults.PathInfo> group : byReference(results).values()) {
            for (BenchResults.PathInfo p : group) {
                final List<Double> atSender = new ArrayList<>();
                final List<Double> atReceiver = new ArrayList<>();
                final List<Double> between = new ArrayList<>();
                for (Map<String, Object> raw : rawOfRuns(results, p, Figure.UDP_64_LOSS)) {
                    if (!(raw.get("packets") instanceof Number sent)
                            || sent.longValue() <= 0
                            || !(raw.get("lostPackets") instanceof Number lost)
                            || !(raw.get(UdpLossCounters.SENDER_QUEUE_DROPS) instanceof Number queue)
                            || !(raw.get(UdpLossCounters.RECEIVER_SOCKET_DROPS) instanceof Number socket)) {
                        continue;
                    }
                    final double percent = 100.0 / sent.longValue();
                    atSender.add(queue.longValue() * percent);
                    atReceiver.add(socket.longValue() * percent);
                    between.add(Math.max(0, lost.longValue() - queue.longValue() - socket.longValue()) * percent);
                }
                if (!atSender.isEmpty()) {
                    notes.add(String.format(
                            Locale.ROOT,
                            "UDP 64B loss on %s, where (%% of datagrams sent, median of %d "
                                    + "run%s): %.1f at the sender's interface queue, %.1f at the receiving socket, %.1f in between",
                            p.title(),
                            atSender.size(),
                            atSender.size() == 1 ? "" : "s",
                            Spread.of(atSender).median(),
                            Spread.of(atReceiver).median(),
                            Spread.of(between).median()));
                }
            }
        }
        return notes;
    }

    /**
     * A note per TCP test (x1, x4): how busy the machine's CPUs were during each path's test (median
     * of the runs), so a reader can tell a path that ran out of CPU (near 100 %) from one that waited.
     */
    static List<String> busyMachineNotes(BenchResults results) {
        final List<String> notes = new ArrayList<>();
        for (Figure test : List.of(Figure.TCP_1, Figure.TCP_4)) {
            notes.addAll(busyMachineNote(results, test));
        }
        return notes;
    }

    private static List<String> busyMachineNote(BenchResults results, Figure test) {
        final List<String> shares = new ArrayList<>();
        int runs = 0;
        for (List<BenchResults.PathInfo> group : byReference(results).values()) {
            for (BenchResults.PathInfo p : group) {
                final List<Double> busy = new ArrayList<>();
                for (Map<String, Object> raw : rawOfRuns(results, p, test.machineCpuPerGb())) {
                    if (raw.get(MachineCpu.BUSY_SHARE) instanceof Number share) {
                        busy.add(share.doubleValue() * 100);
                    }
                }
                if (!busy.isEmpty()) {
                    shares.add(String.format(
                            Locale.ROOT,
                            "%s %.0f %%",
                            p.title(),
                            Spread.of(busy).median()));
                    runs = Math.max(runs, busy.size());
                }
            }
        }
        if (shares.isEmpty()) {
            return List.of();
        }
        return List.of(String.format(
                Locale.ROOT,
                "machine CPUs busy during %s (median of %d run%s, iperf3's start "
                        + "included; near 100 %% = limited by CPU): %s",
                test.label(),
                runs,
                runs == 1 ? "" : "s",
                String.join(", ", shares)));
    }

    /** The raw figures of every run of {@code figure} on path {@code p}, in the order they were taken. */
    private static List<Map<String, Object>> rawOfRuns(BenchResults results, BenchResults.PathInfo p, Figure figure) {
        final List<Map<String, Object>> runs = new ArrayList<>();
        for (BenchResults.RawFigure f : results.raw()) {
            if (f.path().equals(p.key()) && f.figure() == figure) {
                runs.add(f.raw());
            }
        }
        return runs;
    }

    private static String cell(BenchResults results, BenchResults.PathInfo p, Figure figure) {
        final Spread s = results.spread(p.key(), figure);
        if (!s.measured()) {
            return p.notMeasured(figure) != null ? "n/a" : "-";
        }
        final int decimals = decimals(figure);
        final StringBuilder text = new StringBuilder(number(s.median(), decimals));
        if (s.count() > 1) {
            text.append(" [")
                    .append(number(s.min(), decimals))
                    .append('-')
                    .append(number(s.max(), decimals))
                    .append(']');
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
            case TCP_1,
                    TCP_4,
                    TCP_PAIRS_1,
                    TCP_PAIRS_2,
                    TCP_PAIRS_4,
                    CPU_PER_GB,
                    MACHINE_CPU_PER_GB,
                    MACHINE_CPU_PER_GB_4 -> 2;
            case UDP_64_PPS, UDP_64_LOSS, UDP_64_NDR, UDP_64_PDR, UDP_1518_NDR, UDP_1518_PDR -> 1;
            case PING_RTT -> 3;
            case CONNECTIONS -> 0;
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
