package io.jvswitch.control.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reading what {@code docker inspect} prints for our format string; a live Docker engine is not needed. */
class ContainerNamespaceTest {
    @Test
    void runningContainerWithoutNetworkGivesItsPid() {
        assertEquals("4242", ContainerNamespace.parseDockerInspect("web", "4242 true none\n"));
    }

    @Test
    void containersJvsCannotServeAreRefusedWithAReason() {
        final var stopped = assertThrows(
                IllegalArgumentException.class, () -> ContainerNamespace.parseDockerInspect("web", "0 false none"));
        assertTrue(stopped.getMessage().contains("is not running"));
        final var bridged = assertThrows(
                IllegalArgumentException.class, () -> ContainerNamespace.parseDockerInspect("web", "4242 true bridge"));
        assertTrue(bridged.getMessage().contains("start it with --network none"), bridged.getMessage());
        assertThrows(IllegalStateException.class, () -> ContainerNamespace.parseDockerInspect("web", "garbage"));
    }
}
