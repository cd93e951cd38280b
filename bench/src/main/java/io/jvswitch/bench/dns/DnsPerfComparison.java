package io.jvswitch.bench.dns;

import io.jvswitch.control.cli.JvsCommand;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.control.netns.CommandRunner;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Local-name answers per second, jvs's DNS responder against dnsmasq serving the same names, both
 * driven by {@code dnsperf} from one client namespace in the same run.
 *
 * <p>In namespaces it creates (and removes): a host running a jvs daemon, {@code CONTAINERS}
 * containers attached to one network with a name and three aliases each, and a dnsmasq namespace
 * joined to the client by a veth, where dnsmasq ({@code --no-resolv --no-hosts --host-record})
 * serves the same names and addresses. dnsperf asks each server for every name in turn (A
 * queries), for the same duration with the same concurrency, and the queries per second and their
 * ratio are printed. Needs root and the Debian packages {@code dnsperf} and {@code dnsmasq-base}.
 *
 * <p>Both paths cross one device from the client (a TAP into the jvs dataplane, a veth into
 * dnsmasq's namespace); jvs answers in the dataplane thread, dnsmasq in its single process.
 *
 * <pre>
 *   java [jvs JVM flags] -cp 'bench/target/jvs-bench.jar:bench/target/lib/*' \
 *       io.jvswitch.bench.dns.DnsPerfComparison [SECONDS] [CLIENTS]
 * </pre>
 */
public final class DnsPerfComparison {
    private static final int CONTAINERS = 10;
    private static final Pattern QPS = Pattern.compile("Queries per second:\\s+([0-9.]+)");
    private static final Pattern LOST = Pattern.compile("Queries lost:\\s+(\\d+)");

    private DnsPerfComparison() {}

    public static void main(String[] args) throws Exception {
        final int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        final int clients = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        final CommandRunner runner = new CommandRunner();
        for (String tool : List.of("dnsperf", "dnsmasq")) {
            if (!runner.run(List.of("sh", "-c", "command -v " + tool)).ok()) {
                System.err.println("DnsPerfComparison: " + tool + " is missing (apt-get install dnsperf dnsmasq-base)");
                System.exit(2);
            }
        }
        final Path dir = Files.createTempDirectory("jvs-dnsperf-");
        final NetnsLab lab = new NetnsLab("jvsbench-dns");
        DaemonProcess daemon = null;
        Process dnsmasq = null;
        try {
            final String host = lab.add("host");
            final String client = lab.add("client");
            final String dm = lab.add("dnsmasq");
            final Path socket = dir.resolve("jvs.sock");
            daemon = DaemonProcess.start(host, socket, dir.resolve("state"), dir.resolve("daemon.log"));
            jvs(socket, "network", "create", "bench", "--subnet", "10.97.0.0/24");
            jvs(socket, "attach", "--netns", client, "--network", "bench", "--name", "client");
            final List<String> hostRecords = new ArrayList<>();
            final StringBuilder queries = new StringBuilder();
            for (int i = 0; i < CONTAINERS; i++) {
                final String ns = lab.add("c" + i);
                final String ip = "10.97.0." + (10 + i);
                jvs(
                        socket,
                        "attach",
                        "--netns",
                        ns,
                        "--network",
                        "bench",
                        "--name",
                        "svc" + i,
                        "--ip",
                        ip,
                        "--alias",
                        "api" + i,
                        "--alias",
                        "db" + i,
                        "--alias",
                        "cache" + i);
                for (String name : List.of("svc" + i, "api" + i, "db" + i, "cache" + i)) {
                    hostRecords.add("--host-record=" + name + "," + ip);
                    queries.append(name).append(" A\n");
                }
            }
            final Path queryFile = dir.resolve("queries.txt");
            Files.writeString(queryFile, queries.toString());

            runner.check(
                    "veth",
                    List.of(
                            "ip", "-n", client, "link", "add", "dm0", "type", "veth", "peer", "name", "dm1", "netns",
                            dm));
            runner.check("addr", List.of("ip", "-n", client, "addr", "add", "10.98.0.1/30", "dev", "dm0"));
            runner.check("up", List.of("ip", "-n", client, "link", "set", "dm0", "up"));
            runner.check("addr", List.of("ip", "-n", dm, "addr", "add", "10.98.0.2/30", "dev", "dm1"));
            runner.check("up", List.of("ip", "-n", dm, "link", "set", "dm1", "up"));
            final List<String> dnsmasqCommand = new ArrayList<>(List.of(
                    "dnsmasq",
                    "--keep-in-foreground",
                    "--no-resolv",
                    "--no-hosts",
                    "--no-dhcp-interface=*",
                    "--listen-address=10.98.0.2",
                    "--bind-interfaces",
                    "--user=root",
                    "--pid-file=" + dir.resolve("dnsmasq.pid"),
                    "--local-ttl=600"));
            dnsmasqCommand.addAll(hostRecords);
            dnsmasq = lab.start(dm, dir.resolve("dnsmasq.log"), dnsmasqCommand.toArray(String[]::new));
            Thread.sleep(500);
            if (!dnsmasq.isAlive()) {
                throw new IllegalStateException(
                        "dnsmasq did not start: " + Files.readString(dir.resolve("dnsmasq.log")));
            }
            checkAnswer(lab, client, "10.97.0.1", "db3", "10.97.0.13");
            checkAnswer(lab, client, "10.98.0.2", "db3", "10.97.0.13");

            // a short warm-up for both (the JIT for jvs), then the measured runs back to back
            dnsperf(lab, client, "10.97.0.1", queryFile, 3, clients);
            dnsperf(lab, client, "10.98.0.2", queryFile, 1, clients);
            final double[] jvsRun = dnsperf(lab, client, "10.97.0.1", queryFile, seconds, clients);
            final double[] dnsmasqRun = dnsperf(lab, client, "10.98.0.2", queryFile, seconds, clients);
            System.out.printf(
                    "local names, %d s per server, dnsperf -c %d, %d names%n", seconds, clients, CONTAINERS * 4);
            System.out.printf("jvs      %10.0f queries/s  (%d lost)%n", jvsRun[0], (long) jvsRun[1]);
            System.out.printf("dnsmasq  %10.0f queries/s  (%d lost)%n", dnsmasqRun[0], (long) dnsmasqRun[1]);
            System.out.printf("ratio jvs/dnsmasq = %.2f%n", jvsRun[0] / dnsmasqRun[0]);
        } finally {
            if (dnsmasq != null) {
                dnsmasq.destroy();
                dnsmasq.waitFor();
            }
            if (daemon != null) {
                daemon.close();
            }
            lab.close();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void checkAnswer(NetnsLab lab, String client, String server, String name, String expected) {
        final String answer = lab.check(client, "dig", "@" + server, "+short", "+time=2", "+tries=2", name)
                .strip();
        if (!answer.equals(expected)) {
            throw new IllegalStateException(server + " answered " + name + " with '" + answer + "', not " + expected);
        }
    }

    /** Runs dnsperf; returns {queries per second, queries lost}. */
    private static double[] dnsperf(
            NetnsLab lab, String client, String server, Path queries, int seconds, int clients) {
        final String out = lab.check(
                client,
                "dnsperf",
                "-s",
                server,
                "-d",
                queries.toString(),
                "-l",
                Integer.toString(seconds),
                "-c",
                Integer.toString(clients),
                "-q",
                "200",
                "-t",
                "2");
        final Matcher qps = QPS.matcher(out);
        final Matcher lost = LOST.matcher(out);
        if (!qps.find()) {
            throw new IllegalStateException("no result from dnsperf: " + out);
        }
        return new double[] {Double.parseDouble(qps.group(1)), lost.find() ? Double.parseDouble(lost.group(1)) : -1};
    }

    private static void jvs(Path socket, String... args) {
        final StringWriter text = new StringWriter();
        final String[] full = Stream.concat(Stream.of(args), Stream.of("--socket", socket.toString()))
                .toArray(String[]::new);
        final int code = JvsCommand.run(full, new PrintWriter(text, true), new PrintWriter(text, true));
        if (code != 0) {
            throw new IllegalStateException("jvs " + String.join(" ", args) + " failed: " + text);
        }
    }
}
