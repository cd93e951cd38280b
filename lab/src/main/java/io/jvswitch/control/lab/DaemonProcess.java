package io.jvswitch.control.lab;

import io.jvswitch.control.api.ApiClient;
import io.jvswitch.testsupport.JvmFlags;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A jvs daemon in its own JVM, started inside a "host" namespace with {@code ip netns exec} (which
 * execs, so the PID is the JVM's). Stopped by that PID only.
 */
public final class DaemonProcess implements AutoCloseable {
    /** JVM flags every jvs JVM needs on JDK 25: the parent pom's, as the launcher and the Maven build use. */
    public static final List<String> JVM_FLAGS = JvmFlags.load();

    private final Process process;
    private final Path socket;
    private final Path log;

    private DaemonProcess(Process process, Path socket, Path log) {
        this.process = process;
        this.socket = socket;
        this.log = log;
    }

    /** Starts a daemon and waits until its API answers. */
    public static DaemonProcess start(String hostNamespace, Path socket, Path stateDir, Path log, String... extraArgs)
            throws IOException, InterruptedException {
        final DaemonProcess daemon = launch(hostNamespace, socket, stateDir, log, extraArgs);
        daemon.awaitReady();
        return daemon;
    }

    /**
     * Starts a daemon without waiting for it: for a caller that must be able to stop it by PID
     * while it comes up (a shutdown hook that runs during {@link #awaitReady()}).
     */
    public static DaemonProcess launch(String hostNamespace, Path socket, Path stateDir, Path log, String... extraArgs)
            throws IOException {
        return launchWith(List.of("ip", "netns", "exec", hostNamespace), socket, stateDir, log, extraArgs);
    }

    /**
     * Starts a daemon under a command that enters its namespaces and then execs (e.g. {@code nsenter
     * --target PID --mount --net}, to share a private mount namespace with a test's dockerd), and
     * waits until its API answers.
     */
    public static DaemonProcess startWith(List<String> enter, Path socket, Path stateDir, Path log, String... extraArgs)
            throws IOException, InterruptedException {
        final DaemonProcess daemon = launchWith(enter, socket, stateDir, log, extraArgs);
        daemon.awaitReady();
        return daemon;
    }

    private static DaemonProcess launchWith(
            List<String> enter, Path socket, Path stateDir, Path log, String... extraArgs) throws IOException {
        final List<String> command = new ArrayList<>(enter);
        command.add(ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(JVM_FLAGS);
        command.addAll(List.of(
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                "io.jvswitch.control.Main",
                "daemon",
                "--socket",
                socket.toString(),
                "--state-dir",
                stateDir.toString()));
        if (!List.of(extraArgs).contains("--docker-plugin-socket")) {
            // Tests share the machine's /run: only a test that runs its own dockerd serves the plugin.
            command.addAll(List.of("--docker-plugin-socket", "none"));
        }
        final String tapIo = System.getProperty("jvs.it.tapIo");
        if (tapIo != null && !List.of(extraArgs).contains("--tap-io")) {
            command.addAll(List.of("--tap-io", tapIo)); // run a test suite's daemons on another TAP I/O path
        }
        command.addAll(List.of(extraArgs));
        final Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        return new DaemonProcess(process, socket, log);
    }

    /** Waits until the API answers; kills the daemon and fails when it does not within 30 s. */
    public void awaitReady() throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "the jvs daemon exited with " + process.exitValue() + ":\n" + logText());
            }
            if (Files.exists(socket)) {
                try {
                    if (new ApiClient(socket).send("GET", "/v1/ping", null).ok()) {
                        return;
                    }
                } catch (ApiClient.DaemonUnreachableException e) {
                    // not listening yet
                }
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new IllegalStateException("the jvs daemon did not come up within 30 s:\n" + logText());
    }

    public long pid() {
        return process.pid();
    }

    public Path socket() {
        return socket;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Waits for the daemon to exit by itself: its exit status, or -1 if it still runs after the timeout. */
    public int awaitExit(long timeout, TimeUnit unit) throws InterruptedException {
        return process.waitFor(timeout, unit) ? process.exitValue() : -1;
    }

    /** SIGKILL: the daemon gets no chance to clean up. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, then SIGKILL if it has not stopped within 10 s. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
