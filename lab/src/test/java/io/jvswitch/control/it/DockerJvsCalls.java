package io.jvswitch.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.cli.JvsCommand;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.DockerEngineLab;
import io.jvswitch.testsupport.Await;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What the ITs of the Docker plugin ask of jvs and of the engine beside it: the jvs CLI against one
 * daemon's socket (a failure shows both daemons' logs), the jvs name of a Docker network, and
 * polling a command or a condition until it holds.
 */
final class DockerJvsCalls {
    private static final long WAIT_SECONDS = 60;

    private final DockerEngineLab engine;
    private final Path socket;
    /** The daemon of the moment: a test may restart it. */
    private final Supplier<DaemonProcess> daemon;

    /** A docker (or other) command that is polled until it succeeds. */
    @FunctionalInterface
    interface CommandCall {
        DockerEngineLab.Result run();
    }

    DockerJvsCalls(DockerEngineLab engine, Path socket, Supplier<DaemonProcess> daemon) {
        this.engine = engine;
        this.socket = socket;
        this.daemon = daemon;
    }

    JsonNode jvs(String... args) {
        try {
            return Json.mapper().readTree(jvsText(args));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    String jvsText(String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final String[] full = Stream.concat(Stream.of(args), Stream.of("--socket", socket.toString()))
                .toArray(String[]::new);
        final int exit = JvsCommand.run(full, new PrintWriter(out, true), new PrintWriter(err, true));
        if (exit != 0) {
            throw new AssertionError("jvs " + String.join(" ", args) + " failed: " + err + "\njvs log:\n"
                    + daemon.get().logText() + "\ndockerd log:\n" + engine.log());
        }
        return out.toString();
    }

    /**
     * A jvs daemon in the engine's namespaces, serving the plugin on the socket dockerd looks at and
     * asking that engine for names; its socket, state and log in the engine's directory.
     */
    static DaemonProcess startPluginDaemon(DockerEngineLab engine) throws Exception {
        final Path dir = engine.dir();
        return DaemonProcess.startWith(
                engine.enter(),
                dir.resolve("jvs.sock"),
                dir.resolve("jvs-state"),
                dir.resolve("jvs.log"),
                "--docker-plugin-socket",
                DockerEngineLab.PLUGIN_SOCKET.toString(),
                "--docker-host",
                engine.host());
    }

    /** The jvs network of a Docker network of its own: {@code docker-<first 12 of its id>}. */
    String jvsName(String dockerNetwork) {
        return "docker-"
                + engine.check("network", "inspect", "-f", "{{.Id}}", dockerNetwork)
                        .substring(0, 12);
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
}
