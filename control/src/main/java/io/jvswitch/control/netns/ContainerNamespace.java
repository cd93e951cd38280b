package io.jvswitch.control.netns;

import io.jvswitch.control.model.ContainerRef;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds the network namespace of a container: an {@code ip netns} name, a process id, or a Docker
 * container (started with {@code --network none}) whose process id {@code docker inspect} gives.
 */
public final class ContainerNamespace {
    private static final Pattern NETNS_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Path NETNS_DIR = Path.of("/run/netns");

    private final CommandRunner runner;

    public ContainerNamespace(CommandRunner runner) {
        this.runner = runner;
    }

    /** Finds the container's namespace; fails clearly if there is none. */
    public ResolvedNamespace resolve(ContainerRef ref) {
        return switch (ref.kind()) {
            case NETNS -> ResolvedNamespace.of(netns(ref.value()), ref.value());
            case PID -> ResolvedNamespace.of(pid(ref.value()), ref.value());
            case DOCKER -> {
                final String pid = dockerPid(ref.value(), ref.engine());
                yield ResolvedNamespace.of(pid(pid), pid);
            }
            case DOCKER_SANDBOX -> ResolvedNamespace.of(sandbox(ref.value()), ref.value());
        };
    }

    private static Path netns(String name) {
        if (!NETNS_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid netns name '" + name + "'");
        }
        final Path file = NETNS_DIR.resolve(name);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no network namespace named '" + name + "' (see: ip netns list)");
        }
        return file;
    }

    /** Docker's sandbox key: the file its namespace is bind-mounted on (ip accepts the path too). */
    private static Path sandbox(String key) {
        final Path file = Path.of(key);
        if (!file.isAbsolute() || !Files.exists(file)) {
            throw new IllegalArgumentException("no Docker sandbox at '" + key + "'");
        }
        return file;
    }

    private static Path pid(String pid) {
        if (!pid.matches("[1-9][0-9]{0,9}")) {
            throw new IllegalArgumentException("invalid process id '" + pid + "'");
        }
        final Path file = Path.of("/proc", pid, "ns", "net");
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no process with id " + pid);
        }
        return file;
    }

    /** Asks the engine the user's CLI talks to ({@code engine}, a DOCKER_HOST value), else the CLI's default. */
    private String dockerPid(String container, String engine) {
        final List<String> command = new ArrayList<>(List.of("docker"));
        if (engine != null) {
            command.addAll(List.of("-H", engine));
        }
        command.addAll(List.of(
                "inspect",
                "--type",
                "container",
                "--format",
                "{{.State.Pid}} {{.State.Running}} {{.HostConfig.NetworkMode}}",
                container));
        final CommandRunner.Result result = runner.run(command);
        if (!result.ok()) {
            throw new IllegalArgumentException("docker inspect " + container + " failed: "
                    + result.stderr().strip());
        }
        return parseDockerInspect(container, result.stdout());
    }

    /** Reads "PID RUNNING NETWORKMODE" as printed by our docker inspect format. */
    static String parseDockerInspect(String container, String output) {
        final String[] fields = output.strip().split("\\s+");
        if (fields.length < 3) {
            throw new IllegalStateException(
                    "unexpected docker inspect output for " + container + ": " + output.strip());
        }
        if (!"true".equals(fields[1]) || "0".equals(fields[0])) {
            throw new IllegalArgumentException("docker container " + container + " is not running");
        }
        if (!"none".equals(fields[2])) {
            throw new IllegalArgumentException("docker container " + container + " uses network mode '" + fields[2]
                    + "'; start it with --network none so that jvs provides its network");
        }
        return fields[0];
    }
}
