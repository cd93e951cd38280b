package io.jvswitch.switching;

/** How many frames a capture session got copied, and how many it lost because its writer fell behind. */
public record CaptureCounters(long captured, long ringDrops) {}
