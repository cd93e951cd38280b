package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(
        name = "cluster",
        description = "The cluster this daemon joined through its --cluster-store.",
        subcommands = {ClusterCommand.Hosts.class, ClusterCommand.Status.class, ClusterCommand.Host.class})
final class ClusterCommand {

    @Command(name = "hosts", description = "Every host the store knows: address, alive since, endpoints, blocks.")
    static final class Hosts implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            final JsonNode hosts = socket.api().get("/v1/cluster/hosts");
            final PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(ApiCall.JSON
                        .copy()
                        .enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(hosts));
                out.flush();
                return 0;
            }
            final TextTable table =
                    new TextTable("NAME", "ADDRESS", "STATE", "SINCE", "ENDPOINTS", "ADDRESSES", "BLOCKS");
            for (JsonNode h : hosts) {
                final List<String> blocks = new ArrayList<>();
                h.path("blocks").forEach(b -> blocks.add(b.asText()));
                table.row(
                        h.path("name").asText() + (h.path("self").asBoolean() ? " (this host)" : ""),
                        h.path("address").asText("-"),
                        h.path("alive").asBoolean() ? "alive" : "dead",
                        h.path("since").asText("-"),
                        h.path("endpoints").asInt(),
                        h.path("addresses").asInt() + h.path("addresses6").asInt(), // both families' claims
                        blocks.isEmpty() ? "-" : String.join(" ", blocks));
            }
            table.print(out);
            return 0;
        }
    }

    @Command(
            name = "status",
            description = "The store connection: endpoint, lease, watch revision, requests by kind, last error.")
    static final class Status implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            final PrintWriter out = spec.commandLine().getOut();
            out.println(ApiCall.JSON
                    .copy()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(socket.api().get("/v1/cluster/status")));
            out.flush();
            return 0;
        }
    }

    @Command(name = "host", description = "Manage hosts of the cluster.", subcommands = HostRm.class)
    static final class Host {}

    @Command(
            name = "rm",
            aliases = "remove",
            description =
                    "Reclaim a dead host's address blocks and addresses and remove its saved state (refused while it is alive).")
    static final class HostRm implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            final JsonNode removed = socket.api().delete("/v1/cluster/hosts/" + NetworkCommand.encode(name));
            spec.commandLine()
                    .getOut()
                    .println(name + ": " + removed.path("keys").asInt() + " keys reclaimed"
                            + (removed.path("stateRecord").asBoolean() ? ", its saved state among them" : ""));
            return 0;
        }
    }
}
