package io.jvswitch.bench.e2e;

/** A figure measured on every path, with its unit and which direction is better. */
public enum Figure {
    TCP_1("TCP x1", "Gb/s", true),
    TCP_4("TCP x4", "Gb/s", true),
    UDP_64_PPS("UDP 64B rx", "kpps", true),
    UDP_64_LOSS("UDP 64B loss", "%", false),
    /** Received at the highest paced rate with at most 0.1 % loss (LossFreeRate). */
    UDP_64_NDR("UDP 64B NDR", "kpps", true),
    /** Received at the highest paced rate with at most 0.5 % loss. */
    UDP_64_PDR("UDP 64B PDR", "kpps", true),
    UDP_1518_NDR("UDP 1518B NDR", "kpps", true),
    UDP_1518_PDR("UDP 1518B PDR", "kpps", true),
    PING_RTT("ping RTT", "ms", false),
    CONNECTIONS("TCP conn rate", "conn/s", true),
    /** One TCP stream per client/server pair, pairs at once, total (LoadPairs): measured with --pairs. */
    TCP_PAIRS_1("TCP 1 pair", "Gb/s", true),
    TCP_PAIRS_2("TCP 2 pairs", "Gb/s", true),
    TCP_PAIRS_4("TCP 4 pairs", "Gb/s", true),
    CPU_PER_GB("CPU per GB", "s/GB", false),
    /** The whole machine's busy CPU time per GB during TCP x1 (MachineCpu). */
    MACHINE_CPU_PER_GB("machine CPU per GB", "s/GB", false),
    /**
     * The same during TCP x4: when both paths keep the machine equally busy there, their throughput
     * ratio is the inverse ratio of this figure.
     */
    MACHINE_CPU_PER_GB_4("machine CPU per GB x4", "s/GB", false);

    /** Why a figure of {@code jvs bench --pairs} is not measured when the run did not ask for it. */
    public static final String NOT_ASKED = "not asked for (--pairs)";

    private final String label;
    private final String unit;
    private final boolean higherIsBetter;

    Figure(String label, String unit, boolean higherIsBetter) {
        this.label = label;
        this.unit = unit;
        this.higherIsBetter = higherIsBetter;
    }

    public String label() {
        return label;
    }

    public String unit() {
        return unit;
    }

    public boolean higherIsBetter() {
        return higherIsBetter;
    }

    /** The scaling figure of {@code pairs} pairs at once (1, 2 or 4). */
    public static Figure ofPairs(int pairs) {
        return switch (pairs) {
            case 1 -> TCP_PAIRS_1;
            case 2 -> TCP_PAIRS_2;
            case 4 -> TCP_PAIRS_4;
            default -> throw new IllegalArgumentException("no figure of " + pairs + " pairs: 1, 2 or 4");
        };
    }

    /** How many client/server pairs this scaling figure runs at once; 0 for the other figures. */
    public int pairs() {
        return switch (this) {
            case TCP_PAIRS_1 -> 1;
            case TCP_PAIRS_2 -> 2;
            case TCP_PAIRS_4 -> 4;
            default -> 0;
        };
    }

    /** A cost (CPU time per GB) rather than a speed: left out of the chart of ratios. */
    public boolean isCost() {
        return this == CPU_PER_GB || this == MACHINE_CPU_PER_GB || this == MACHINE_CPU_PER_GB_4;
    }

    /** The machine's CPU per GB measured during this TCP test, or null for the other figures. */
    public Figure machineCpuPerGb() {
        return switch (this) {
            case TCP_1 -> MACHINE_CPU_PER_GB;
            case TCP_4 -> MACHINE_CPU_PER_GB_4;
            default -> null;
        };
    }

    /** Whether a ratio between two paths says something: a loss percentage can be 0. */
    public boolean hasRatio() {
        return this != UDP_64_LOSS;
    }
}
