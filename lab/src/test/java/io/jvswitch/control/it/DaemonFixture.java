package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.ApiClient;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.cli.JvsCommand;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.NetnsLab;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A host namespace running a real jvs daemon, plus container namespaces, for one test class.
 * Everything is removed in {@link #close()}, also when a test fails.
 */
final class DaemonFixture implements AutoCloseable {
    final NetnsLab lab;
    final String host;
    final Path dir;
    final Path socket;
    final Path stateDir;
    DaemonProcess daemon;

    /** What one CLI invocation printed and returned. */
    record Cli(int exit, String out, String err) {
        JsonNode json() {
            try {
                return Json.mapper().readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + out, e);
            }
        }
    }

    DaemonFixture(String purpose, String... daemonArgs) throws Exception {
        this(purpose, true, daemonArgs);
    }

    /** {@code start} false: the host namespace only; the caller wires it and calls {@link #startDaemon}. */
    DaemonFixture(String purpose, boolean start, String... daemonArgs) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "integration tests need root");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "integration tests need /dev/net/tun");
        lab = new NetnsLab(purpose);
        dir = Files.createTempDirectory("jvs-it-");
        socket = dir.resolve("jvs.sock");
        stateDir = dir.resolve("state");
        try {
            host = lab.add("host");
            if (start) {
                startDaemon(daemonArgs);
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Closes {@code fixtures} in order (nulls skipped), each one's daemon log first kept as {@code
     * target/<test>-<host>.log} for a failure's post-mortem; one that fails to close does not keep
     * the others open.
     */
    static void closeKeepingLogs(String test, DaemonFixture... fixtures) {
        for (DaemonFixture f : fixtures) {
            try {
                if (f != null) {
                    final Path log = f.dir.resolve("daemon.log");
                    if (Files.exists(log)) {
                        Files.createDirectories(Path.of("target"));
                        Files.copy(
                                log,
                                Path.of("target", test + "-" + f.host + ".log"),
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                    f.close();
                }
            } catch (Exception e) {
                // go on with the others
            }
        }
    }

    void startDaemon(String... args) throws Exception {
        daemon = DaemonProcess.start(host, socket, stateDir, dir.resolve("daemon.log"), args);
    }

    /** Runs a jvs CLI command in this JVM against this fixture's daemon. */
    Cli jvs(String... args) {
        return jvsAt(socket, args);
    }

    /** Runs a jvs CLI command in this JVM against the daemon at {@code socket} (a second daemon, say). */
    Cli jvsAt(Path socket, String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final String[] full = Stream.concat(Stream.of(args), Stream.of("--socket", socket.toString()))
                .toArray(String[]::new);
        final int exit = JvsCommand.run(full, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Cli(exit, out.toString(), err.toString());
    }

    /** Runs a CLI command that must succeed. */
    Cli ok(String... args) {
        final Cli cli = jvs(args);
        if (cli.exit() != 0) {
            throw new AssertionError(
                    "jvs " + String.join(" ", args) + " failed: " + cli.err() + "\ndaemon log:\n" + daemon.logText());
        }
        return cli;
    }

    String container(String name) {
        return lab.add(name);
    }

    /** The IPv4 address of an endpoint, from network inspect. */
    String ipOf(String network, String endpoint) {
        for (JsonNode c : ok("network", "inspect", network).json().path(0).path("Containers")) {
            if (c.path("Name").asText().equals(endpoint)) {
                return c.path("IPv4Address").asText().replaceAll("/.*", "");
            }
        }
        throw new AssertionError("no endpoint " + endpoint + " on " + network);
    }

    JsonNode port(String name) {
        try {
            final JsonNode ports = Json.mapper()
                    .readTree(
                            new ApiClient(socket).send("GET", "/v1/ports", null).body());
            for (JsonNode p : ports) {
                if (p.path("name").asText().equals(name)) {
                    return p;
                }
            }
            return null;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    String stateFile() throws IOException {
        final Path file = stateDir.resolve("state.json");
        return Files.exists(file) ? Files.readString(file) : "";
    }

    boolean ping(String from, String address, int count) {
        return lab.exec(from, "ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "1", address)
                .ok();
    }

    @Override
    public void close() throws Exception {
        try {
            if (daemon != null) {
                daemon.close();
            }
        } finally {
            lab.close();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
