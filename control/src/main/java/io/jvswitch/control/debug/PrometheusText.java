package io.jvswitch.control.debug;

import io.jvswitch.nat.NatCounter;
import io.jvswitch.nat.NatCounters;
import io.jvswitch.switching.DropReason;
import io.jvswitch.switching.NetworkCounter;
import io.jvswitch.switching.NetworkStats;
import io.jvswitch.switching.PortCounter;
import io.jvswitch.switching.PortStats;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/** The switch's counters in the Prometheus text exposition format (version 0.0.4). */
final class PrometheusText {
    private final StringBuilder out = new StringBuilder(4096);

    static String render(List<PortStats> ports, Map<String, NetworkStats> networks) {
        final PrometheusText text = new PrometheusText();
        for (PortCounter counter : PortCounter.values()) {
            text.portCounter(metricName("jvs_port_", counter.key(), "_total"), counter.help(), ports, counter);
        }
        text.header("jvs_port_drops_total", "Frames dropped at a port, by pipeline stage and reason.", "counter");
        for (PortStats p : ports) {
            for (Map.Entry<String, Long> drop : p.drops().entrySet()) {
                text.sample(
                        "jvs_port_drops_total",
                        "port",
                        p.name(),
                        "network",
                        p.network(),
                        "stage",
                        DropReason.parse(drop.getKey()).stage().label(),
                        "reason",
                        drop.getKey(),
                        drop.getValue());
            }
        }
        text.networkGauge(
                "jvs_network_fdb_entries",
                "MAC addresses in the network's forwarding table.",
                networks,
                NetworkStats::macEntries,
                "gauge");
        text.networkGauge(
                "jvs_network_fdb_limit",
                "Most MAC addresses the network's table holds.",
                networks,
                NetworkStats::macLimit,
                "gauge");
        text.networkGauge(
                "jvs_network_fdb_refused_total",
                "MAC addresses not learned because a limit was reached.",
                networks,
                n -> n.macRefusedTableFull() + n.macRefusedPortLimit(),
                "counter");
        text.networkGauge(
                "jvs_network_fdb_aged_total", "MAC addresses aged out.", networks, NetworkStats::macsAged, "counter");
        for (NetworkCounter counter : NetworkCounter.values()) {
            text.networkGauge(
                    metricName("jvs_network_", counter.key(), "_total"),
                    counter.help(),
                    networks,
                    n -> n.get(counter),
                    "counter");
        }
        return text.out.toString();
    }

    /**
     * The io_uring ready set's counters ({@code --tap-io uring}), one family with the event as a
     * label, and whether frames are read through the ring as a gauge; empty on the system-call path.
     */
    static String renderTapIo(Map<String, Long> ring) {
        if (ring == null || ring.isEmpty()) {
            return "";
        }
        final PrometheusText text = new PrometheusText();
        text.header("jvs_tapio_ring_events_total", "The TAP I/O ring's work and waits, by event.", "counter");
        ring.forEach((event, value) -> {
            if (!event.equals("ring-reads")) {
                text.sample("jvs_tapio_ring_events_total", "event", event, value);
            }
        });
        text.header("jvs_tapio_ring_reads", "1 where TAP frames are read through the ring, 0 where by readv.", "gauge");
        text.out
                .append("jvs_tapio_ring_reads ")
                .append(ring.getOrDefault("ring-reads", 0L))
                .append('\n');
        return text.out.toString();
    }

    /** The DNS responder's counters, one family with the outcome as a label; empty without DNS. */
    static String renderDns(Map<String, Long> dns) {
        if (dns == null) {
            return "";
        }
        final PrometheusText text = new PrometheusText();
        text.header(
                "jvs_dns_events_total",
                "DNS queries by outcome and reason, forwarding, cache and TCP events.",
                "counter");
        final Set<String> gauges = Set.of(
                "names", "names-limit-records", "upstreams-default", "cache-entries", "cache-bytes", "in-flight");
        dns.forEach((event, value) -> {
            if (!gauges.contains(event)) {
                text.sample("jvs_dns_events_total", "event", event, value);
            }
        });
        text.header("jvs_dns_state", "Sizes of the DNS name store, cache and queries in flight.", "gauge");
        dns.forEach((what, value) -> {
            if (gauges.contains(what)) {
                text.sample("jvs_dns_state", "what", what, value);
            }
        });
        return text.out.toString();
    }

    /**
     * The translator's counters, one family each ({@code jvs_nat_<label>_total}), its drops by reason
     * and its table's fill; empty without NAT.
     */
    static String renderNat(NatCounters nat) {
        if (nat == null) {
            return "";
        }
        final PrometheusText text = new PrometheusText();
        for (NatCounter counter : NatCounter.values()) {
            final String name = metricName("jvs_nat_", counter.label(), "_total");
            text.header(name, capitalised(counter.description()) + ".", "counter");
            text.out.append(name).append(' ').append(nat.get(counter)).append('\n');
        }
        text.header("jvs_nat_drops_total", "Packets the translator refused, by reason.", "counter");
        nat.dropsByReason().forEach((reason, n) -> text.sample("jvs_nat_drops_total", "reason", reason, n));
        text.header("jvs_nat_connections", "Connections in the translator's table.", "gauge");
        text.out.append("jvs_nat_connections ").append(nat.connections()).append('\n');
        text.header("jvs_nat_connections_limit", "Most connections the translator's table holds.", "gauge");
        text.out.append("jvs_nat_connections_limit ").append(nat.limit()).append('\n');
        return text.out.toString();
    }

    /** A metric name from a counter's key or label: {@code rxFrames} or {@code prefetch-found} in snake case. */
    static String metricName(String prefix, String key, String suffix) {
        final StringBuilder name = new StringBuilder(prefix);
        for (int i = 0; i < key.length(); i++) {
            final char c = key.charAt(i);
            if (Character.isUpperCase(c)) {
                name.append('_').append(Character.toLowerCase(c));
            } else {
                name.append(c == '-' ? '_' : c);
            }
        }
        return name.append(suffix).toString();
    }

    private static String capitalised(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    private void portCounter(String name, String help, List<PortStats> ports, PortCounter counter) {
        header(name, help, "counter");
        for (PortStats p : ports) {
            sample(name, "port", p.name(), "network", p.network(), p.get(counter));
        }
    }

    private void networkGauge(
            String name,
            String help,
            Map<String, NetworkStats> networks,
            ToLongFunction<NetworkStats> value,
            String type) {
        header(name, help, type);
        networks.forEach((network, stats) -> sample(name, "network", network, value.applyAsLong(stats)));
    }

    private void header(String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** {@code labelsAndValue}: label name, label value, ..., then the sample value (a long). */
    private void sample(String name, Object... labelsAndValue) {
        out.append(name).append('{');
        for (int i = 0; i + 1 < labelsAndValue.length; i += 2) {
            if (i > 0) {
                out.append(',');
            }
            out.append(labelsAndValue[i])
                    .append("=\"")
                    .append(escape(String.valueOf(labelsAndValue[i + 1])))
                    .append('"');
        }
        out.append("} ").append(labelsAndValue[labelsAndValue.length - 1]).append('\n');
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
