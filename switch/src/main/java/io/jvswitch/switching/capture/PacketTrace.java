package io.jvswitch.switching.capture;

import java.util.ArrayList;
import java.util.List;

/**
 * What the pipeline did with one frame, stage by stage: the tables it consulted, the entries it
 * hit, and the verdict. Filled only for a traced frame; the pipeline checks for null otherwise.
 */
public final class PacketTrace {
    /** One step: the stage, and what happened there. */
    public record Step(String stage, String detail) {}

    private final List<Step> steps = new ArrayList<>();
    private String verdict = "in progress";

    public void note(String stage, String detail) {
        steps.add(new Step(stage, detail));
    }

    public void verdict(String verdict) {
        this.verdict = verdict;
    }

    public List<Step> steps() {
        return List.copyOf(steps);
    }

    public String verdict() {
        return verdict;
    }
}
