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
    CPU_PER_GB("CPU per GB", "s/GB", false),
    MACHINE_CPU_PER_GB("machine CPU per GB", "s/GB", false);

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

    /** A cost (CPU time per GB) rather than a speed: left out of the chart of ratios. */
    public boolean isCost() {
        return this == CPU_PER_GB || this == MACHINE_CPU_PER_GB;
    }

    /** Whether a ratio between two paths says something: a loss percentage can be 0. */
    public boolean hasRatio() {
        return this != UDP_64_LOSS;
    }
}
