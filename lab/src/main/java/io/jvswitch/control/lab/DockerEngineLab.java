package io.jvswitch.control.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real dockerd for the tests and the demo, isolated from the machine's: inside a network namespace the test made,
 * and in a private mount namespace whose {@code /run} is a fresh tmpfs, so the plugins it finds in
 * {@code /run/docker/plugins} are only the test's and nothing it writes under {@code /run} (its
 * containerd's shim sockets, the plugin socket) reaches the machine's. A process holding that mount
 * namespace ({@code sleep}) lets the jvs daemon join it with {@link #enter()}. Data root, exec root,
 * pid file and API socket live in one temporary directory. Everything is stopped by PID and removed
 * on {@link #close()}, also after a failure.
 */
public final class DockerEngineLab implements AutoCloseable {
    public static final Path PLUGIN_SOCKET = Path.of("/run/docker/plugins/jvs.sock");
    private static final long COMMAND_TIMEOUT_SECONDS = 120;

    private final Path dir;
    private final Path socket;
    private Process holder;
    private Process dockerd;

    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        public String output() {
            return stdout + stderr;
        }
    }

    public DockerEngineLab() throws IOException {
        // short: containerd's socket path under the exec root must fit a unix socket address
        this.dir = Files.createTempDirectory("jvsd-");
        this.socket = dir.resolve("docker.sock");
    }

    /** Whether dockerd, the docker CLI and a static busybox (for the image) are installed. */
    public static boolean available() {
        return Files.isExecutable(Path.of("/usr/sbin/dockerd")) && onPath("docker") && onPath("busybox");
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    public Path dir() {
        return dir;
    }

    /** The command prefix that enters the engine's network and mount namespaces. */
    public List<String> enter() {
        return List.of("nsenter", "--target", Long.toString(holder.pid()), "--mount", "--net");
    }

    /** Starts the namespace holder and dockerd in {@code netns}; waits until the engine answers. */
    public void start(String netns) throws IOException, InterruptedException {
        holder = new ProcessBuilder(
                        "nsenter",
                        "--net=/run/netns/" + netns,
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "--",
                        "sh",
                        "-c",
                        "mount -t tmpfs -o mode=0755 jvs-test-run /run && mkdir -p /run/docker/plugins"
                                + " && echo ready && exec sleep 86400")
                .redirectErrorStream(true)
                .start();
        final BufferedReader lines =
                new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        final String first = CompletableFuture.supplyAsync(() -> {
                    try {
                        return lines.readLine();
                    } catch (IOException e) {
                        return "read failed: " + e.getMessage();
                    }
                })
                .orTimeout(30, TimeUnit.SECONDS)
                .exceptionally(e -> "no answer: " + e)
                .join();
        if (!"ready".equals(first)) {
            throw new IllegalStateException("cannot make the engine's mount namespace: " + first);
        }
        startDockerd();
    }

    /**
     * Stops dockerd and starts it again on the same directories. It runs with {@code
     * --live-restore}, so the containers keep running meanwhile, as on a host whose engine is
     * upgraded.
     */
    public void restartEngine() throws IOException, InterruptedException {
        stopDockerd();
        startDockerd();
    }

    private void startDockerd() throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(enter());
        command.addAll(List.of(
                "dockerd",
                "--data-root",
                dir.resolve("data").toString(),
                "--exec-root",
                dir.resolve("exec").toString(),
                "--pidfile",
                dir.resolve("docker.pid").toString(),
                "-H",
                "unix://" + socket,
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                "--storage-driver=vfs",
                "--live-restore"));
        dockerd = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("dockerd.log").toFile()))
                .start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!docker("version").ok()) {
            if (!dockerd.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("dockerd did not come up:\n" + log());
            }
            Thread.sleep(200);
        }
    }

    /** Runs the docker CLI against this engine. */
    public Result docker(String... args) {
        final List<String> command = new ArrayList<>(List.of("docker", "-H", "unix://" + socket));
        command.addAll(List.of(args));
        return run(command);
    }

    /** Runs the docker CLI and fails with its output when it fails. */
    public String check(String... args) {
        final Result result = docker(args);
        if (!result.ok()) {
            throw new AssertionError(
                    "docker " + String.join(" ", args) + " failed (" + result.exitCode() + "): " + result.output());
        }
        return result.stdout().strip();
    }

    public static Result run(List<String> command) {
        return run(command, Map.of());
    }

    /** The engine's address as DOCKER_HOST spells it. */
    public String host() {
        return "unix://" + socket;
    }

    public static Result run(List<String> command, Map<String, String> environment) {
        try {
            final Path out = Files.createTempFile("jvsd-out-", ".txt");
            final Path err = Files.createTempFile("jvsd-err-", ".txt");
            try {
                final ProcessBuilder builder = new ProcessBuilder(command);
                builder.environment().putAll(environment);
                final Process p = builder.redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(
                                Path.of("/dev/null").toFile()))
                        .start();
                if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    return new Result(-1, Files.readString(out), "timed out: " + String.join(" ", command));
                }
                return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            return new Result(-1, "", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "", "interrupted");
        }
    }

    /** An image from Debian's static busybox: {@code tag}, with /www/index.html saying {@code page}. */
    public void importBusybox(String tag, String page) throws IOException {
        final Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.createDirectories(rootfs.resolve("www"));
        Files.createDirectories(rootfs.resolve("tmp"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        for (String applet : List.of(
                "sh",
                "ping",
                "wget",
                "httpd",
                "nslookup",
                "ip",
                "sleep",
                "cat",
                "echo",
                "ls",
                "true",
                "timeout",
                "nc")) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Files.writeString(rootfs.resolve("www/index.html"), page + "\n");
        final Path tar = dir.resolve("rootfs.tar");
        final Result packed = run(List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."));
        if (!packed.ok()) {
            throw new IllegalStateException("tar failed: " + packed.output());
        }
        check("import", tar.toString(), tag);
    }

    public String log() {
        try {
            final String text = Files.readString(dir.resolve("dockerd.log"));
            return text.length() > 20_000 ? text.substring(text.length() - 20_000) : text;
        } catch (IOException e) {
            return "(no dockerd log: " + e.getMessage() + ")";
        }
    }

    /**
     * Removes the containers, stops dockerd (and so its containerd), then every process left in the
     * engine's mount namespace (all started here), then the holder; removes the directory.
     */
    @Override
    public void close() throws InterruptedException {
        // with --live-restore a stopped dockerd leaves its containers running: remove them first
        removeContainers();
        stopDockerd();
        if (holder != null) {
            killRestOfMountNamespace();
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temporary directory
        }
    }

    /**
     * Removes every container of the engine, running or not, while dockerd runs (else nothing);
     * best effort, for a clean-up: a failure is not reported.
     */
    public void removeContainers() {
        if (dockerd != null && dockerd.isAlive()) {
            final Result containers = docker("ps", "-aq");
            if (containers.ok() && !containers.stdout().isBlank()) {
                final List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(List.of(containers.stdout().strip().split("\\s+")));
                docker(rm.toArray(String[]::new));
            }
        }
    }

    private void stopDockerd() throws InterruptedException {
        if (dockerd != null && dockerd.isAlive()) {
            dockerd.destroy();
            if (!dockerd.waitFor(60, TimeUnit.SECONDS)) {
                dockerd.destroyForcibly();
                dockerd.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private void killRestOfMountNamespace() {
        final String ns;
        try {
            ns = Files.readSymbolicLink(Path.of("/proc", Long.toString(holder.pid()), "ns", "mnt"))
                    .toString();
        } catch (IOException e) {
            return;
        }
        ProcessHandle.allProcesses()
                .filter(p -> p.pid() != holder.pid())
                .filter(p -> {
                    try {
                        return ns.equals(Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "ns", "mnt"))
                                .toString());
                    } catch (IOException | UnsupportedOperationException e) {
                        return false;
                    }
                })
                .forEach(ProcessHandle::destroyForcibly);
    }
}
