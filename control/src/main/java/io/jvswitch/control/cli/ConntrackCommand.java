package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "conntrack", description = "List the connections tracked for NAT, with their state and time left.")
final class ConntrackCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @Option(names = "--network", paramLabel = "NETWORK", description = "Only connections from or to this network.")
    String network;

    @Option(names = "--json", description = "Print the daemon's answer as JSON.")
    boolean json;

    @Override
    public Integer call() {
        final JsonNode answer = socket.api()
                .get("/v1/conntrack" + (network == null ? "" : "?network=" + NetworkCommand.encode(network)));
        if (json) {
            spec.commandLine().getOut().println(answer.toPrettyString());
            spec.commandLine().getOut().flush();
            return 0;
        }
        final TextTable table = new TextTable(
                "PROTO",
                "FROM",
                "SOURCE",
                "DESTINATION",
                "REPLY FROM",
                "REPLY SOURCE",
                "REPLY DESTINATION",
                "STATE",
                "TIMEOUT",
                "NAT");
        for (JsonNode c : answer.path("connections")) {
            table.row(
                    c.path("protocol").asText(),
                    c.path("network").asText(),
                    c.path("source").asText(),
                    c.path("destination").asText(),
                    c.path("replyNetwork").asText(),
                    c.path("replySource").asText(),
                    c.path("replyDestination").asText(),
                    c.path("state").asText(),
                    c.path("secondsLeft").asLong() + "s",
                    c.path("nat").asText());
        }
        table.print(spec.commandLine().getOut());
        final StringBuilder drops = new StringBuilder();
        answer.path("drops").properties().forEach(d -> {
            if (d.getValue().asLong() != 0) {
                drops.append(drops.isEmpty() ? "" : ", ")
                        .append(d.getKey())
                        .append('=')
                        .append(d.getValue().asLong());
            }
        });
        spec.commandLine()
                .getOut()
                .printf(
                        "%d of %d tracked; created %d, expired %d; drops: %s%n",
                        answer.path("count").asLong(),
                        answer.path("limit").asLong(),
                        answer.path("created").asLong(),
                        answer.path("expired").asLong(),
                        drops.isEmpty() ? "none" : drops);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
