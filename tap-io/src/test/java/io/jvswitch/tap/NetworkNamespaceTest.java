package io.jvswitch.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

class NetworkNamespaceTest {
    static final Path THREAD_NETNS = Path.of("/proc/thread-self/ns/net");

    final TestNamespaces namespaces = new TestNamespaces();

    @BeforeAll
    static void requireTap() {
        TestNamespaces.assumeTapCapable();
    }

    @AfterEach
    void cleanUp() {
        namespaces.close();
    }

    @Test
    void theActionRunsInsideTheNamespaceAndTheCallerStaysWhereItWas() throws Exception {
        String ns = namespaces.create();
        Path file = TestNamespaces.path(ns);
        String before = Files.readSymbolicLink(THREAD_NETNS).toString();

        String inside = NetworkNamespace.call(
                file, () -> Files.readSymbolicLink(THREAD_NETNS).toString());

        assertEquals("net:[" + Files.getAttribute(file, "unix:ino") + "]", inside);
        assertNotEquals(before, inside);
        assertEquals(before, Files.readSymbolicLink(THREAD_NETNS).toString());
        // /proc/PID/ns/net names the same kind of file.
        assertEquals(
                before,
                NetworkNamespace.call(
                        NetworkNamespace.ofProcess(ProcessHandle.current().pid()),
                        () -> Files.readSymbolicLink(THREAD_NETNS).toString()));
    }

    @Test
    void whatTheActionThrowsIsRethrownUnchanged() throws Exception {
        String ns = namespaces.create();
        IOException io = new IOException("from the action");
        assertSame(
                io,
                assertThrows(
                        IOException.class,
                        () -> NetworkNamespace.call(TestNamespaces.path(ns), () -> {
                            throw io;
                        })));
        IllegalStateException runtime = new IllegalStateException("unchecked");
        assertSame(
                runtime,
                assertThrows(
                        IllegalStateException.class,
                        () -> NetworkNamespace.call(TestNamespaces.path(ns), () -> {
                            throw runtime;
                        })));
    }
}
