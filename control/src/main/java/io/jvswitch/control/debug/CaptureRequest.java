package io.jvswitch.control.debug;

import java.util.List;

/**
 * {@code jvs capture}: which ports (endpoint names) or which network (all ports when neither), at
 * which points, through which BPF filter, cut to which snap length.
 */
public record CaptureRequest(
        List<String> ports, String network, List<String> points, String filter, Integer snapLength) {}
