package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvswitch.control.lab.DaemonProcess;

import java.nio.file.Path;

/**
 * A second jvs daemon in the fixture's host namespace, with a host link ({@code jvs1}), link subnet
 * and masquerade address of its own so that it runs beside the first: for the tests that one
 * daemon's ports, rules and stop leave the other's alone. Closing it stops it (again: it may be
 * closed early).
 */
final class SecondDaemon implements AutoCloseable {
    private final DaemonFixture f;
    private final Path socket;
    private final DaemonProcess daemon;

    SecondDaemon(DaemonFixture f) throws Exception {
        this.f = f;
        socket = f.dir.resolve("second.sock");
        daemon = DaemonProcess.start(
                f.host,
                socket,
                f.dir.resolve("second-state"),
                f.dir.resolve("second.log"),
                "--host-link",
                "jvs1",
                "--host-link-cidr",
                "169.254.44.0/30",
                "--masquerade-address",
                "169.254.45.1");
    }

    /** Runs a CLI command against this daemon that must succeed; a failure shows its log. */
    void ok(String... args) {
        final DaemonFixture.Cli cli = f.jvsAt(socket, args);
        assertEquals(0, cli.exit(), "jvs " + String.join(" ", args) + ": " + cli.err() + daemon.logText());
    }

    @Override
    public void close() throws Exception {
        daemon.close();
    }
}
