package io.jvswitch.control.model;

import java.util.List;

/** Everything the daemon must remember across restarts. Written as one file, atomically. */
public record DaemonState(int version, List<NetworkRecord> networks, List<EndpointRecord> endpoints) {
    public static final int VERSION = 1;

    public DaemonState {
        networks = networks == null ? List.of() : List.copyOf(networks);
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
    }

    public static DaemonState empty() {
        return new DaemonState(VERSION, List.of(), List.of());
    }
}
