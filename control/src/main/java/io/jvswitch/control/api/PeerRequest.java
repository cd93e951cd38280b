package io.jvswitch.control.api;

/** {@code jvs network peer add NAME IP}: the peer's underlay address. */
public record PeerRequest(String peer) {}
