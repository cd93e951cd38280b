package io.jvswitch.switching.capture;

/**
 * Where in the pipeline a frame can be captured. A capture names ports; each point is where a frame
 * of those ports (received on them, or leaving by them for tx) crosses that boundary.
 */
public enum CapturePoint {
    /** As the frame was received on a port, before any decision. */
    RX("rx"),
    /** As a frame left by a port (one record per copy of a flood). */
    TX("tx"),
    /** Where the switch dropped a frame, with the reason. */
    DROP("drop"),
    /**
     * A routed packet of the port as the router got it, before any address translation (the
     * destination a published port rewrites, the source masquerade rewrites): also the pre-route view.
     */
    PRE_NAT("pre-nat"),
    /** The same packet after both translations, as the router sends it on: also the post-route view. */
    POST_NAT("post-nat"),
    /** A DNS query the gateway's responder got from the port, and the answer it sent back. */
    DNS("dns"),
    /** A tunnel port's datagram as it leaves for the underlay, outer headers and VNI included. */
    ENCAP("encap"),
    /** A datagram a tunnel port got from the underlay, outer headers and VNI included. */
    DECAP("decap");
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
        throw new IllegalArgumentException("unknown capture point '" + text + "': use " + labels());
    }

    /** Every point's label, comma-separated, in declaration order. */
    public static String labels() {
        final StringBuilder labels = new StringBuilder();
        for (CapturePoint point : VALUES) {
            labels.append(labels.isEmpty() ? "" : ", ").append(point.label);
        }
        return labels.toString();
    }

    public static CapturePoint ofOrdinal(int ordinal) {
        return VALUES[ordinal];
    }
}
