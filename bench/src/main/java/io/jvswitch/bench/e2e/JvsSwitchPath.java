package io.jvswitch.bench.e2e;

import io.jvswitch.control.cli.JvsCommand;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.NetnsLab;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The jvs switch: the real daemon in its own host namespace, both containers attached with
 * {@code jvs attach} through TAPs on one network, exactly as a user would do it.
 */
final class JvsSwitchPath implements DataplanePath {
    private final String key;
    private final List<String> daemonArgs;
    private DaemonProcess daemon;
    private Endpoints endpoints;

    /**
     * @param key {@code jvs}, or {@code jvs-NAME} for a variant measured beside it
     * @param daemonArgs extra {@code jvs daemon} options, e.g. {@code --idle busy-spin}
     */
    JvsSwitchPath(String key, List<String> daemonArgs) {
        this.key = key;
        this.daemonArgs = List.copyOf(daemonArgs);
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String title() {
        return daemonArgs.isEmpty() ? "jvs switch (TAP)" : "jvs " + String.join(" ", daemonArgs);
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public void setUp(NetnsLab lab, BenchWorkspace workspace) throws Exception {
        final String host = lab.add(key + "-host");
        final String client = lab.add(key + "-c");
        final String server = lab.add(key + "-s");
        final Path dir = workspace.dir(key);
        daemon = DaemonProcess.start(host, dir.resolve("jvs.sock"), dir.resolve("state"), dir.resolve("daemon.log"),
            daemonArgs.toArray(String[]::new));
        cli("network", "create", "bench", "--subnet", "10.202.0.0/24");
        cli("attach", "--netns", client, "--network", "bench", "--name", "client", "--ip", "10.202.0.10");
        cli("attach", "--netns", server, "--network", "bench", "--name", "server", "--ip", "10.202.0.11");
        endpoints = new Endpoints(client, server, "10.202.0.11");
    }

    private void cli(String... args) {
        final StringWriter text = new StringWriter();
        final PrintWriter writer = new PrintWriter(text);
        final String[] full = Stream.concat(Stream.of(args), Stream.of("--socket", daemon.socket().toString()))
            .toArray(String[]::new);
        if (JvsCommand.run(full, writer, writer) != 0) {
            writer.flush();
            throw new IllegalStateException("jvs " + String.join(" ", args) + " failed: " + text.toString().strip());
        }
    }

    @Override
    public Endpoints endpoints() {
        return endpoints;
    }

    @Override
    public long dataplanePid() {
        return daemon == null ? -1 : daemon.pid();
    }

    /** The daemon's log, for a failure report. */
    String daemonLog() {
        return daemon == null ? "" : daemon.logText();
    }

    @Override
    public void close() {
        if (daemon != null) {
            try {
                daemon.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
