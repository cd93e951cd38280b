package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The scaling figures ({@code jvs bench --pairs}): 1, 2 or 4 client/server pairs of one path loaded
 * at once, one TCP stream each in an iperf3 process of its own, and their total throughput. Where
 * TCP x4 is four streams of one client process between two containers, this is more containers,
 * ports and flows at once: jvs's one dataplane thread is the ceiling a larger host would meet first,
 * and this is the figure where it shows. The pairs beyond a path's first are built once, after its
 * set-up, each server listening before the next is built.
 */
final class LoadPairs {
    private static final int IPERF_PORT = 5201;

    private final Map<String, List<DataplanePath.Endpoints>> byPath = new HashMap<>();

    /**
     * Builds {@code path}'s pairs up to {@code count} and starts an iperf3 server in each new server
     * namespace; the servers go into {@code servers}, which the runner stops.
     */
    void setUp(DataplanePath path, NetnsLab lab, BenchWorkspace workspace, int count, List<Process> servers)
            throws Exception {
        final List<DataplanePath.Endpoints> pairs = new ArrayList<>(List.of(path.endpoints()));
        for (int i = 1; i < count; i++) {
            final DataplanePath.Endpoints ends = path.addPair(lab, i);
            final Process server = lab.start(
                    ends.serverNamespace(),
                    workspace.root().resolve("iperf3-" + path.key() + "-" + i + ".out"),
                    "iperf3",
                    "-s");
            servers.add(server);
            BenchRunner.awaitListening(lab, ends.serverNamespace(), IPERF_PORT, server, "iperf3 server");
            // ARP and the switches' tables warm before anything is timed, as for the first pair
            lab.exec(ends.clientNamespace(), "ping", "-c", "3", "-i", "0.2", "-W", "1", ends.serverAddress());
            pairs.add(ends);
        }
        byPath.put(path.key(), pairs);
    }

    /**
     * One TCP stream on each of {@code path}'s first {@code n} pairs at once, for {@code seconds};
     * returns their total in Gb/s, and puts each pair's in {@code raw}.
     */
    double measure(DataplanePath path, int n, int seconds, Map<String, Object> raw) throws Exception {
        final List<DataplanePath.Endpoints> pairs = byPath.getOrDefault(path.key(), List.of(path.endpoints()));
        if (pairs.size() < n) {
            throw new IllegalStateException(path.key() + " has " + pairs.size() + " pairs, not " + n);
        }
        final long timeout = seconds + 20L;
        final List<Future<IperfResult>> runs = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(n)) {
            for (int i = 0; i < n; i++) {
                final DataplanePath.Endpoints ends = pairs.get(i);
                runs.add(clients.submit(() -> stream(ends, seconds, timeout)));
            }
            double total = 0;
            long bytes = 0;
            final List<Double> perPair = new ArrayList<>();
            for (Future<IperfResult> run : runs) {
                final IperfResult r = run.get(timeout + 10, TimeUnit.SECONDS);
                perPair.add(r.bitsPerSecond() / 1e9);
                total += r.bitsPerSecond() / 1e9;
                bytes += r.bytes();
            }
            raw.put("pairs", n);
            raw.put("perPairGbps", perPair);
            raw.put("bytes", bytes);
            return total;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IllegalStateException ise ? ise : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("iperf3 clients did not finish within " + timeout + " s");
        } finally {
            runs.forEach(run -> run.cancel(true));
        }
    }

    private static IperfResult stream(DataplanePath.Endpoints ends, int seconds, long timeout) throws Exception {
        final TimedCommand.Result out = TimedCommand.run(
                ends.clientNamespace(),
                timeout,
                "iperf3",
                "-c",
                ends.serverAddress(),
                "-t",
                Integer.toString(seconds),
                "-J",
                "--connect-timeout",
                "3000");
        if (out.timedOut()) {
            throw new IllegalStateException("iperf3 did not finish within " + timeout + " s");
        }
        return IperfResult.parse(out.output());
    }
}
