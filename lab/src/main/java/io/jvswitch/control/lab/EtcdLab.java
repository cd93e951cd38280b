package io.jvswitch.control.lab;

import io.jvswitch.control.netns.CommandRunner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * etcd members (Debian's etcd-server) for tests and demos, each inside a namespace the caller
 * made, listening on that namespace's address, with a temporary data directory; one member or an
 * {@code --initial-cluster} of several. Started with {@code ip netns exec} (which execs, so the
 * PID is etcd's), stopped by that PID only; {@link #close()} stops them all and deletes their data,
 * also after a failure.
 */
public final class EtcdLab implements AutoCloseable {
    /** Client port of a member in its own namespace. */
    public static final int CLIENT_PORT = 2379;

    private static final int PEER_PORT = 2380;

    private final Path dir;
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final CommandRunner runner = new CommandRunner();
    private final String token = "jvs-" + Long.toString(System.nanoTime(), 36);

    /** One member: its name, namespace and address, and its process while it runs. */
    private static final class Member {
        final String name;
        final String namespace;
        final String address;
        final int clientPort;
        final int peerPort;
        Process process;

        Member(String name, String namespace, String address, int clientPort, int peerPort) {
            this.name = name;
            this.namespace = namespace;
            this.address = address;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
        }
    }

    public EtcdLab() throws IOException {
        this.dir = Files.createTempDirectory("jvs-etcd-");
    }

    /** Adds a member to start (before {@link #startAll()}), on the usual ports of its namespace's address. */
    public EtcdLab member(String name, String namespace, String address) {
        return member(name, namespace, address, CLIENT_PORT, PEER_PORT);
    }

    /**
     * Adds a member on given ports; {@code namespace} null runs it in this process's namespace
     * (then on loopback only: tests never listen on the host's own addresses).
     */
    public EtcdLab member(String name, String namespace, String address, int clientPort, int peerPort) {
        if (namespace == null && !address.startsWith("127.")) {
            throw new IllegalArgumentException("outside a test namespace, etcd listens on loopback only");
        }
        members.put(name, new Member(name, namespace, address, clientPort, peerPort));
        return this;
    }

    /** Starts every member as one new cluster and waits until each answers (30 s at most). */
    public void startAll() throws IOException, InterruptedException {
        for (Member m : members.values()) {
            launch(m, "new");
        }
        for (Member m : members.values()) {
            awaitHealthy(m, Duration.ofSeconds(30));
        }
    }

    /** {@code etcd://a:2379,b:2379}: every member's client URL, for {@code --cluster-store}. */
    public String storeUrl() {
        return "etcd://"
                + members.values().stream()
                        .map(m -> m.address + ":" + m.clientPort)
                        .collect(Collectors.joining(","));
    }

    public String clientUrl(String member) {
        final Member m = members.get(member);
        return "http://" + m.address + ":" + m.clientPort;
    }

    public List<String> names() {
        return List.copyOf(members.keySet());
    }

    public long pid(String member) {
        return members.get(member).process.pid();
    }

    /** SIGKILL one member (by its PID). */
    public void kill(String member) throws InterruptedException {
        final Member m = members.get(member);
        if (m.process != null && m.process.isAlive()) {
            m.process.destroyForcibly();
            m.process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts a stopped member again on its data directory (it rejoins its cluster) and waits for it. */
    public void restart(String member) throws IOException, InterruptedException {
        final Member m = members.get(member);
        launch(m, "existing");
    }

    /** Waits until {@code member} answers a read. */
    public void awaitHealthy(String member, Duration within) throws InterruptedException {
        awaitHealthy(members.get(member), within);
    }

    private void launch(Member m, String state) throws IOException {
        final String initial = members.values().stream()
                .map(o -> o.name + "=http://" + o.address + ":" + o.peerPort)
                .collect(Collectors.joining(","));
        final List<String> command = new ArrayList<>();
        if (m.namespace != null) {
            command.addAll(List.of("ip", "netns", "exec", m.namespace));
        }
        command.addAll(List.of(
                "etcd",
                "--name",
                m.name,
                "--data-dir",
                dir.resolve(m.name).toString(),
                "--listen-client-urls",
                "http://" + m.address + ":" + m.clientPort,
                "--advertise-client-urls",
                "http://" + m.address + ":" + m.clientPort,
                "--listen-peer-urls",
                "http://" + m.address + ":" + m.peerPort,
                "--initial-advertise-peer-urls",
                "http://" + m.address + ":" + m.peerPort,
                "--initial-cluster",
                initial,
                "--initial-cluster-state",
                state,
                "--initial-cluster-token",
                token,
                "--heartbeat-interval",
                "100",
                "--election-timeout",
                "1000",
                // the client re-opens a watch silent for longer than its bound: progress well within it
                "--experimental-watch-progress-notify-interval",
                "2s"));
        final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve(m.name + ".log").toFile()));
        if (!"amd64".equals(System.getProperty("os.arch")) && !"x86_64".equals(System.getProperty("os.arch"))) {
            builder.environment().put("ETCD_UNSUPPORTED_ARCH", System.getProperty("os.arch"));
        }
        m.process = builder.start();
    }

    /**
     * Reads a key through etcdctl inside the member's namespace (the caller's JVM may not reach the
     * namespace's address) until the member answers.
     */
    private void awaitHealthy(Member m, Duration within) throws InterruptedException {
        final long deadline = System.nanoTime() + within.toNanos();
        final List<String> command = new ArrayList<>();
        if (m.namespace != null) {
            command.addAll(List.of("ip", "netns", "exec", m.namespace));
        }
        command.addAll(List.of(
                "etcdctl",
                "--endpoints",
                "http://" + m.address + ":" + m.clientPort,
                "--dial-timeout=1s",
                "--command-timeout=1s",
                "get",
                "/jvs-health-probe"));
        while (System.nanoTime() < deadline) {
            if (!m.process.isAlive()) {
                throw new IllegalStateException("etcd member " + m.name + " exited:\n" + log(m.name));
            }
            if (runner.run(command).ok()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(
                "etcd member " + m.name + " did not answer within " + within.toSeconds() + " s:\n" + log(m.name));
    }

    public String log(String member) {
        try {
            return Files.readString(dir.resolve(member + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() {
        for (Member m : members.values()) {
            if (m.process != null && m.process.isAlive()) {
                m.process.destroyForcibly();
                try {
                    m.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temporary directory
        }
    }
}
