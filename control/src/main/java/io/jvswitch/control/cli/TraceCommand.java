package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.debug.TraceRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

@Command(
        name = "trace",
        description = {
            "Show the stages a packet takes through the switch, the table entries it hits, and the verdict.",
            "  jvs trace --from web 'tcp dst 10.10.0.3 port 443'   a synthetic packet: nothing is sent",
            "  jvs trace --from web 'arp who-has 10.10.0.3'",
            "  jvs trace --from c1 'icmp6 dst fd00:20::3'          IPv6: icmp6, tcp6, udp6 (or an IPv6 address)",
            "  jvs trace --from c1 'icmp6 who-has fd00:20::3'      a neighbor solicitation (proxy-NDP)",
            "  jvs trace --from web --match 'icmp' --timeout 30     the next real frame from web matching the filter"
        })
final class TraceCommand implements Callable<Integer> {
    /** The daemon's default for --timeout. */
    private static final int DEFAULT_TIMEOUT = 30;

    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--from",
            paramLabel = "ENDPOINT",
            required = true,
            description = "The endpoint the packet comes from.")
    String from;

    @Option(
            names = "--network",
            paramLabel = "NETWORK",
            description = "Which of the endpoint's networks, when it is on several.")
    String network;

    @Option(
            names = "--match",
            paramLabel = "FILTER",
            description = "Trace the next real frame matching this tcpdump filter.")
    String match;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "With --match: how long to wait (default: 30).")
    Integer timeout;

    @Parameters(
            paramLabel = "PACKET",
            arity = "0..*",
            description =
                    "tcp|udp|icmp|arp|tcp6|udp6|icmp6, then: dst ADDRESS, port N, src ADDRESS, sport N, dst mac MAC, flags SA, who-has ADDRESS")
    List<String> packet;

    @Override
    public Integer call() {
        final String description = packet == null || packet.isEmpty() ? null : String.join(" ", packet);
        // A real trace answers when a frame matches or its --timeout passes: wait a little longer.
        final long wait = match == null
                ? ApiCall.DEFAULT_WAIT_SECONDS
                : Math.max(ApiCall.DEFAULT_WAIT_SECONDS, (timeout == null ? DEFAULT_TIMEOUT : timeout) + 30L);
        final JsonNode trace =
                socket.api().post("/v1/trace", new TraceRequest(from, network, description, match, timeout), wait);
        final PrintWriter out = spec.commandLine().getOut();
        out.printf(
                "trace from %s (network %s), %s%n",
                trace.path("from").asText(),
                trace.path("network").asText(),
                trace.path("mode").asText());
        int n = 1;
        for (JsonNode step : trace.path("steps")) {
            out.printf(
                    "%3d. %-15s %s%n",
                    n++, step.path("stage").asText(), step.path("detail").asText());
        }
        out.printf("verdict: %s%n", trace.path("verdict").asText());
        out.flush();
        return 0;
    }
}
