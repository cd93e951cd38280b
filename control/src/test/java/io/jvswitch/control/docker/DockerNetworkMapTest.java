package io.jvswitch.control.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.api.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

class DockerNetworkMapTest {
    private static final String ID = "4c5459d8cc5d0123456789abcdef0123456789abcdef0123456789abcdef0123";
    private static final String OTHER = "9f00aa11bb22cc33dd44ee55ff66778899aabbccddeeff001122334455667788";

    @TempDir
    Path dir;

    private DockerNetworkMap loaded() {
        final DockerNetworkMap map = new DockerNetworkMap(dir, Json.mapper());
        map.load();
        return map;
    }

    @Test
    void aDockerNetworkOfItsOwnNeedsNoEntry() {
        final DockerNetworkMap map = loaded();
        assertEquals("docker-4c5459d8cc5d", map.jvsNetwork(ID));
        assertFalse(map.mapped(ID));
        assertFalse(Files.exists(dir.resolve("docker-networks.json")));
    }

    @Test
    void aMappedNetworkSurvivesARestartUntilRemoved() {
        final DockerNetworkMap first = loaded();
        first.put(ID, "multi");
        first.put(OTHER, "multi");
        final DockerNetworkMap second = loaded();
        assertEquals("multi", second.jvsNetwork(ID));
        assertEquals(Map.of(ID, "multi", OTHER, "multi"), second.entries());
        second.remove(ID);
        final DockerNetworkMap third = loaded();
        assertEquals("docker-4c5459d8cc5d", third.jvsNetwork(ID));
        assertTrue(third.mapped(OTHER));
    }

    @Test
    void aCorruptFileStopsTheDaemonRatherThanForgetTheMap() throws Exception {
        Files.writeString(dir.resolve("docker-networks.json"), "{not json");
        final IllegalStateException corrupt = assertThrows(IllegalStateException.class, this::loaded);
        assertTrue(corrupt.getMessage().contains("cannot be read"), corrupt.getMessage());
    }
}
