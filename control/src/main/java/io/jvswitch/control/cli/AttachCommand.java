package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.service.AttachRequest;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "attach", description = "Give a container an interface on a network (a TAP the switch serves).")
final class AttachCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--netns", paramLabel = "NAME", description = "A namespace from ip netns.")
        String netns;

        @Option(names = "--pid", paramLabel = "PID", description = "The network namespace of this process.")
        String pid;

        @Option(
                names = "--docker",
                paramLabel = "CONTAINER",
                description = "A Docker container started with --network none.")
        String docker;

        ContainerRef ref() {
            if (netns != null) {
                return new ContainerRef(ContainerRef.Kind.NETNS, netns);
            }
            if (pid != null) {
                return new ContainerRef(ContainerRef.Kind.PID, pid);
            }
            return new ContainerRef(ContainerRef.Kind.DOCKER, docker, DockerEngineAddress.ofThisCli());
        }
    }

    @Option(names = "--network", paramLabel = "NETWORK", required = true, description = "The network to join.")
    String network;

    @Option(
            names = "--name",
            paramLabel = "NAME",
            description = "Endpoint name (default: the netns or container name).")
    String name;

    @Option(names = "--ip", paramLabel = "IP", description = "Static address (default: the lowest free one).")
    String ip;

    @Option(
            names = "--ip6",
            paramLabel = "IPV6",
            description = "Static IPv6 address on a network created with --ipv6 (default: the lowest free one).")
    String ip6;

    @Option(names = "--mac", paramLabel = "MAC", description = "MAC address (default: derived from the address).")
    String mac;

    @Option(
            names = "--ifname",
            paramLabel = "NAME",
            description = "Interface name in the container (default: eth0, eth1, ...).")
    String ifname;

    @Option(
            names = "--alias",
            paramLabel = "NAME",
            description = "Another DNS name for the endpoint (repeatable; several endpoints may share one).")
    List<String> aliases;

    @Option(
            names = {"-p", "--publish"},
            paramLabel = "[IP:][HOSTPORT:]PORT[/PROTO]",
            description = "Publish a container port on the host (repeatable), Docker's syntax: "
                    + "[hostIP:][hostPort[-end]:]containerPort[-end][/tcp|udp]; without a host port a free one is picked;"
                    + " an IPv6 host IP in brackets ([::1]:8080:80), served by the host's listener only.")
    List<String> publish;

    @Option(
            names = "--allow-spoofing",
            description = "Let the container send as other MACs and addresses (port security off).")
    boolean allowSpoofing;

    @Override
    public Integer call() {
        final JsonNode e = socket.api()
                .post(
                        "/v1/endpoints",
                        new AttachRequest(
                                network,
                                target.ref(),
                                name,
                                ip,
                                mac,
                                ifname,
                                allowSpoofing ? Boolean.TRUE : null,
                                aliases,
                                publish,
                                ip6));
        spec.commandLine()
                .getOut()
                .printf(
                        "%s attached to %s: %s %s %s%n",
                        e.path("name").asText(),
                        e.path("network").asText(),
                        e.path("ifname").asText(),
                        addresses(e),
                        e.path("mac").asText());
        for (JsonNode p : e.path("ports")) {
            spec.commandLine()
                    .getOut()
                    .printf(
                            "published %s:%d -> %s:%d/%s%n",
                            p.path("hostIp").asText(),
                            p.path("hostPort").asInt(),
                            e.path("ipv4").asText(),
                            p.path("containerPort").asInt(),
                            p.path("protocol").asText());
        }
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The endpoint's addresses: IPv4, IPv6 or both (an IPv6-only network gives no IPv4). */
    private static String addresses(JsonNode endpoint) {
        final List<String> addresses = new ArrayList<>();
        for (String family : List.of("ipv4", "ipv6")) {
            if (endpoint.path(family).isTextual()) {
                addresses.add(endpoint.path(family).asText());
            }
        }
        return String.join(" ", addresses);
    }
}
