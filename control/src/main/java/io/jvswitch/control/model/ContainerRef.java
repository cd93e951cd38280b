package io.jvswitch.control.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a container was named at attach time: by {@code ip netns} name, by process id, or by Docker
 * container name. Stored as given, so a restarted daemon resolves it the same way again.
 */
public record ContainerRef(Kind kind, String value) {
    public enum Kind {
        @JsonProperty("netns")
        NETNS,
        @JsonProperty("pid")
        PID,
        @JsonProperty("docker")
        DOCKER
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NETNS -> "netns " + value;
            case PID -> "pid " + value;
            case DOCKER -> "docker container " + value;
        };
    }
}
