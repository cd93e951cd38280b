package io.jvswitch.control.capture;

import io.jvswitch.switching.capture.CapturePoint;

import java.util.Objects;

/**
 * One frame seen by a capture: where and when the switch saw it, and its bytes.
 *
 * <p>{@code data} holds the captured bytes, which may be fewer than {@code originalLength} when the
 * capture cut the frame to its snap length. The array is not copied: whoever builds a frame hands the
 * array over and must not change it afterwards (a {@link RingSink} keeps it until it is closed).
 *
 * @param epochNanos when the frame was seen, in nanoseconds since the Unix epoch
 * @param port the switch port name (empty when unknown, e.g. frames read back from a file)
 * @param point {@link #RX}, {@link #TX}, {@link #DROP} or another {@link CapturePoint}'s label
 * @param dropReason why the frame was dropped; {@code null} unless {@code point} is {@link #DROP}
 *     (a drop without a reason gets {@code "unknown"})
 * @param originalLength the length of the frame on the wire, at least {@code data.length}
 * @param data the captured bytes
 */
public record CapturedFrame(
        long epochNanos, String port, String point, String dropReason, int originalLength, byte[] data) {

    /** A frame the switch received on {@code port}. */
    public static final String RX = "rx";
    /** A frame the switch sent out of {@code port}. */
    public static final String TX = "tx";
    /** A frame the switch dropped; {@code dropReason} says why. */
    public static final String DROP = "drop";

    public CapturedFrame {
        Objects.requireNonNull(port, "port");
        Objects.requireNonNull(point, "point");
        Objects.requireNonNull(data, "data");
        if (DROP.equals(point)) {
            if (dropReason == null || dropReason.isEmpty()) {
                dropReason = "unknown";
            }
        } else if (!isPoint(point)) {
            throw new IllegalArgumentException(
                    "capture point must be one of " + CapturePoint.labels() + ", not '" + point + "'");
        } else if (dropReason != null) {
            throw new IllegalArgumentException("a drop reason needs point 'drop', not '" + point + "'");
        }
        if (originalLength < data.length) {
            throw new IllegalArgumentException(
                    "original length " + originalLength + " is shorter than the " + data.length + " captured bytes");
        }
    }

    private static boolean isPoint(String label) {
        for (CapturePoint p : CapturePoint.values()) {
            if (p.label().equals(label)) {
                return true;
            }
        }
        return false;
    }

    /** A whole (uncut) frame. */
    public static CapturedFrame of(long epochNanos, String port, String point, String dropReason, byte[] data) {
        return new CapturedFrame(epochNanos, port, point, dropReason, data.length, data);
    }

    /** Whether the switch dropped this frame. */
    public boolean isDrop() {
        return DROP.equals(point);
    }

    /** Number of captured bytes ({@code data.length}). */
    public int capturedLength() {
        return data.length;
    }

    @Override
    public String toString() {
        return "CapturedFrame[epochNanos=" + epochNanos + ", port=" + port + ", point=" + point
                + (dropReason == null ? "" : ", dropReason=" + dropReason)
                + ", originalLength=" + originalLength + ", captured=" + data.length + "]";
    }
}
