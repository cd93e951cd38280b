package io.jvswitch.bench.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.lab.EtcdLab;
import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.control.lab.OverlayLab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Cluster convergence: how long from {@code jvs attach} on host A until the new container's name
 * resolves, and its address answers a ping, from a container on host C, through the cluster
 * store. Median and maximum over N attaches, with the store requests each attach cost and the
 * requests per second a daemon sends at rest.
 *
 * <p>In namespaces it creates (and removes): a Linux bridge as the underlay, three etcd members
 * and three jvs daemons on it ({@code --cluster-ttl 10}), one global network created on A. The
 * network is {@code --internal}, so a name not known yet is refused at once instead of going to
 * an upstream resolver that does not answer (which would add dig's one-second timeout to the
 * measurement). Polling costs a process start per probe (a few ms), which bounds the resolution.
 *
 * <pre>
 *   java [jvs JVM flags] -cp 'bench/target/jvs-bench.jar:bench/target/lib/*' \
 *       io.jvswitch.bench.cluster.ClusterConvergence [ATTACHES]
 * </pre>
 */
public final class ClusterConvergence {
    private static final String GATEWAY = "10.40.0.1";

    private ClusterConvergence() {}

    /** One attach: its own duration, and the time until C resolved and pinged it (all from its start). */
    record Sample(double attachMs, double resolvedMs, double pingedMs) {}

    /** Every attach's sample, the store requests per attach on A and per second at rest (30 s). */
    public record Result(List<Sample> samples, double requestsPerAttach, double requestsPerSecondAtRest) {
        List<Double> of(ToDoubleFunction<Sample> figure) {
            return samples.stream().mapToDouble(figure).boxed().toList();
        }
    }

    public static void main(String[] args) throws Exception {
        final int attaches = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        System.out.print(ClusterReport.convergence(run(attaches)));
    }

    /** Builds the three hosts, measures {@code attaches} attaches on A as seen from C, removes everything. */
    public static Result run(int attaches) throws Exception {
        final NetnsLab lab = new NetnsLab("jvsbench-cl");
        final List<DaemonProcess> daemons = new ArrayList<>();
        try (ScratchDir dir = ScratchDir.create("jvs-convergence-");
                EtcdLab etcd = new EtcdLab()) {
            final List<String> hosts = new ArrayList<>();
            final Map<String, String> addresses = new LinkedHashMap<>();
            for (int i = 1; i <= 3; i++) {
                hosts.add(lab.add("h" + i));
                addresses.put(hosts.getLast(), "10.211.0." + i + "/24");
            }
            for (int i = 1; i <= 3; i++) {
                final String ns = lab.add("e" + i);
                addresses.put(ns, "10.211.0." + (10 + i) + "/24");
                etcd.member("e" + i, ns, "10.211.0." + (10 + i));
            }
            new OverlayLab(lab).bridgedUnderlay(lab.add("sw"), "u0", addresses);
            etcd.startAll();
            for (int i = 1; i <= 3; i++) {
                final Path hostDir = Files.createDirectories(dir.resolve("h" + i));
                daemons.add(DaemonProcess.start(
                        hosts.get(i - 1),
                        hostDir.resolve("jvs.sock"),
                        hostDir.resolve("state"),
                        hostDir.resolve("daemon.log"),
                        "--cluster-store",
                        etcd.storeUrl(),
                        "--cluster-advertise",
                        "10.211.0." + i,
                        "--cluster-host-name",
                        "h" + i,
                        "--cluster-ttl",
                        "10"));
            }
            final JvsClient a = new JvsClient(daemons.get(0).socket());
            final JvsClient c = new JvsClient(daemons.get(2).socket());
            a.run("network", "create", "conv", "--driver", "overlay", "--subnet", "10.40.0.0/16", "--internal");
            final String probe = lab.add("probe");
            awaitNetwork(c, "conv");
            c.run("attach", "--netns", probe, "--network", "conv", "--name", "probe");
            final List<Sample> samples = new ArrayList<>();
            for (int i = 0; i < attaches; i++) {
                final String name = "n" + i;
                final String ns = lab.add(name);
                final long start = System.nanoTime();
                // "n0 attached to conv: eth0 10.40.0.2 02:4a:0a:28:00:02"
                final String attached = a.run("attach", "--netns", ns, "--network", "conv", "--name", name);
                final double attachMs = ms(start);
                final String ip = attached.strip().split("\\s+")[5];
                double resolved = -1;
                double pinged = -1;
                final long deadline = start + 30_000_000_000L;
                while (System.nanoTime() < deadline && (resolved < 0 || pinged < 0)) {
                    if (resolved < 0 && dig(lab, probe, GATEWAY, name).equals(ip)) {
                        resolved = ms(start);
                    }
                    if (pinged < 0
                            && lab.exec(probe, "ping", "-c", "1", "-W", "1", ip).ok()) {
                        pinged = ms(start);
                    }
                }
                if (resolved < 0 || pinged < 0) {
                    throw new IllegalStateException(name + " did not converge on C within 30 s");
                }
                samples.add(new Sample(attachMs, resolved, pinged));
            }
            final JsonNode before = status(a);
            Thread.sleep(30_000);
            final JsonNode after = status(a);
            final double restRate = (after.path("requestsTotal").asLong()
                            - before.path("requestsTotal").asLong())
                    / 30.0;
            return new Result(samples, after.path("requestsPerAttach").asDouble(), restRate);
        } finally {
            for (DaemonProcess d : daemons) {
                d.close();
            }
            lab.close();
        }
    }

    private static double ms(long start) {
        return (System.nanoTime() - start) / 1e6;
    }

    /** The first address {@code dig @server} answers for {@code name} from namespace {@code ns}, or "". */
    static String dig(NetnsLab lab, String ns, String server, String name) {
        for (String line : lab.exec(ns, "dig", "+short", "+time=1", "+tries=1", "@" + server, name)
                .stdout()
                .split("\n")) {
            if (line.strip().matches("\\d+\\.\\d+\\.\\d+\\.\\d+")) {
                return line.strip();
            }
        }
        return "";
    }

    private static JsonNode status(JvsClient daemon) throws IOException {
        return Json.mapper().readTree(daemon.run("cluster", "status"));
    }

    private static void awaitNetwork(JvsClient daemon, String network) throws InterruptedException {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (daemon.runOrNull("network", "inspect", network) != null) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("network " + network + " did not reach host C within 10 s");
    }
}
