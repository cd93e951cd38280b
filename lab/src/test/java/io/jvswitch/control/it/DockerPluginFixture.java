package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.cli.JvsCommand;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.DockerEngineLab;
import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.testsupport.Await;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A real dockerd and a jvs daemon serving its network and IPAM plugin, in a host namespace of the
 * test's own ({@link DockerEngineLab} keeps the engine apart from the machine's), with a busybox
 * image; for the Docker ITs, which run their tests in order on one engine. Also what those tests ask
 * of both: the jvs CLI against the daemon (a failure shows both daemons' logs), the jvs name of a
 * Docker network, a container's network settings, and polling until a command or condition holds.
 *
 * <p>{@link #close()} removes the containers first, while the plugin still answers Docker's calls
 * for them, then stops the jvs daemon, the engine and the namespaces, each also when the one before
 * failed; so does a set-up that fails half-way.
 */
final class DockerPluginFixture implements AutoCloseable {
    /** The busybox image every container runs (Debian's busybox-static). */
    static final String IMAGE = "jvs-test/busybox";

    private static final long WAIT_SECONDS = 60;

    final NetnsLab lab;
    /** The namespace dockerd and the jvs daemon run in. */
    final String host;

    final DockerEngineLab engine;
    /** The daemon of the moment: a test may restart it. */
    DaemonProcess daemon;

    /** A docker (or other) command that is polled until it succeeds. */
    @FunctionalInterface
    interface CommandCall {
        DockerEngineLab.Result run();
    }

    /** @param page what the image's {@code /www/index.html} says (its httpd serves it) */
    DockerPluginFixture(String purpose, String page) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "integration tests need root");
        assumeTrue(
                DockerEngineLab.available(), "needs dockerd, docker and busybox (Debian's docker.io, busybox-static)");
        lab = new NetnsLab(purpose);
        try {
            host = lab.add("host");
            engine = new DockerEngineLab();
            engine.start(host);
            startDaemon();
            engine.importBusybox(IMAGE, page);
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** Polls a command until it succeeds with output; returns its trimmed output. */
    static String await(CommandCall call) {
        return Await.until(
                        "a command succeeds with output",
                        Duration.ofSeconds(WAIT_SECONDS),
                        call::run,
                        r -> r.ok() && !r.stdout().isBlank())
                .stdout()
                .strip();
    }

    static void await(BooleanSupplier condition) {
        Await.until("a condition of the Docker test", Duration.ofSeconds(WAIT_SECONDS), condition::getAsBoolean);
    }

    /**
     * Starts a jvs daemon in the engine's namespaces, serving the plugin on the socket dockerd looks
     * at and asking that engine for names; its socket, state and log in the engine's directory.
     */
    void startDaemon() throws Exception {
        daemon = DaemonProcess.startWith(
                engine.enter(),
                socket(),
                engine.dir().resolve("jvs-state"),
                engine.dir().resolve("jvs.log"),
                "--docker-plugin-socket",
                DockerEngineLab.PLUGIN_SOCKET.toString(),
                "--docker-host",
                engine.host());
    }

    /** Stops the jvs daemon and starts it again on the same state, under the running containers. */
    void restartDaemon() throws Exception {
        daemon.close();
        startDaemon();
    }

    /** The jvs daemon's API socket. */
    Path socket() {
        return engine.dir().resolve("jvs.sock");
    }

    /** A jvs CLI command that must succeed, its output read as JSON. */
    JsonNode jvs(String... args) {
        try {
            return Json.mapper().readTree(jvsText(args));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A jvs CLI command that must succeed, run in this JVM against the daemon; returns what it printed. */
    String jvsText(String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final String[] full = Stream.concat(Stream.of(args), Stream.of("--socket", socket().toString()))
                .toArray(String[]::new);
        final int exit = JvsCommand.run(full, new PrintWriter(out, true), new PrintWriter(err, true));
        if (exit != 0) {
            throw new AssertionError("jvs " + String.join(" ", args) + " failed: " + err + "\njvs log:\n"
                    + daemon.logText() + "\ndockerd log:\n" + engine.log());
        }
        return out.toString();
    }

    /** The jvs network of a Docker network of its own: {@code docker-<first 12 of its id>}. */
    String jvsName(String dockerNetwork) {
        return "docker-"
                + engine.check("network", "inspect", "-f", "{{.Id}}", dockerNetwork)
                        .substring(0, 12);
    }

    /** One field of a container's settings on one network, as {@code docker inspect} shows it. */
    String setting(String container, String network, String field) {
        return engine.check("inspect", "-f", "{{.NetworkSettings.Networks." + network + "." + field + "}}", container);
    }

    /** Runs a container that only sleeps, on {@code network}, with {@code options} (an address, say). */
    void runSleeping(String name, String network, String... options) {
        final List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name, "--network", network));
        args.addAll(List.of(options));
        args.addAll(List.of(IMAGE, "sleep", "3600"));
        engine.check(args.toArray(String[]::new));
    }

    @Override
    public void close() throws Exception {
        try {
            if (engine != null) {
                engine.removeContainers();
            }
        } finally {
            try {
                if (daemon != null) {
                    daemon.close();
                }
            } finally {
                try {
                    if (engine != null) {
                        engine.close();
                    }
                } finally {
                    lab.close();
                }
            }
        }
    }
}
