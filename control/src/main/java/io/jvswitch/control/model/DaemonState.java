package io.jvswitch.control.model;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * Everything the daemon must remember across restarts. Written as one file, atomically. {@code
 * intents} are the attaches and detaches under way (absent when there are none, as in older files).
 */
public record DaemonState(
        int version,
        List<NetworkRecord> networks,
        List<EndpointRecord> endpoints,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<EndpointIntent> intents) {
    public static final int VERSION = 1;

    public DaemonState {
        networks = networks == null ? List.of() : List.copyOf(networks);
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        intents = intents == null ? List.of() : List.copyOf(intents);
    }

    /** A state with no change under way. */
    public DaemonState(int version, List<NetworkRecord> networks, List<EndpointRecord> endpoints) {
        this(version, networks, endpoints, List.of());
    }

    public static DaemonState empty() {
        return new DaemonState(VERSION, List.of(), List.of());
    }
}
