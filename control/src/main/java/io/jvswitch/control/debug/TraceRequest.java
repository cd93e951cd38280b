package io.jvswitch.control.debug;

/**
 * {@code jvs trace}: from an endpoint, either a synthetic packet described in words
 * ({@code packet}) or the next real frame matching a BPF filter ({@code match}).
 */
public record TraceRequest(String from, String network, String packet, String match, Integer timeoutSeconds) {}
