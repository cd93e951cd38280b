package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "detach", description = "Remove an endpoint's interface from one network, or from all its networks.")
final class DetachCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ENDPOINT")
    String name;

    @Option(names = "--network", paramLabel = "NETWORK", description = "Only from this network.")
    String network;

    @Override
    public Integer call() {
        final String query = network == null ? "" : "?network=" + NetworkCommand.encode(network);
        for (JsonNode e : socket.api().delete("/v1/endpoints/" + NetworkCommand.encode(name) + query)) {
            spec.commandLine()
                    .getOut()
                    .printf(
                            "%s detached from %s%n",
                            e.path("name").asText(), e.path("network").asText());
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
