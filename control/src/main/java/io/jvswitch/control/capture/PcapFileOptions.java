package io.jvswitch.control.capture;

/**
 * How a {@link PcapFileSink} writes its file(s); the fields mirror tcpdump's options.
 *
 * @param count {@code -c N}: stop after N frames; 0 = no limit
 * @param rotateSeconds {@code -G SECONDS}: start a new file once the current one is this old; 0 = never
 * @param rotateMegabytes {@code -C MEGABYTES}: start a new file before a frame would make the current one
 *     larger than this many millions of bytes (1,000,000, as tcpdump counts); 0 = never
 * @param ringFiles {@code -W N}: with {@code -G} or {@code -C}, keep at most N files, reusing their names
 *     in a ring; 0 = no limit
 * @param snaplen {@code -s}: bytes kept of each frame; 0 means the default, {@value #DEFAULT_SNAPLEN};
 *     larger values are lowered to it, as tcpdump does
 */
public record PcapFileOptions(long count, long rotateSeconds, long rotateMegabytes, int ringFiles, int snaplen) {

    /** tcpdump's default and largest snap length. */
    public static final int DEFAULT_SNAPLEN = 262_144;

    public PcapFileOptions {
        if (count < 0) {
            throw new IllegalArgumentException("-c must be at least 1 (or 0 for no limit), not " + count);
        }
        if (rotateSeconds < 0) {
            throw new IllegalArgumentException("-G must be a positive number of seconds, not " + rotateSeconds);
        }
        if (rotateMegabytes < 0 || rotateMegabytes > Long.MAX_VALUE / 1_000_000) {
            throw new IllegalArgumentException("-C must be a positive number of megabytes, not " + rotateMegabytes);
        }
        if (ringFiles < 0) {
            throw new IllegalArgumentException("-W must be a positive number of files, not " + ringFiles);
        }
        if (ringFiles > 0 && rotateSeconds == 0 && rotateMegabytes == 0) {
            throw new IllegalArgumentException("-W needs -C or -G: it limits how many rotated files are kept");
        }
        if (snaplen < 0) {
            throw new IllegalArgumentException("snap length must be positive (or 0 for the default), not " + snaplen);
        }
        if (snaplen == 0 || snaplen > DEFAULT_SNAPLEN) {
            snaplen = DEFAULT_SNAPLEN;
        }
    }

    /** No limit, no rotation, default snap length. */
    public static PcapFileOptions defaults() {
        return new PcapFileOptions(0, 0, 0, 0, DEFAULT_SNAPLEN);
    }

    public PcapFileOptions withCount(long n) {
        return new PcapFileOptions(n, rotateSeconds, rotateMegabytes, ringFiles, snaplen);
    }

    public PcapFileOptions withRotateSeconds(long seconds) {
        return new PcapFileOptions(count, seconds, rotateMegabytes, ringFiles, snaplen);
    }

    public PcapFileOptions withRotateMegabytes(long megabytes) {
        return new PcapFileOptions(count, rotateSeconds, megabytes, ringFiles, snaplen);
    }

    /** Needs {@code -C} or {@code -G} to be set already (see {@link #withRotateMegabytes}). */
    public PcapFileOptions withRingFiles(int files) {
        return new PcapFileOptions(count, rotateSeconds, rotateMegabytes, files, snaplen);
    }

    public PcapFileOptions withSnaplen(int bytes) {
        return new PcapFileOptions(count, rotateSeconds, rotateMegabytes, ringFiles, bytes);
    }

    /** Whether the output is split over several files ({@code -G} or {@code -C}). */
    public boolean rotates() {
        return rotateSeconds > 0 || rotateMegabytes > 0;
    }

    /** The {@code -C} limit in bytes; 0 = none. */
    public long rotateBytes() {
        return rotateMegabytes * 1_000_000L;
    }
}
