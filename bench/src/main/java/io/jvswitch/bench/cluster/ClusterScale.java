package io.jvswitch.bench.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.cluster.EtcdGateway;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.EtcdLab;
import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.control.lab.OverlayLab;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cluster mode at scale, by simulation: a generator writes {@code hosts} hosts and {@code
 * endpoints} endpoints into a real etcd (one member, in a namespace of its own, with a temporary
 * data directory) in the records the daemons write, then one real jvs daemon (in its own
 * namespace, on a veth underlay to etcd's) joins with {@code --cluster-store} and syncs. Measured:
 * the time from its start to every remote endpoint applied, its heap after a full GC and its RSS,
 * the time from one more endpoint written into the store to it being applied (the daemon's API)
 * and its name answering from a container on the daemon (its DNS), the store requests the daemon
 * sent per change (its lease's keep-alives, which run on a clock, left out) and per second at rest
 * (everything).
 *
 * <pre>
 *   java [jvs JVM flags] -cp 'bench/target/jvs-bench.jar:bench/target/lib/*' \
 *       io.jvswitch.bench.cluster.ClusterScale [HOSTSxENDPOINTS ...]      (default 50x5000)
 * </pre>
 */
public final class ClusterScale {
    private static final Pattern USED = Pattern.compile("used (\\d+)K");
    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");
    private static final String DAEMON_ADDRESS = "10.211.0.1";
    private static final String ETCD_ADDRESS = "10.211.0.2";

    private ClusterScale() {}

    /** One point's figures; times in ms, memory in MiB, requests as the daemon counts them. */
    public record Result(
            int hosts,
            int endpoints,
            int keys,
            double populateMs,
            double readyMs,
            double syncMs,
            double storeReadMs,
            double applyMs,
            double heapMib,
            double rssMib,
            List<Double> appliedMs,
            List<Double> resolvedMs,
            double requestsPerChange,
            double requestsPerSecondAtRest) {}

    public static void main(String[] args) throws Exception {
        final List<String> points = args.length == 0 ? List.of("50x5000") : List.of(args);
        System.out.print(ClusterReport.scaleHeader());
        for (String point : points) {
            final String[] p = point.split("x");
            final Result r = run(Integer.parseInt(p[0]), Integer.parseInt(p[1]), 20, 15);
            System.out.print(ClusterReport.scaleLine(r));
        }
    }

    /** Measures one point, with {@code changes} endpoints added one at a time and a quiet spell of {@code restSeconds}. */
    public static Result run(int hosts, int endpoints, int changes, int restSeconds) throws Exception {
        final NetnsLab lab = new NetnsLab("jvsbench-sc");
        DaemonProcess daemon = null;
        try (ScratchDir dir = ScratchDir.create("jvs-scale-");
                EtcdLab etcd = new EtcdLab()) {
            final String host = lab.add("h");
            final String store = lab.add("e");
            new OverlayLab(lab).underlay(host, "u0", DAEMON_ADDRESS + "/16", store, "u0", ETCD_ADDRESS + "/16");
            etcd.member("e", store, ETCD_ADDRESS);
            etcd.startAll();
            try (NamespacePortForward forward =
                            new NamespacePortForward(store, new InetSocketAddress(ETCD_ADDRESS, EtcdLab.CLIENT_PORT));
                    EtcdGateway client = new EtcdGateway(
                            List.of(URI.create(forward.url())), Duration.ofSeconds(10), Duration.ofSeconds(30))) {
                final ClusterRecordWriter writer = new ClusterRecordWriter(client, hosts);
                long start = System.nanoTime();
                final int keys = writer.populate(endpoints, 4789);
                final double populateMs = ms(start);

                start = System.nanoTime();
                daemon = DaemonProcess.start(
                        host,
                        dir.resolve("jvs.sock"),
                        dir.resolve("state"),
                        dir.resolve("daemon.log"),
                        "--cluster-store",
                        etcd.storeUrl(),
                        "--cluster-advertise",
                        DAEMON_ADDRESS,
                        "--cluster-host-name",
                        "bench");
                final double readyMs = ms(start);
                final JvsClient jvs = new JvsClient(daemon.socket());
                awaitRemote(jvs, endpoints, start, 600);
                final double syncMs = ms(start);
                final JsonNode synced = status(jvs);
                final double heapMib = heapAfterGc(daemon.pid());
                final double rssMib = rss(daemon.pid());

                final String probe = lab.add("probe");
                jvs.run("attach", "--netns", probe, "--network", ClusterRecordWriter.NETWORK, "--name", "probe");
                final List<Double> applied = new ArrayList<>();
                final List<Double> resolved = new ArrayList<>();
                final long requestsBefore = requestsBesideKeepAlive(status(jvs));
                for (int i = 0; i < changes; i++) {
                    final String name = "chg" + i;
                    final long t0 = System.nanoTime();
                    final String ip = writer.addEndpoint(i % hosts, name);
                    awaitRemote(jvs, endpoints + i + 1, t0, 30);
                    applied.add(ms(t0));
                    final long deadline = t0 + 30_000_000_000L;
                    while (!ip.equals(ClusterConvergence.dig(lab, probe, ClusterRecordWriter.GATEWAY, name))) {
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException(name + " did not resolve within 30 s");
                        }
                    }
                    resolved.add(ms(t0));
                }
                final long requestsAfter = requestsBesideKeepAlive(status(jvs));
                final long totalAfter = status(jvs).path("requestsTotal").asLong();
                Thread.sleep(restSeconds * 1000L);
                final long requestsRest = status(jvs).path("requestsTotal").asLong();
                return new Result(
                        hosts,
                        endpoints,
                        keys,
                        populateMs,
                        readyMs,
                        syncMs,
                        synced.path("startupLoadMs").asDouble(),
                        synced.path("startupApplyMs").asDouble(),
                        heapMib,
                        rssMib,
                        applied,
                        resolved,
                        // the status reads themselves are local: the store requests are the daemon's own
                        (requestsAfter - requestsBefore) / (double) changes,
                        (requestsRest - totalAfter) / (double) restSeconds);
            }
        } catch (RuntimeException e) {
            if (daemon != null) {
                final List<String> log = daemon.logText().lines().toList();
                System.err.println("the daemon's log, last lines:");
                log.subList(Math.max(0, log.size() - 30), log.size()).forEach(System.err::println);
            }
            throw e;
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            lab.close();
        }
    }

    /** Waits until the daemon has applied {@code count} remote endpoints. */
    private static void awaitRemote(JvsClient jvs, int count, long start, int seconds) throws InterruptedException {
        final long deadline = start + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            final String out = jvs.runOrNull("cluster", "status");
            if (out != null && remoteEndpoints(out) >= count) {
                return;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException(
                "the daemon did not apply " + count + " remote endpoints within " + seconds + " s");
    }

    private static long remoteEndpoints(String statusJson) {
        try {
            return Json.mapper().readTree(statusJson).path("remoteEndpoints").asLong();
        } catch (IOException e) {
            return -1;
        }
    }

    /** The daemon's store requests but its lease's keep-alives, which run on a clock, not per change. */
    private static long requestsBesideKeepAlive(JsonNode status) {
        return status.path("requestsTotal").asLong()
                - status.path("requests").path("keepalive").asLong();
    }

    private static JsonNode status(JvsClient jvs) throws IOException {
        return Json.mapper().readTree(jvs.run("cluster", "status"));
    }

    /** The heap in use after a full collection ({@code jcmd GC.run}, then {@code GC.heap_info}), MiB. */
    private static double heapAfterGc(long pid) throws IOException, InterruptedException {
        command("jcmd", Long.toString(pid), "GC.run");
        long usedKib = 0;
        for (String line : command("jcmd", Long.toString(pid), "GC.heap_info").split("\n")) {
            if (line.contains("Metaspace") || line.contains("class space")) {
                continue;
            }
            final Matcher m = USED.matcher(line);
            if (m.find()) {
                usedKib += Long.parseLong(m.group(1));
            }
        }
        return usedKib / 1024.0;
    }

    /** A tool's output (jcmd answers within seconds; 30 s at most). */
    private static String command(String... command) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not end within 30 s");
        }
        return out;
    }

    private static double rss(long pid) throws IOException {
        final Matcher m = RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
        return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
    }

    private static double ms(long start) {
        return (System.nanoTime() - start) / 1e6;
    }
}
