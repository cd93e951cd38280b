package io.jvswitch.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.netns.CommandRunner;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The name of the container a Docker endpoint is for, asked of the engine while the endpoint is
 * joined: Docker's plugin protocol carries only ids, and jvs gives the endpoint the container's name
 * as a DNS alias, so that on a global network the container is found by name from other hosts too
 * (their engines' resolvers do not know it and pass the question on). {@code docker network
 * inspect} lists a network's endpoints with their containers' names as soon as they are created and
 * needs no lock of the container being started ({@code docker inspect} would wait for the start,
 * which waits for the Join). Bounded: an engine that does not answer within {@link
 * #TIMEOUT_SECONDS} leaves the endpoint without the alias, logged.
 */
public final class DockerEndpointNames {
    static final int TIMEOUT_SECONDS = 3;
    private static final System.Logger LOG = System.getLogger("jvs.docker");
    /** A name jvs takes as an alias (Docker's container names are a subset, less the length). */
    private static final Pattern ALIAS = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");

    private final CommandRunner runner;
    /** The engine as {@code docker -H} takes it; null for the docker CLI's default. */
    private final String engine;

    private final ObjectMapper json;

    public DockerEndpointNames(CommandRunner runner, String engine, ObjectMapper json) {
        this.runner = runner;
        this.engine = engine;
        this.json = json;
    }

    /** The container's name, or empty when the engine does not say (in time) or it is no valid alias. */
    Optional<String> containerName(String networkId, String endpointId) {
        final List<String> command = new ArrayList<>(List.of("timeout", Integer.toString(TIMEOUT_SECONDS), "docker"));
        if (engine != null) {
            command.addAll(List.of("-H", engine));
        }
        command.addAll(List.of("network", "inspect", "--format", "{{json .Containers}}", networkId));
        final CommandRunner.Result result;
        try {
            result = runner.run(command);
        } catch (IllegalStateException e) {
            return missing(endpointId, e.getMessage());
        }
        if (!result.ok()) {
            return missing(endpointId, result.stderr().strip() + " (exit " + result.exitCode() + ")");
        }
        try {
            final JsonNode containers = json.readTree(result.stdout());
            for (Iterator<Map.Entry<String, JsonNode>> it = containers.fields(); it.hasNext(); ) {
                final JsonNode endpoint = it.next().getValue();
                if (endpointId.equals(endpoint.path("EndpointID").asText())) {
                    final String name = endpoint.path("Name").asText("");
                    return ALIAS.matcher(name).matches()
                            ? Optional.of(name)
                            : missing(endpointId, "name '" + name + "'");
                }
            }
        } catch (IOException e) {
            return missing(endpointId, "unreadable docker network inspect output: " + e.getMessage());
        }
        return missing(endpointId, "the engine does not list it");
    }

    private static Optional<String> missing(String endpointId, String why) {
        LOG.log(
                System.Logger.Level.WARNING,
                "Docker endpoint {0}: no container name for jvs DNS ({1})",
                endpointId.substring(0, Math.min(12, endpointId.length())),
                why);
        return Optional.empty();
    }
}
