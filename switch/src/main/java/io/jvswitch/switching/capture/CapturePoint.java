package io.jvswitch.switching.capture;

/**
 * Where in the pipeline a frame can be captured. Later stages (NAT, encapsulation, DNS) add their
 * boundaries here as they join the pipeline.
 */
public enum CapturePoint {
    /** As the frame was received on a port, before any decision. */
    RX("rx"),
    /** As a frame left by a port (one record per copy of a flood). */
    TX("tx"),
    /** Where the switch dropped a frame, with the reason. */
    DROP("drop");
    static final CapturePoint[] VALUES = values();

    private final String label;

    CapturePoint(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public int bit() {
        return 1 << ordinal();
    }

    public static CapturePoint parse(String text) {
        for (CapturePoint point : values()) {
            if (point.label.equals(text)) {
                return point;
            }
        }
        throw new IllegalArgumentException("unknown capture point '" + text + "': use rx, tx or drop");
    }

    public static CapturePoint ofOrdinal(int ordinal) {
        return VALUES[ordinal];
    }
}
