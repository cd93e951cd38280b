package io.jvswitch.control.lab;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.ApiClient;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.cli.JvsCommand;
import io.jvswitch.control.netns.CommandRunner;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code jvs demo}: a host, three containers and a stand-in for the world beyond the host, all
 * network namespaces made here and removed afterwards (also on Ctrl-C). Shows with real clients
 * that containers on one network reach each other (by address and by name), that ARP was answered
 * by the switch, that another network is unreachable, that the host reaches a container and its
 * published port, and that a container reaches beyond the host through masquerade, with a name
 * resolved by an upstream server out there, and that containers on two hosts (a second host
 * namespace with its own daemon) talk over VXLAN; then Docker with jvs as its plugin, and three hosts
 * joining one overlay through etcd ({@link DockerDemo}, {@link ClusterDemo}).
 */
public final class Demo {
    private static final Pattern RTT = Pattern.compile("rtt min/avg/max/mdev = ([0-9.]+)/([0-9.]+)/([0-9.]+)");
    private static final String OUTSIDE_IP = "10.250.0.2";

    private final PrintWriter out;
    private NetnsLab lab;
    private DaemonProcess daemon;
    /** The second host's daemon, for the overlay step. */
    private DaemonProcess daemonB;
    /** The Docker step's private engine and the jvs daemon beside it. */
    private DockerDemo docker;
    /** The cluster step's etcd and three daemons. */
    private ClusterDemo cluster;

    private Path workDir;
    private volatile boolean cleaned;

    public Demo(PrintWriter out) {
        this.out = out;
    }

    public int run() throws Exception {
        final Thread cleanupOnInterrupt = new Thread(this::cleanUp, "jvs-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupOnInterrupt);
        try {
            return show();
        } finally {
            cleanUp();
            Runtime.getRuntime().removeShutdownHook(cleanupOnInterrupt);
        }
    }

    private int show() throws Exception {
        say("jvs demo: a userspace switch for containers, in namespaces made for this demo");
        lab = new NetnsLab("jvsdemo");
        workDir = Files.createTempDirectory("jvs-demo-");
        final String host = lab.add("host");
        final String rose = lab.add("rose");
        final String tulip = lab.add("tulip");
        final String lily = lab.add("lily");
        step("host namespace " + host + "; containers " + rose + ", " + tulip + ", " + lily);

        final Path socket = workDir.resolve("jvs.sock");
        daemon = DaemonProcess.start(host, socket, workDir.resolve("state"), workDir.resolve("daemon.log"));
        step("daemon running in " + host + " (pid " + daemon.pid() + "), API on " + socket);

        final String outside = lab.add("outside");
        final Process upstream = beyondTheHost(host, outside);
        cli(socket, "network", "create", "frontend", "--subnet", "172.19.0.0/16", "--dns", OUTSIDE_IP);
        cli(socket, "network", "create", "backend");
        cli(socket, "attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        cli(socket, "attach", "--netns", tulip, "--network", "frontend", "--name", "tulip", "-p", "8080:80");
        cli(socket, "attach", "--netns", lily, "--network", "backend", "--name", "lily");
        say("");
        cli(socket, "network", "ls");
        say("");

        final String tulipIp = endpointIp(socket, "frontend", "tulip");
        final String lilyIp = endpointIp(socket, "backend", "lily");
        final CommandRunner.Result ping = lab.exec(rose, "ping", "-c", "5", "-i", "0.2", "-W", "1", tulipIp);
        final Matcher rtt = RTT.matcher(ping.stdout());
        final boolean sameNetworkOk = ping.ok();
        final JsonNode roseStats = portStats(socket, "rose");
        final long answered = roseStats.path("arpAnswered").asLong();
        final JsonNode lilyStatsBefore = portStats(socket, "lily");

        final CommandRunner.Result cross = lab.exec(rose, "ping", "-c", "2", "-i", "0.2", "-W", "1", lilyIp);
        final JsonNode lilyStatsAfter = portStats(socket, "lily");
        final long noRoute =
                portStats(socket, "rose").path("drops").path("isolated").asLong();
        final boolean isolated = !cross.ok()
                && lilyStatsAfter.path("txFrames").asLong()
                        == lilyStatsBefore.path("txFrames").asLong();

        say("Report");
        say(String.format(
                "  %-46s %s%s",
                "rose -> tulip (" + tulipIp + "), same network:",
                sameNetworkOk ? "reachable" : "NOT reachable",
                rtt.find() ? ", 5 pings, avg rtt " + rtt.group(2) + " ms" : ""));
        say(String.format(
                "  %-46s %s",
                "rose's ARP for tulip:",
                answered > 0
                        ? "answered by the switch (proxy-ARP, " + answered + " answer" + (answered == 1 ? "" : "s")
                                + "), never flooded"
                        : "not answered by the switch"));
        say(String.format(
                "  %-46s %s",
                "rose -> lily (" + lilyIp + "), other network:",
                isolated
                        ? "unreachable (the gateway refused " + noRoute + " packet" + (noRoute == 1 ? "" : "s")
                                + " as isolated; lily saw none)"
                        : "REACHABLE: isolation failed"));
        final boolean beyond = reportGatewayNamesAndNat(rose, tulip, host, outside, tulipIp);
        upstream.destroy();
        say("");
        cli(socket, "fdb", "frontend");
        say("");
        cli(socket, "ports", "--switch");
        say("");
        cli(socket, "ports");
        say("");
        final boolean overlayOk = showOverlay(host, socket);
        say("");
        docker = new DockerDemo(this, lab);
        final boolean dockerOk = docker.show();
        say("");
        cluster = new ClusterDemo(this, lab, workDir);
        final boolean clusterOk = cluster.show();
        final boolean ok = sameNetworkOk && answered > 0 && isolated && beyond && overlayOk && dockerOk && clusterOk;
        say(ok ? "demo passed; cleaning up" : "demo FAILED; daemon log:\n" + daemon.logText());
        return ok ? 0 : 1;
    }

    /**
     * The world beyond the host: a namespace behind a veth from the host namespace, routed (the host
     * forwards, as it must for Docker too), running an upstream DNS server for "example." names.
     */
    private Process beyondTheHost(String host, String outside) throws IOException {
        lab.check(host, "ip", "link", "add", "beyond", "type", "veth", "peer", "name", "eth0", "netns", outside);
        lab.check(host, "ip", "addr", "add", "10.250.0.1/24", "dev", "beyond");
        lab.check(host, "ip", "link", "set", "beyond", "up");
        lab.check(host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        lab.check(outside, "ip", "addr", "add", OUTSIDE_IP + "/24", "dev", "eth0");
        lab.check(outside, "ip", "link", "set", "eth0", "up");
        lab.check(outside, "ip", "route", "add", "default", "via", "10.250.0.1");
        final Path stub = workDir.resolve("stub-dns.py");
        try (var in = Demo.class.getResourceAsStream("/dns/stub-upstream.py")) {
            Files.copy(Objects.requireNonNull(in, "stub DNS script missing from the jar"), stub);
        }
        step("outside " + outside + " (" + OUTSIDE_IP + ") behind the host, serving DNS for example.");
        return lab.start(outside, workDir.resolve("stub-dns.log"), "python3", stub.toString(), OUTSIDE_IP);
    }

    /** What the gateway, the DNS responder and NAT do, seen by real clients; returns whether all worked. */
    private boolean reportGatewayNamesAndNat(String rose, String tulip, String host, String outside, String tulipIp)
            throws Exception {
        final Process web = lab.start(tulip, workDir.resolve("web.log"), "python3", "-m", "http.server", "80");
        final Process away = lab.start(
                outside, workDir.resolve("away.log"), "python3", "-m", "http.server", "8000", "--bind", OUTSIDE_IP);
        try {
            final boolean byName = lab.exec(rose, "ping", "-c", "2", "-i", "0.2", "-W", "1", "tulip")
                    .ok();
            final boolean hostToContainer = lab.exec(host, "ping", "-c", "2", "-i", "0.2", "-W", "1", tulipIp)
                    .ok();
            final boolean published = retry(
                    () -> lab.exec(host, "curl", "-s", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:8080/")
                            .ok());
            final CommandRunner.Result upstreamName = lab.exec(rose, "getent", "hosts", "ext.example");
            final boolean resolvedUpstream =
                    upstreamName.ok() && upstreamName.stdout().contains("198.51.100.7");
            final boolean reachedOut = retry(() -> lab.exec(
                            rose, "curl", "-s", "-o", "/dev/null", "--max-time", "2", "http://" + OUTSIDE_IP + ":8000/")
                    .ok());
            final String seenOutside =
                    Files.exists(workDir.resolve("away.log")) ? Files.readString(workDir.resolve("away.log")) : "";
            final Matcher client = Pattern.compile("^(\\d+\\.\\d+\\.\\d+\\.\\d+) - ", Pattern.MULTILINE)
                    .matcher(seenOutside);
            final String seenAs = client.find() ? client.group(1) : "?";
            say(String.format(
                    "  %-46s %s",
                    "rose -> tulip by name:",
                    byName ? "resolved by the DNS responder in the switch, reachable" : "NOT resolved"));
            say(String.format(
                    "  %-46s %s",
                    "host -> tulip (" + tulipIp + "):",
                    hostToContainer ? "reachable through the host link and the gateway" : "NOT reachable"));
            say(String.format(
                    "  %-46s %s",
                    "host -> 127.0.0.1:8080 (-p 8080:80):",
                    published ? "tulip's web server answered" : "NOT answered"));
            say(String.format(
                    "  %-46s %s",
                    "rose resolves ext.example:",
                    resolvedUpstream
                            ? "198.51.100.7, from the upstream server outside"
                            : "NOT resolved: " + upstreamName.stdout().strip()));
            say(String.format(
                    "  %-46s %s",
                    "rose -> " + OUTSIDE_IP + ":8000 (beyond the host):",
                    reachedOut
                            ? "answered; the server saw the request come from " + seenAs + " (masquerade)"
                            : "NOT reachable"));
            return byName && hostToContainer && published && resolvedUpstream && reachedOut;
        } finally {
            web.destroy();
            away.destroy();
        }
    }

    /** Servers start asynchronously: a few tries before calling something broken. */
    private static boolean retry(BooleanSupplier attempt) throws InterruptedException {
        for (int i = 0; i < 10; i++) {
            if (attempt.getAsBoolean()) {
                return true;
            }
            Thread.sleep(300);
        }
        return false;
    }

    /**
     * The overlay step: a second host namespace with its own daemon, joined to the first by a veth
     * underlay, and an overlay network (VXLAN) across both with one container on each side.
     */
    private boolean showOverlay(String hostA, Path socketA) throws Exception {
        final String hostB = lab.add("host2");
        final String iris = lab.add("iris");
        final String fern = lab.add("fern");
        new OverlayLab(lab).underlay(hostA, "under0", "10.251.0.1/24", hostB, "under0", "10.251.0.2/24");
        final Path socketB = workDir.resolve("jvs-host2.sock");
        daemonB = DaemonProcess.start(
                hostB, socketB, workDir.resolve("state-host2"), workDir.resolve("daemon-host2.log"));
        step("second host " + hostB + " with its own daemon (pid " + daemonB.pid()
                + "), underlay 10.251.0.1 <-> 10.251.0.2");
        cli(
                socketA,
                "network",
                "create",
                "multi",
                "--driver",
                "overlay",
                "--vni",
                "4242",
                "--subnet",
                "10.42.0.0/24",
                "--ip-range",
                "10.42.0.0/25",
                "--local",
                "10.251.0.1",
                "--peer",
                "10.251.0.2");
        say("$ # on " + hostB + ":");
        cli(
                socketB,
                "network",
                "create",
                "multi",
                "--driver",
                "overlay",
                "--vni",
                "4242",
                "--subnet",
                "10.42.0.0/24",
                "--ip-range",
                "10.42.0.128/25",
                "--local",
                "10.251.0.2",
                "--peer",
                "10.251.0.1");
        cli(socketA, "attach", "--netns", iris, "--network", "multi", "--name", "iris");
        say("$ # on " + hostB + ":");
        cli(socketB, "attach", "--netns", fern, "--network", "multi", "--name", "fern");
        final String fernIp = endpointIp(socketB, "multi", "fern");
        final CommandRunner.Result ping = lab.exec(iris, "ping", "-c", "5", "-i", "0.2", "-W", "1", fernIp);
        final Matcher rtt = RTT.matcher(ping.stdout());
        final JsonNode overlay = Json.mapper()
                .readTree(new ApiClient(socketA)
                        .send("GET", "/v1/networks/multi", null)
                        .body())
                .path("Overlay");
        final JsonNode peer = overlay.path("Peers").path(0).path("Counters");
        say("");
        say(String.format(
                "  %-46s %s%s",
                "iris (" + hostA + ") -> fern (" + hostB + ", " + fernIp + "):",
                ping.ok() ? "reachable over VXLAN" : "NOT reachable",
                rtt.find() ? ", 5 pings, avg rtt " + rtt.group(2) + " ms" : ""));
        say(String.format(
                "  %-46s %s",
                "tunnel to 10.251.0.2 (VNI " + overlay.path("VNI").asInt() + "):",
                peer.path("TxFrames").asLong() + " frames sent, "
                        + peer.path("RxFrames").asLong() + " received"));
        say("");
        cli(socketA, "fdb", "multi");
        return ping.ok() && peer.path("RxFrames").asLong() > 0;
    }

    private JsonNode portStats(Path socket, String name) throws IOException {
        final JsonNode ports = Json.mapper()
                .readTree(new ApiClient(socket).send("GET", "/v1/ports", null).body());
        for (JsonNode p : ports) {
            if (p.path("name").asText().equals(name)) {
                return p;
            }
        }
        throw new IllegalStateException("no port " + name);
    }

    private String endpointIp(Path socket, String network, String name) throws IOException {
        final JsonNode view = Json.mapper()
                .readTree(new ApiClient(socket)
                        .send("GET", "/v1/networks/" + network, null)
                        .body());
        for (JsonNode c : view.path("Containers")) {
            if (c.path("Name").asText().equals(name)) {
                return c.path("IPv4Address").asText().replaceAll("/.*", "");
            }
        }
        throw new IllegalStateException("no endpoint " + name + " on " + network);
    }

    /** Runs a jvs command as a user would type it, echoing it and its output. */
    void cli(Path socket, String... args) {
        say("$ jvs " + String.join(" ", args));
        final StringWriter text = new StringWriter();
        final PrintWriter writer = new PrintWriter(text);
        final String[] full = Stream.concat(Stream.of(args), Stream.of("--socket", socket.toString()))
                .toArray(String[]::new);
        final int code = JvsCommand.run(full, writer, writer);
        writer.flush();
        echo(text.toString());
        if (code != 0) {
            throw new IllegalStateException("jvs " + String.join(" ", args) + " failed");
        }
    }

    /** A command's output, indented under it. */
    void echo(String output) {
        out.print(output.indent(2));
        out.flush();
    }

    void step(String text) {
        say("* " + text);
    }

    void say(String text) {
        out.println(text);
        out.flush();
    }

    private synchronized void cleanUp() {
        if (cleaned) {
            return;
        }
        cleaned = true;
        try {
            if (cluster != null) {
                cluster.close();
            }
            if (docker != null) {
                docker.close();
            }
            if (daemonB != null) {
                daemonB.close();
            }
            if (daemon != null) {
                daemon.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (lab != null) {
            lab.close();
        }
        if (workDir != null) {
            try (Stream<Path> files = Files.walk(workDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temporary directory; nothing outside it was written
            }
        }
    }
}
