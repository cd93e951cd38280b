package io.jvswitch.control.debug;

import io.jvswitch.switching.DropReason;
import io.jvswitch.switching.NetworkStats;
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
        text.portCounter("jvs_port_rx_frames_total", "Frames received on a port.", ports, PortStats::rxFrames);
        text.portCounter(
                "jvs_port_rx_bytes_total", "Bytes received on a port (Ethernet frames).", ports, PortStats::rxBytes);
        text.portCounter("jvs_port_tx_frames_total", "Frames sent out of a port.", ports, PortStats::txFrames);
        text.portCounter("jvs_port_tx_bytes_total", "Bytes sent out of a port.", ports, PortStats::txBytes);
        text.portCounter(
                "jvs_port_forwarded_total", "Received frames forwarded to one port.", ports, PortStats::forwarded);
        text.portCounter(
                "jvs_port_flooded_total", "Received frames flooded in their network.", ports, PortStats::flooded);
        text.portCounter(
                "jvs_port_arp_answered_total",
                "ARP requests the switch answered (proxy-ARP).",
                ports,
                PortStats::arpAnswered);
        text.portCounter(
                "jvs_port_routed_total",
                "Received packets the gateway routed to another network or the host.",
                ports,
                PortStats::routed);
        text.portCounter(
                "jvs_port_gateway_answered_total",
                "Received packets the gateway answered itself (ping, its UDP service).",
                ports,
                PortStats::gatewayAnswered);
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
        text.networkGauge(
                "jvs_network_unknown_unicast_total",
                "Frames flooded because the destination was not learned.",
                networks,
                NetworkStats::unknownUnicast,
                "counter");
        text.networkGauge(
                "jvs_network_routed_in_total",
                "Packets the gateway routed into the network.",
                networks,
                NetworkStats::routedIn,
                "counter");
        text.networkGauge(
                "jvs_network_routed_out_total",
                "Packets the gateway routed out of the network.",
                networks,
                NetworkStats::routedOut,
                "counter");
        text.networkGauge(
                "jvs_network_icmp_errors_total",
                "ICMP errors the gateway sent into the network.",
                networks,
                NetworkStats::icmpErrors,
                "counter");
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

    private void portCounter(String name, String help, List<PortStats> ports, ToLongFunction<PortStats> value) {
        header(name, help, "counter");
        for (PortStats p : ports) {
            sample(name, "port", p.name(), "network", p.network(), value.applyAsLong(p));
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
