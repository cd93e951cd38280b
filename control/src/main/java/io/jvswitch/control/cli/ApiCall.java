package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.api.ApiClient;
import io.jvswitch.control.api.ApiResponse;
import io.jvswitch.control.api.Json;

import java.io.IOException;
import java.nio.file.Path;

/** One request from a CLI command to the daemon; a refusal becomes a {@link CliException}. */
final class ApiCall {
    static final ObjectMapper JSON = Json.mapper();
    /** How long a request may take, unless it says otherwise. */
    static final long DEFAULT_WAIT_SECONDS = 60;

    private final ApiClient client;

    ApiCall(Path socket) {
        this.client = new ApiClient(socket);
    }

    JsonNode get(String path) {
        return send("GET", path, null, DEFAULT_WAIT_SECONDS);
    }

    JsonNode delete(String path) {
        return send("DELETE", path, null, DEFAULT_WAIT_SECONDS);
    }

    JsonNode post(String path, Object body) {
        return post(path, body, DEFAULT_WAIT_SECONDS);
    }

    /** A POST the daemon answers only after up to {@code waitSeconds} (an armed trace). */
    JsonNode post(String path, Object body, long waitSeconds) {
        try {
            return send("POST", path, JSON.writeValueAsBytes(body), waitSeconds);
        } catch (IOException e) {
            throw new CliException("cannot encode request: " + e.getMessage());
        }
    }

    /** POSTs raw bytes (a replay batch). */
    JsonNode postBytes(String path, byte[] body) {
        return send("POST", path, body, DEFAULT_WAIT_SECONDS);
    }

    private JsonNode send(String method, String path, byte[] body, long waitSeconds) {
        final ApiResponse response;
        try {
            response = client.send(method, path, body, waitSeconds);
        } catch (ApiClient.DaemonUnreachableException e) {
            throw new CliException(e.getMessage());
        }
        final JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new CliException("the daemon sent an unreadable answer (HTTP " + response.status() + ")");
        }
        if (!response.ok()) {
            throw new CliException(json.path("error").asText("HTTP " + response.status()));
        }
        return json;
    }
}
