package io.jvswitch.tap;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces and devices a test creates, released in reverse order by {@link #close()}: every
 * tracked device is closed first (a descriptor opened inside a namespace keeps that namespace alive),
 * then every namespace is deleted. Tests call {@link #close()} from {@code @AfterEach}, so cleanup also
 * runs when a test fails. Nothing here touches the root namespace's links, addresses or routes.
 */
final class TestNamespaces implements AutoCloseable {
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    private final List<String> names = new ArrayList<>();
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    /** Skips the calling test class unless it runs as root on a machine with /dev/net/tun and iproute2. */
    static void assumeTapCapable() {
        assumeTrue(isRoot(), "TAP tests need root (CAP_NET_ADMIN)");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "TAP tests need /dev/net/tun");
        assumeTrue(run(List.of("ip", "-V")).exit() == 0, "TAP tests need iproute2 ('ip')");
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // effective uid
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Creates a namespace {@code jvstap-<random>} with IPv6 off (no router solicitations or DAD noise). */
    String create() throws Exception {
        String name = "jvstap-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        check(run(List.of("ip", "netns", "add", name)), "ip netns add " + name);
        names.add(name);
        NetworkNamespace.call(path(name), () -> {
            // /proc/sys/net shows the namespace of the thread that opens it: this one.
            Files.writeString(Path.of("/proc/sys/net/ipv6/conf/all/disable_ipv6"), "1");
            Files.writeString(Path.of("/proc/sys/net/ipv6/conf/default/disable_ipv6"), "1");
            return null;
        });
        return name;
    }

    static Path path(String namespace) {
        return NetworkNamespace.named(namespace);
    }

    /** Closes {@code resource} before any namespace is deleted, even if the test fails. */
    <T extends AutoCloseable> T track(T resource) {
        resources.push(resource);
        return resource;
    }

    /** {@code ip -n NS args...}; fails the test if it exits non-zero. */
    static String ip(String namespace, String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "-n", namespace));
        command.addAll(List.of(args));
        return check(run(command), String.join(" ", command));
    }

    /** {@code ip netns del NS} now (the test's deliberate deletion); close() then skips it. */
    void delete(String namespace) {
        check(run(List.of("ip", "netns", "del", namespace)), "ip netns del " + namespace);
        names.remove(namespace);
    }

    /** The interface index of {@code device} in {@code namespace}, or -1 if there is no such device. */
    static int ifindex(String namespace, String device) {
        Result result = run(List.of("ip", "-n", namespace, "-o", "link", "show", "dev", device));
        if (result.exit() != 0) {
            return -1;
        }
        return Integer.parseInt(
                result.stdout().substring(0, result.stdout().indexOf(':')).trim());
    }

    /** The MAC address of {@code device} in {@code namespace}, as 6 bytes. */
    static byte[] mac(String namespace, String device) {
        String out = ip(namespace, "-o", "link", "show", "dev", device);
        int at = out.indexOf("link/ether ");
        if (at < 0) {
            throw new AssertionError("no link/ether in: " + out);
        }
        return HexFormat.ofDelimiter(":").parseHex(out.substring(at + 11, at + 11 + 17));
    }

    record Result(int exit, String stdout, String stderr) {}

    /** Runs a command with a time limit; a command that overruns is killed (by its own PID). */
    static Result run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
            if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(2, TimeUnit.SECONDS);
                return new Result(-1, "", "timed out after " + COMMAND_TIMEOUT);
            }
            return new Result(
                    process.exitValue(),
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                    new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, "", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "", e.toString());
        }
    }

    private static String check(Result result, String what) {
        if (result.exit() != 0) {
            throw new AssertionError(what + " failed (exit " + result.exit() + "): "
                    + result.stderr().strip());
        }
        return result.stdout();
    }

    @Override
    public void close() {
        Throwable failure = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Throwable t) {
                failure = failure == null ? t : failure;
            }
        }
        for (String name : names) {
            Result result = run(List.of("ip", "netns", "del", name));
            if (result.exit() != 0 && failure == null) {
                failure = new AssertionError(
                        "ip netns del " + name + " failed: " + result.stderr().strip());
            }
        }
        names.clear();
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }
}
