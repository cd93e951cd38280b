package io.jvswitch.control.cluster;

/** {@code hosts/<name>}, under the host's lease: where its VTEP listens, and since when it is up. */
public record HostAdvert(String name, String address, int vxlanPort, String since) {}
