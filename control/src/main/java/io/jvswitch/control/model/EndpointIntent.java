package io.jvswitch.control.model;

/**
 * A change to an endpoint's devices that was under way when the state was saved: recorded before
 * the kernel is touched and removed once the change is complete, so a daemon killed in between
 * knows what to finish or undo when it starts again. The endpoint's record stays in the state as
 * long as its intent does, and with it the claim on its addresses.
 */
public record EndpointIntent(String endpoint, Step step) {
    /** What was being done to the endpoint. */
    public enum Step {
        /** Its interface was being made: a restart undoes it (the client never heard it succeed). */
        ATTACH,
        /** Its interface was being removed: a restart finishes that. */
        DETACH
    }
}
