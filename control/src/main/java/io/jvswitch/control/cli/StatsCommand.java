package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "stats", description = "Counters per port, per pipeline stage and per drop reason, and per network.")
final class StatsCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print everything as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        final JsonNode stats = socket.api().get("/v1/stats");
        final PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(ApiCall.JSON
                    .copy()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(stats));
            out.flush();
            return 0;
        }
        final TextTable ports = new TextTable(
                "PORT", "NETWORK", "RX", "RX-BYTES", "TX", "TX-BYTES", "FWD", "FLOOD", "ARP", "ROUTED", "GW", "DROPS");
        for (JsonNode p : stats.path("ports")) {
            final List<String> drops = new ArrayList<>();
            p.path("drops")
                    .properties()
                    .forEach(d -> drops.add(d.getKey() + "=" + d.getValue().asLong()));
            ports.row(
                    p.path("name").asText(),
                    p.path("network").asText(),
                    p.path("rxFrames").asLong(),
                    p.path("rxBytes").asLong(),
                    p.path("txFrames").asLong(),
                    p.path("txBytes").asLong(),
                    p.path("forwarded").asLong(),
                    p.path("flooded").asLong(),
                    p.path("arpAnswered").asLong(),
                    p.path("routed").asLong(),
                    p.path("gatewayAnswered").asLong(),
                    drops.isEmpty() ? "-" : String.join(",", drops));
        }
        ports.print(out);
        out.println();
        final TextTable stages = new TextTable("STAGE", "DROPS");
        stats.path("dropsByStage")
                .properties()
                .forEach(s -> stages.row(s.getKey(), s.getValue().asLong()));
        stages.print(out);
        out.println();
        final TextTable reasons = new TextTable("DROP REASON", "FRAMES");
        stats.path("dropsByReason")
                .properties()
                .forEach(r -> reasons.row(r.getKey(), r.getValue().asLong()));
        if (stats.path("dropsByReason").isEmpty()) {
            reasons.row("(none)", 0);
        }
        reasons.print(out);
        out.println();
        final TextTable networks = new TextTable(
                "NETWORK",
                "PORTS",
                "FDB",
                "LIMIT",
                "REFUSED",
                "AGED",
                "FLOODED",
                "UNKNOWN-UNICAST",
                "ARP",
                "ROUTED-IN",
                "ROUTED-OUT",
                "ICMP-ERR");
        stats.path("networks").properties().forEach(e -> {
            final JsonNode n = e.getValue();
            networks.row(
                    e.getKey(),
                    n.path("ports").asInt(),
                    n.path("macEntries").asInt(),
                    n.path("macLimit").asInt(),
                    n.path("macRefusedTableFull").asLong()
                            + n.path("macRefusedPortLimit").asLong(),
                    n.path("macsAged").asLong(),
                    n.path("flooded").asLong(),
                    n.path("unknownUnicast").asLong(),
                    n.path("arpAnswered").asLong(),
                    n.path("routedIn").asLong(),
                    n.path("routedOut").asLong(),
                    n.path("icmpErrors").asLong());
        });
        networks.print(out);
        final JsonNode router = stats.path("router");
        if (!router.isMissingNode()) {
            out.printf(
                    "%nrouter: host link %s, %d packets from the host, %d to it; %d ICMP errors sent, %d held back by the rate limit%n",
                    router.path("hostLinkPlugged").asBoolean() ? "up" : "absent",
                    router.path("fromHost").asLong(),
                    router.path("toHost").asLong(),
                    router.path("icmpErrorsSent").asLong(),
                    router.path("icmpErrorsSuppressed").asLong());
        }
        final JsonNode tapIo = stats.path("tapIo");
        if (!tapIo.isEmpty()) {
            out.println();
            final TextTable ring = new TextTable("TAP I/O RING", "COUNT");
            tapIo.properties().forEach(e -> ring.row(e.getKey(), e.getValue().asLong()));
            ring.print(out);
        }
        final JsonNode dns = stats.path("dns");
        if (!dns.isMissingNode()) {
            out.println();
            final TextTable dnsTable = new TextTable("DNS", "COUNT");
            dns.properties().forEach(e -> dnsTable.row(e.getKey(), e.getValue().asLong()));
            dnsTable.print(out);
        }
        final JsonNode nat = stats.path("nat");
        if (!nat.isMissingNode()) {
            out.println();
            final TextTable natTable = new TextTable("NAT", "COUNT");
            nat.properties().forEach(e -> {
                if (e.getValue().isNumber()) {
                    natTable.row(e.getKey(), e.getValue().asLong());
                }
            });
            nat.path("drops").properties().forEach(d -> {
                if (d.getValue().asLong() != 0) {
                    natTable.row("drop " + d.getKey(), d.getValue().asLong());
                }
            });
            natTable.print(out);
        }
        final JsonNode capture = stats.path("capture");
        if (!capture.isMissingNode()) {
            out.printf(
                    "%ncapture: %d frames copied, %d lost in the capture ring, %d lost at slow clients%n",
                    capture.path("copied").asLong(),
                    capture.path("ringDrops").asLong(),
                    capture.path("clientDrops").asLong());
        }
        out.flush();
        return 0;
    }
}
