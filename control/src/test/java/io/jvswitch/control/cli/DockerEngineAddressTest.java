package io.jvswitch.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

class DockerEngineAddressTest {

    @TempDir
    Path home;

    @Test
    void dockerHostWins() {
        assertEquals("unix:///tmp/d.sock", DockerEngineAddress.find(Map.of("DOCKER_HOST", "unix:///tmp/d.sock"), home));
    }

    @Test
    void nothingSetMeansTheDefault() {
        assertNull(DockerEngineAddress.find(Map.of(), home));
    }

    @Test
    void theCurrentContextsHost() throws Exception {
        final Path docker = home.resolve(".docker");
        Files.createDirectories(docker);
        Files.writeString(docker.resolve("config.json"), "{\"currentContext\":\"remote\"}");
        final Path meta = docker.resolve("contexts/meta").resolve(sha256("remote"));
        Files.createDirectories(meta);
        Files.writeString(
                meta.resolve("meta.json"),
                "{\"Name\":\"remote\",\"Endpoints\":{\"docker\":{\"Host\":\"unix:///run/other.sock\"}}}");
        assertEquals("unix:///run/other.sock", DockerEngineAddress.find(Map.of(), home));
        assertNull(DockerEngineAddress.find(Map.of("DOCKER_CONTEXT", "default"), home));
        assertEquals(
                "unix:///run/other.sock",
                DockerEngineAddress.find(Map.of("DOCKER_CONFIG", docker.toString(), "DOCKER_CONTEXT", "remote"), home));
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
