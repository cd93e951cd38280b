package io.jvswitch.nat;

/**
 * What the translator counts besides its drops ({@link NatDrop}). Adding one is one line here: the
 * counters snapshot ({@link NatCounters#countsByLabel}) carries every one by its label.
 */
public enum NatCounter {
    CREATED("created", "connections created"),
    EXPIRED("expired", "connections removed because their timeout passed"),
    TRANSLATED("translated", "packets translated"),
    UNTRACKED("untracked", "packets routed without translation"),
    PREFETCHED("prefetched", "packets whose connection was looked up ahead with the rest of their receive batch"),
    PREFETCH_FOUND("prefetch-found", "packets looked up ahead that belonged to a connection"),
    PREFETCH_USED("prefetch-used", "lookups answered from what the batch lookup found");

    static final NatCounter[] VALUES = values();

    private final String label;
    private final String description;

    NatCounter(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** Stable, lower-case name used by the CLI, the API and metrics. */
    public String label() {
        return label;
    }

    public String description() {
        return description;
    }
}
