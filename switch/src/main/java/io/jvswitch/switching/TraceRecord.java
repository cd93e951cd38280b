package io.jvswitch.switching;

/**
 * One step of a trace as a stage wrote it: what happened ({@link TraceEvent}) and its operands, a
 * few longs whose meaning the event gives (a port slot, a network id, a MAC, an address, a
 * reason's ordinal). Turned into text by {@link TraceFormatter} once the frame is done, so the
 * stages' decision code holds no English (VPP's trace records and its {@code format_*_trace}).
 *
 * <p>{@code stage} and {@code text} carry a step written as text ({@link TraceEvent#NOTE}): what
 * the routing hook explains, and what a port beyond the switch would do with the frame.
 */
record TraceRecord(TraceEvent event, long a, long b, long c, long d, long e, String stage, String text) {

    static TraceRecord of(TraceEvent event, long a, long b, long c, long d) {
        return new TraceRecord(event, a, b, c, d, 0, null, null);
    }

    static TraceRecord of(TraceEvent event, long a, long b, long c, long d, long e) {
        return new TraceRecord(event, a, b, c, d, e, null, null);
    }

    static TraceRecord note(String stage, String text) {
        return new TraceRecord(TraceEvent.NOTE, 0, 0, 0, 0, 0, stage, text);
    }
}
