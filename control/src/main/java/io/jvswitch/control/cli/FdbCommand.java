package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "fdb", description = "Show the MAC addresses a network has learned, and where.")
final class FdbCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NETWORK")
    String network;

    @Override
    public Integer call() {
        final ApiCall api = socket.api();
        final JsonNode entries = api.get("/v1/networks/" + NetworkCommand.encode(network) + "/fdb");
        final JsonNode stats = api.get("/v1/networks/" + NetworkCommand.encode(network) + "/stats");
        final JsonNode remote = api.get("/v1/networks/" + NetworkCommand.encode(network) + "/remote-fdb");
        final Map<String, String> vteps = new HashMap<>();
        for (JsonNode r : remote) {
            vteps.put(r.path("mac").asText(), r.path("vtep").asText());
        }
        final TextTable table =
                remote.isEmpty() ? new TextTable("MAC", "PORT", "AGE") : new TextTable("MAC", "PORT", "VTEP", "AGE");
        for (JsonNode e : entries) {
            final String age = String.format("%.1fs", e.path("ageMillis").asLong() / 1000.0);
            if (remote.isEmpty()) {
                table.row(e.path("mac").asText(), e.path("port").asText(), age);
            } else {
                table.row(
                        e.path("mac").asText(),
                        e.path("port").asText(),
                        vteps.getOrDefault(e.path("mac").asText(), "-"),
                        age);
            }
        }
        table.print(spec.commandLine().getOut());
        spec.commandLine()
                .getOut()
                .printf(
                        "%d of %d entries; learned %d, moved %d, aged %d, refused: table full %d, port limit %d%n",
                        stats.path("macEntries").asInt(),
                        stats.path("macLimit").asInt(),
                        stats.path("macsLearned").asLong(),
                        stats.path("macsMoved").asLong(),
                        stats.path("macsAged").asLong(),
                        stats.path("macRefusedTableFull").asLong(),
                        stats.path("macRefusedPortLimit").asLong());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
