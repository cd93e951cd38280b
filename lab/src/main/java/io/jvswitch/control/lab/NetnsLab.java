package io.jvswitch.control.lab;

import io.jvswitch.control.netns.CommandRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Network namespaces standing in for hosts and containers, created under a unique prefix and all
 * deleted on {@link #close()}, also after a failure. Nothing here touches the root namespace's
 * links, addresses or routes.
 */
public final class NetnsLab implements AutoCloseable {
    private final String prefix;
    private final CommandRunner runner = new CommandRunner();
    private final List<String> created = new ArrayList<>();

    public NetnsLab(String purpose) {
        this.prefix =
                purpose + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(0x10000, 0xFFFFF), 36);
    }

    public String prefix() {
        return prefix;
    }

    /** Creates namespace {@code prefix-name} with its loopback up; returns its full name. */
    public synchronized String add(String name) {
        final String full = prefix + "-" + name;
        runner.check("cannot create namespace " + full, List.of("ip", "netns", "add", full));
        created.add(full);
        runner.check("cannot bring lo up in " + full, List.of("ip", "-n", full, "link", "set", "lo", "up"));
        return full;
    }

    /** Deletes one namespace now (a container going away). */
    public synchronized void delete(String full) {
        runner.run(List.of("ip", "netns", "delete", full));
        created.remove(full);
        deleteEtcNetns(full);
    }

    /** Runs a command inside a namespace. */
    public CommandRunner.Result exec(String namespace, String... command) {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(List.of(command));
        return runner.run(full);
    }

    /** Runs a command inside a namespace and fails with its output if it fails. */
    public String check(String namespace, String... command) {
        final CommandRunner.Result result = exec(namespace, command);
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", command) + " in " + namespace + " failed ("
                    + result.exitCode() + "): " + result.stdout() + result.stderr());
        }
        return result.stdout();
    }

    /** Starts a long-running command inside a namespace; the caller ends it by PID. */
    public Process start(String namespace, Path output, String... command) throws IOException {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(List.of(command));
        return new ProcessBuilder(full)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
    }

    /** Interface names in a namespace other than lo. */
    public List<String> links(String namespace) {
        final String out = runner.check("cannot list links", List.of("ip", "-n", namespace, "-o", "link", "show"));
        final List<String> names = new ArrayList<>();
        for (String line : out.split("\n")) {
            final String[] parts = line.split(":", 3);
            if (parts.length >= 2 && !parts[1].strip().equals("lo")) {
                names.add(parts[1].strip().replaceAll("@.*", ""));
            }
        }
        return names;
    }

    @Override
    public synchronized void close() {
        for (String namespace : List.copyOf(created)) {
            delete(namespace);
        }
    }

    private static void deleteEtcNetns(String namespace) {
        final Path dir = Path.of("/etc/netns", namespace);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort: the directory only holds files jvs wrote for this namespace
            }
        }
    }
}
