package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(
        name = "ports",
        description = {
            "List published ports (-p) with the host port each got, and the path clients take: from beyond the"
                    + " host through the switch (the container sees the client), from this host through the relay.",
            "With --switch: the switch's ports with their counters and drops by reason.",
            "With --host-rules: what jvs added to the host's policy routing for published ports."
        })
final class PortsCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @Option(names = "--switch", description = "List the switch's ports (one per endpoint and the host link) instead.")
    boolean switchPorts;

    @Option(
            names = "--host-rules",
            description = "List what jvs added to the host's policy routing for published ports (rules and table).")
    boolean hostRules;

    @Override
    public Integer call() {
        if (switchPorts) {
            return switchPorts();
        }
        if (hostRules) {
            for (JsonNode line : socket.api().get("/v1/published/host-rules")) {
                spec.commandLine().getOut().println(line.asText());
            }
            return 0;
        }
        final TextTable table = new TextTable("ENDPOINT", "NETWORK", "PROTO", "HOST", "CONTAINER", "PATH");
        for (JsonNode p : socket.api().get("/v1/published")) {
            table.row(
                    p.path("endpoint").asText(),
                    p.path("network").asText(),
                    p.path("protocol").asText(),
                    withPort(p.path("hostIp").asText(), p.path("hostPort").asInt()),
                    // an IPv6-only endpoint's container address is its IPv6 one
                    withPort(
                            p.path("containerIp").asText(),
                            p.path("containerPort").asInt()),
                    p.path("path").asText());
        }
        table.print(spec.commandLine().getOut());
        return 0;
    }

    /** {@code address:port}, an IPv6 address in brackets. */
    private static String withPort(String address, int port) {
        return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
    }

    private Integer switchPorts() {
        final TextTable table =
                new TextTable("PORT", "NETWORK", "MAC", "RX", "TX", "FWD", "FLOOD", "ARP-ANSWERED", "DROPS");
        for (JsonNode p : socket.api().get("/v1/ports")) {
            final List<String> drops = new ArrayList<>();
            p.path("drops")
                    .properties()
                    .forEach(d -> drops.add(d.getKey() + "=" + d.getValue().asLong()));
            table.row(
                    p.path("name").asText(),
                    p.path("network").asText(),
                    p.path("mac").asText(),
                    p.path("rxFrames").asLong(),
                    p.path("txFrames").asLong(),
                    p.path("forwarded").asLong(),
                    p.path("flooded").asLong(),
                    p.path("arpAnswered").asLong(),
                    drops.isEmpty() ? "-" : String.join(",", drops));
        }
        table.print(spec.commandLine().getOut());
        return 0;
    }
}
