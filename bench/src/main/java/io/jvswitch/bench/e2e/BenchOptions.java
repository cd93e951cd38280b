package io.jvswitch.bench.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a bench run does, validated once.
 *
 * @param runs repetitions of every figure on every path
 * @param seconds length of each iperf3 test
 * @param pings echo requests per RTT figure, sent 50 ms apart
 * @param warmupSeconds untimed TCP through each path before its first measured test (0: none)
 * @param trialSeconds length of each trial of the loss-free rate searches
 * @param jvsDaemonArgs extra {@code jvs daemon} options for the jvs paths (switch, VXLAN, published port)
 * @param paths keys of the paths to measure, in order
 * @param jvsVariants more jvs paths measured beside the others, by name: daemon options each
 *     (to compare daemon settings in one session, interleaved)
 * @param pairs the scaling figures to measure: how many client/server pairs at once, from 1, 2, 4
 *     (empty: none)
 */
public record BenchOptions(
        int runs,
        int seconds,
        int pings,
        int warmupSeconds,
        int trialSeconds,
        List<String> jvsDaemonArgs,
        List<String> paths,
        Map<String, List<String>> jvsVariants,
        List<Integer> pairs,
        Path json,
        Path png) {
    public static final List<String> ALL_PATHS = List.of(
            "bridge", "jvs", "ovs", "ovs-tso", "kernel-vxlan", "jvs-vxlan", "kernel-nat", "jvs-nat", "bridge6", "jvs6");

    /** The jvs paths a {@code --jvs-variant} is measured beside, each against its own kernel reference. */
    public static final List<String> VARIED_PATHS = List.of("jvs", "jvs-vxlan", "jvs-nat", "jvs6");

    /** Trials of the loss-free rate searches last this long unless --trial-seconds says otherwise. */
    public static final int DEFAULT_TRIAL_SECONDS = 1;

    /** The pair counts {@code --pairs} takes: each a figure of its own ({@link Figure#ofPairs}). */
    public static final List<Integer> PAIR_COUNTS = List.of(1, 2, 4);

    /** The options with the default trial length, without the scaling figures. */
    public BenchOptions(
            int runs,
            int seconds,
            int pings,
            int warmupSeconds,
            List<String> jvsDaemonArgs,
            List<String> paths,
            Map<String, List<String>> jvsVariants,
            Path json,
            Path png) {
        this(runs, seconds, pings, warmupSeconds, DEFAULT_TRIAL_SECONDS, jvsDaemonArgs, paths, jvsVariants, json, png);
    }

    /** The options without the scaling figures. */
    public BenchOptions(
            int runs,
            int seconds,
            int pings,
            int warmupSeconds,
            int trialSeconds,
            List<String> jvsDaemonArgs,
            List<String> paths,
            Map<String, List<String>> jvsVariants,
            Path json,
            Path png) {
        this(
                runs,
                seconds,
                pings,
                warmupSeconds,
                trialSeconds,
                jvsDaemonArgs,
                paths,
                jvsVariants,
                List.of(),
                json,
                png);
    }

    public BenchOptions {
        if (runs < 1 || runs > 20) {
            throw new IllegalArgumentException("--runs must be within 1..20: " + runs);
        }
        if (seconds < 1 || seconds > 60) {
            throw new IllegalArgumentException("--seconds must be within 1..60: " + seconds);
        }
        if (pings < 1 || pings > 1000) {
            throw new IllegalArgumentException("pings must be within 1..1000: " + pings);
        }
        if (warmupSeconds < 0 || warmupSeconds > 60) {
            throw new IllegalArgumentException("--warmup must be within 0..60: " + warmupSeconds);
        }
        if (trialSeconds < 1 || trialSeconds > 10) {
            throw new IllegalArgumentException("--trial-seconds must be within 1..10: " + trialSeconds);
        }
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("--paths names no path");
        }
        for (String p : paths) {
            if (!ALL_PATHS.contains(p)) {
                throw new IllegalArgumentException("unknown path '" + p + "': use " + String.join(", ", ALL_PATHS));
            }
        }
        for (String name : jvsVariants.keySet()) {
            if (!name.matches("[a-z0-9]{1,8}")) {
                throw new IllegalArgumentException("jvs variant name '" + name + "' must be 1 to 8 of a-z, 0-9");
            }
        }
        if (!jvsVariants.isEmpty() && paths.stream().noneMatch(VARIED_PATHS::contains)) {
            throw new IllegalArgumentException("--jvs-variant is measured beside a jvs path: --paths names none of "
                    + String.join(", ", VARIED_PATHS));
        }
        for (int i = 0; i < pairs.size(); i++) {
            if (!PAIR_COUNTS.contains(pairs.get(i))) {
                throw new IllegalArgumentException("--pairs takes 1, 2 and 4: " + pairs.get(i));
            }
            if (pairs.indexOf(pairs.get(i)) != i) {
                throw new IllegalArgumentException("--pairs names " + pairs.get(i) + " twice");
            }
        }
        pairs = List.copyOf(pairs);
        jvsVariants = Collections.unmodifiableMap(new LinkedHashMap<>(jvsVariants));
        jvsDaemonArgs = List.copyOf(jvsDaemonArgs);
        paths = List.copyOf(paths);
    }

    /**
     * The pair counts of {@code --pairs LIST}, as given on the command line; refused with a message
     * unless each is one of {@link #PAIR_COUNTS}, once.
     */
    public static List<Integer> parsePairs(List<String> words) {
        final List<Integer> pairs = new ArrayList<>();
        for (String word : words) {
            final int n;
            try {
                n = Integer.parseInt(word.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--pairs takes numbers from 1, 2, 4: '" + word + "'");
            }
            pairs.add(n);
        }
        return pairs;
    }

    /** The most pairs a scaling figure of this run needs at once (0 without --pairs). */
    public int maxPairs() {
        return pairs.stream().mapToInt(Integer::intValue).max().orElse(0);
    }
}
