package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The Docker engine this CLI's user talks to, found the way the docker CLI finds it: DOCKER_HOST;
 * else the context named by DOCKER_CONTEXT or by {@code currentContext} in the CLI's config.json
 * (DOCKER_CONFIG, else ~/.docker), whose host is in
 * {@code contexts/meta/<sha256 of the name>/meta.json}. Sent with {@code attach --docker}, so the
 * daemon asks the same engine. Null when none is set: the daemon's docker CLI default applies.
 */
final class DockerEngineAddress {
    private DockerEngineAddress() {}

    static String ofThisCli() {
        return find(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    static String find(Map<String, String> env, Path home) {
        final String host = env.get("DOCKER_HOST");
        if (host != null && !host.isBlank()) {
            return host.strip();
        }
        final Path config =
                env.containsKey("DOCKER_CONFIG") ? Path.of(env.get("DOCKER_CONFIG")) : home.resolve(".docker");
        String context = env.get("DOCKER_CONTEXT");
        try {
            if (context == null) {
                final Path file = config.resolve("config.json");
                context = Files.exists(file)
                        ? Json.mapper()
                                .readTree(file.toFile())
                                .path("currentContext")
                                .asText("")
                        : "";
            }
            if (context.isBlank() || context.equals("default")) {
                return null;
            }
            final Path meta =
                    config.resolve("contexts/meta").resolve(sha256(context)).resolve("meta.json");
            if (!Files.exists(meta)) {
                return null;
            }
            final JsonNode endpoint =
                    Json.mapper().readTree(meta.toFile()).path("Endpoints").path("docker");
            final String contextHost = endpoint.path("Host").asText("");
            return contextHost.isBlank() ? null : contextHost;
        } catch (IOException e) {
            return null; // an unreadable CLI config: the daemon then uses the docker CLI's default
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
