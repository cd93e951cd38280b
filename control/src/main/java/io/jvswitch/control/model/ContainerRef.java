package io.jvswitch.control.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a container was named at attach time: by {@code ip netns} name, by process id, or by Docker
 * container name; or, for endpoints Docker made through the jvs plugin, by the sandbox key (the
 * path of the namespace file) Docker gave in {@code Join}. Stored as given, so a restarted daemon
 * resolves it the same way again. {@code engine}: for {@link Kind#DOCKER}, the Docker engine the
 * user's CLI talks to (its DOCKER_HOST or current context's host), so the daemon asks the same one;
 * null for the docker CLI's own default.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContainerRef(Kind kind, String value, String engine) {
    public enum Kind {
        @JsonProperty("netns")
        NETNS,
        @JsonProperty("pid")
        PID,
        @JsonProperty("docker")
        DOCKER,
        @JsonProperty("docker-sandbox")
        DOCKER_SANDBOX
    }

    public ContainerRef(Kind kind, String value) {
        this(kind, value, null);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NETNS -> "netns " + value;
            case PID -> "pid " + value;
            case DOCKER -> "docker container " + value + (engine == null ? "" : " on " + engine);
            case DOCKER_SANDBOX -> "docker sandbox " + value;
        };
    }
}
