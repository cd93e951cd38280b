package io.jvswitch.control.it;

import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.testsupport.Await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** What the integration tests wait for before they go on: a server listening, a tool ready. */
final class Readiness {
    /** Servers and capture tools start within a second or two; a loaded machine gets ten times that. */
    static final Duration START = Duration.ofSeconds(20);

    private Readiness() {}

    /** Waits until something in {@code namespace} listens on TCP {@code port} (iperf3, a test server). */
    static void tcpListener(NetnsLab lab, String namespace, int port) {
        Await.until(
                "a TCP listener on port " + port + " in " + namespace,
                START,
                () -> !lab.exec(namespace, "ss", "-Hltn", "sport = :" + port)
                        .stdout()
                        .isBlank());
    }

    /** Waits until a tool's output file holds {@code text} (tcpdump's "listening on", a server's "ready"). */
    static void printed(Path output, String text) {
        Await.until(
                "'" + text + "' in " + output.getFileName(),
                START,
                () -> Files.exists(output) && Files.readString(output).contains(text));
    }
}
