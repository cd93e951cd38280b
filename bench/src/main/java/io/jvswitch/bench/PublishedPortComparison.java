package io.jvswitch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.cli.JvsCommand;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.control.netns.CommandRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A published port through jvs against the same topology on the kernel (a bridge, a veth per
 * namespace, iptables DNAT and MASQUERADE), in one run on this machine: TCP throughput (iperf3,
 * one stream) and connection rate (connect, one request, close, for a fixed time) from a client
 * beyond the host to {@code <host address>:port}. Printed side by side with the ratio jvs/kernel.
 *
 * <p>For jvs this path is the host-side listener (the connection ends on the host's stack), so it
 * measures the relay against the kernel's in-path DNAT: the same comparison as docker-proxy
 * against iptables. Everything runs in namespaces the run creates and removes; nothing in the
 * root namespace changes. Needs root, iperf3, iptables and python3.
 *
 * <p>Reusable: {@link #run} returns the figures; {@link #main} prints them.
 */
public final class PublishedPortComparison {
    /** Figures of one topology. */
    public record Figures(double throughputGbps, double connectionsPerSecond) {
    }

    /** Both topologies, measured in one run. */
    public record Result(Figures jvs, Figures kernel) {
        public String report() {
            return String.format("%-28s %12s %12s %8s%n", "published port, outside->host", "jvs", "kernel", "ratio")
                + String.format("%-28s %12.2f %12.2f %8.2f%n", "TCP throughput (Gb/s)", jvs.throughputGbps,
                    kernel.throughputGbps, jvs.throughputGbps / kernel.throughputGbps)
                + String.format("%-28s %12.0f %12.0f %8.2f%n", "connections per second", jvs.connectionsPerSecond,
                    kernel.connectionsPerSecond, jvs.connectionsPerSecond / kernel.connectionsPerSecond);
        }
    }

    private static final String ACCEPTER = String.join("\n",
        "import socket, threading",
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        "s.bind(('0.0.0.0', 8080)); s.listen(1024)",
        "def serve(c):",
        "    try:",
        "        c.recv(64); c.sendall(b'ok')",
        "    finally:",
        "        c.close()",
        "while True:",
        "    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()");

    private static final String CONNECTOR = String.join("\n",
        "import socket, sys, time",
        "host, seconds = sys.argv[1], float(sys.argv[2])",
        "n = 0; end = time.time() + seconds",
        "while time.time() < end:",
        "    c = socket.create_connection((host, 8080), timeout=3)",
        "    c.sendall(b'hi'); c.recv(8); c.close(); n += 1",
        "print(n / seconds)");

    private final int seconds;

    public PublishedPortComparison(int seconds) {
        this.seconds = seconds;
    }

    public Result run() throws Exception {
        return new Result(jvs(), kernel());
    }

    private Figures jvs() throws Exception {
        final Path dir = Files.createTempDirectory("jvs-nat-bench-");
        try (NetnsLab lab = new NetnsLab("jvsnb")) {
            final String host = lab.add("host");
            final String server = lab.add("srv");
            final String outside = lab.add("out");
            final Path socket = dir.resolve("jvs.sock");
            try (DaemonProcess daemon = DaemonProcess.start(host, socket, dir.resolve("state"), dir.resolve("daemon.log"))) {
                veth(lab, host, outside, "10.79.0.1", "10.79.0.2");
                cli(socket, "network", "create", "bench", "--subnet", "10.76.0.0/24");
                cli(socket, "attach", "--netns", server, "--network", "bench", "--name", "srv", "-p", "5201:5201",
                    "-p", "8080:8080");
                return measure(lab, server, outside, "10.79.0.1", dir);
            }
        } finally {
            delete(dir);
        }
    }

    private Figures kernel() throws Exception {
        final Path dir = Files.createTempDirectory("jvs-nat-bench-");
        try (NetnsLab lab = new NetnsLab("jvsnk")) {
            final String host = lab.add("host");
            final String server = lab.add("srv");
            final String outside = lab.add("out");
            lab.check(host, "ip", "link", "add", "br0", "type", "bridge");
            lab.check(host, "ip", "addr", "add", "10.76.0.1/24", "dev", "br0");
            lab.check(host, "ip", "link", "set", "br0", "up");
            lab.check(host, "ip", "link", "add", "vs", "type", "veth", "peer", "name", "eth0", "netns", server);
            lab.check(host, "ip", "link", "set", "vs", "master", "br0", "up");
            lab.check(server, "ip", "addr", "add", "10.76.0.2/24", "dev", "eth0");
            lab.check(server, "ip", "link", "set", "eth0", "up");
            lab.check(server, "ip", "route", "add", "default", "via", "10.76.0.1");
            veth(lab, host, outside, "10.79.0.1", "10.79.0.2");
            for (String port : List.of("5201", "8080")) {
                lab.check(host, "iptables", "-t", "nat", "-A", "PREROUTING", "-p", "tcp", "-d", "10.79.0.1", "--dport",
                    port, "-j", "DNAT", "--to-destination", "10.76.0.2:" + port);
            }
            lab.check(host, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "10.76.0.0/24", "!", "-o", "br0", "-j",
                "MASQUERADE");
            return measure(lab, server, outside, "10.79.0.1", dir);
        } finally {
            delete(dir);
        }
    }

    private static void veth(NetnsLab lab, String host, String outside, String hostIp, String outsideIp) {
        lab.check(host, "ip", "link", "add", "vo", "type", "veth", "peer", "name", "eth0", "netns", outside);
        lab.check(host, "ip", "addr", "add", hostIp + "/24", "dev", "vo");
        lab.check(host, "ip", "link", "set", "vo", "up");
        lab.check(host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        lab.check(outside, "ip", "addr", "add", outsideIp + "/24", "dev", "eth0");
        lab.check(outside, "ip", "link", "set", "eth0", "up");
        lab.check(outside, "ip", "route", "add", "default", "via", hostIp);
    }

    private Figures measure(NetnsLab lab, String server, String outside, String hostIp, Path dir) throws Exception {
        final List<Process> servers = new ArrayList<>();
        try {
            servers.add(lab.start(server, dir.resolve("iperf3.log"), "iperf3", "-s", "-p", "5201"));
            final Path accepter = dir.resolve("accepter.py");
            Files.writeString(accepter, ACCEPTER);
            servers.add(lab.start(server, dir.resolve("accepter.log"), "python3", accepter.toString()));
            Thread.sleep(1000);
            CommandRunner.Result iperf = lab.exec(outside, "iperf3", "-c", hostIp, "-p", "5201", "-t",
                Integer.toString(seconds), "-J");
            for (int i = 0; i < 5 && !iperf.ok(); i++) {
                Thread.sleep(500);
                iperf = lab.exec(outside, "iperf3", "-c", hostIp, "-p", "5201", "-t", Integer.toString(seconds), "-J");
            }
            if (!iperf.ok()) {
                throw new IllegalStateException("iperf3 failed: " + iperf.stdout() + iperf.stderr());
            }
            final JsonNode report = Json.mapper().readTree(iperf.stdout());
            final double gbps = report.path("end").path("sum_received").path("bits_per_second").asDouble() / 1e9;
            final Path connector = dir.resolve("connector.py");
            Files.writeString(connector, CONNECTOR);
            final CommandRunner.Result rate = lab.exec(outside, "python3", connector.toString(), hostIp,
                Integer.toString(seconds));
            if (!rate.ok()) {
                throw new IllegalStateException("connection loop failed: " + rate.stderr());
            }
            return new Figures(gbps, Double.parseDouble(rate.stdout().trim()));
        } finally {
            for (Process p : servers) {
                p.destroy();
                p.waitFor();
            }
        }
    }

    private static void cli(Path socket, String... args) {
        final StringWriter err = new StringWriter();
        final String[] full = Stream.concat(Stream.of(args), Stream.of("--socket", socket.toString()))
            .toArray(String[]::new);
        if (JvsCommand.run(full, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)) != 0) {
            throw new IllegalStateException("jvs " + String.join(" ", args) + ": " + err);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** {@code java ... PublishedPortComparison [SECONDS]}: measures both and prints the table. */
    public static void main(String[] args) throws Exception {
        final int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.print(new PublishedPortComparison(seconds).run().report());
    }
}
