package io.jvswitch.bench.cluster;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** The cluster figures as text (median and max of every series) and as JSON (every raw figure). */
public final class ClusterReport {
    private ClusterReport() {}

    public static String convergence(ClusterConvergence.Result r) {
        final StringBuilder out = new StringBuilder();
        out.append(String.format(
                "cluster convergence, %d attaches on A, observed from a container on C (3 hosts, 3 etcd members,"
                        + " TTL 10 s):%n",
                r.samples().size()));
        out.append(series("attach (CLI round trip on A)", r.of(ClusterConvergence.Sample::attachMs)));
        out.append(series("name resolves on C", r.of(ClusterConvergence.Sample::resolvedMs)));
        out.append(series("address answers ping from C", r.of(ClusterConvergence.Sample::pingedMs)));
        out.append(String.format(
                "  store requests per attach on A: %.1f; per second at rest (30 s): %.2f%n",
                r.requestsPerAttach(), r.requestsPerSecondAtRest()));
        return out.toString();
    }

    public static String scaleHeader() {
        return String.format(
                "cluster scale by simulation (one daemon syncing a simulated cluster from one etcd member):%n"
                        + "  %6s %9s %8s %9s %9s %8s %8s %8s %8s %14s %14s %9s %9s%n",
                "hosts",
                "endpoints",
                "keys",
                "API up",
                "read",
                "apply",
                "synced",
                "heap",
                "RSS",
                "change→API",
                "change→DNS",
                "req/chg",
                "req/s rest");
    }

    public static String scaleLine(ClusterScale.Result r) {
        return String.format(
                "  %6d %9d %8d %7.1f s %7.2f s %6.2f s %6.1f s %5.1f MiB %4.0f MiB %5.1f/%5.1f ms %5.1f/%5.1f ms %9.2f %9.2f%n",
                r.hosts(),
                r.endpoints(),
                r.keys(),
                r.readyMs() / 1000,
                r.storeReadMs() / 1000,
                r.applyMs() / 1000,
                r.syncMs() / 1000,
                r.heapMib(),
                r.rssMib(),
                median(r.appliedMs()),
                max(r.appliedMs()),
                median(r.resolvedMs()),
                max(r.resolvedMs()),
                r.requestsPerChange(),
                r.requestsPerSecondAtRest());
    }

    static void convergenceJson(ObjectNode node, ClusterConvergence.Result r) {
        node.put("attaches", r.samples().size());
        put(node.putObject("attachMs"), r.of(ClusterConvergence.Sample::attachMs));
        put(node.putObject("resolvedOnCMs"), r.of(ClusterConvergence.Sample::resolvedMs));
        put(node.putObject("pingedFromCMs"), r.of(ClusterConvergence.Sample::pingedMs));
        node.put("requestsPerAttach", r.requestsPerAttach());
        node.put("requestsPerSecondAtRest", r.requestsPerSecondAtRest());
    }

    static void scaleJson(ObjectNode node, ClusterScale.Result r) {
        node.put("hosts", r.hosts());
        node.put("endpoints", r.endpoints());
        node.put("keys", r.keys());
        node.put("populateMs", r.populateMs());
        node.put("apiReadyMs", r.readyMs());
        node.put("syncMs", r.syncMs());
        node.put("daemonStoreReadMs", r.storeReadMs());
        node.put("daemonApplyMs", r.applyMs());
        node.put("heapAfterGcMib", r.heapMib());
        node.put("rssMib", r.rssMib());
        put(node.putObject("changeAppliedMs"), r.appliedMs());
        put(node.putObject("changeResolvedMs"), r.resolvedMs());
        node.put("requestsPerChange", r.requestsPerChange());
        node.put("requestsPerSecondAtRest", r.requestsPerSecondAtRest());
    }

    private static void put(ObjectNode node, List<Double> values) {
        node.put("median", median(values));
        node.put("max", max(values));
        final ArrayNode raw = node.putArray("values");
        values.forEach(raw::add);
    }

    private static String series(String what, List<Double> values) {
        return String.format("  %-32s median %7.1f ms  max %7.1f ms%n", what, median(values), max(values));
    }

    static double median(List<Double> values) {
        final List<Double> sorted = values.stream().sorted().toList();
        return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2);
    }

    static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
