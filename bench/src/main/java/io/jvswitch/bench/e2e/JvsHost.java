package io.jvswitch.bench.e2e;

import io.jvswitch.control.cli.JvsCommand;
import io.jvswitch.control.lab.DaemonProcess;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A "host" of a jvs path: the real jvs daemon running in a host namespace the harness made, and
 * the {@code jvs} CLI pointed at its socket, so that every jvs path is built the way a user would.
 */
final class JvsHost implements AutoCloseable {
    private final DaemonProcess daemon;

    private JvsHost(DaemonProcess daemon) {
        this.daemon = daemon;
    }

    /**
     * Starts a daemon in {@code hostNamespace}, with its socket, state and log under {@code dir};
     * {@link #awaitReady()} waits for it. Two steps, so that the caller holds the host (and can
     * stop the daemon) from the moment the process exists.
     */
    static JvsHost launch(String hostNamespace, Path dir, List<String> daemonArgs) throws IOException {
        return new JvsHost(DaemonProcess.launch(
                hostNamespace,
                dir.resolve("jvs.sock"),
                dir.resolve("state"),
                dir.resolve("daemon.log"),
                daemonArgs.toArray(String[]::new)));
    }

    void awaitReady() throws InterruptedException {
        daemon.awaitReady();
    }

    /** Runs {@code jvs ARGS} against this daemon; fails with the CLI's own message. */
    void cli(String... args) {
        final StringWriter text = new StringWriter();
        final PrintWriter writer = new PrintWriter(text);
        final String[] full = Stream.concat(
                        Stream.of(args), Stream.of("--socket", daemon.socket().toString()))
                .toArray(String[]::new);
        if (JvsCommand.run(full, writer, writer) != 0) {
            writer.flush();
            throw new IllegalStateException("jvs " + String.join(" ", args) + " failed: "
                    + text.toString().strip());
        }
    }

    long pid() {
        return daemon.pid();
    }

    /** Whether the daemon still runs: a PID is signalled only while it is still our process's. */
    boolean isAlive() {
        return daemon.isAlive();
    }

    String log() {
        return daemon.logText();
    }

    /** Stops the daemon by its PID. Never throws. */
    @Override
    public void close() {
        try {
            daemon.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
