package io.jvswitch.control.debug;

import io.jvswitch.switching.capture.PacketTrace;

import java.util.List;

/** A trace as the API shows it. */
public record TraceView(String from, String network, String mode, List<PacketTrace.Step> steps, String verdict) {}
