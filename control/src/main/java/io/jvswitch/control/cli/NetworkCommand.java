package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jvswitch.control.api.PeerRequest;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.service.CreateNetworkRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(
        name = "network",
        description = "Manage networks.",
        subcommands = {
            NetworkCommand.Create.class,
            NetworkCommand.Ls.class,
            NetworkCommand.Inspect.class,
            NetworkCommand.Rm.class,
            NetworkCommand.Peer.class
        })
final class NetworkCommand {

    /** Docker's repeated IPAM options, sorted by address family: at most one of each. */
    private record ByFamily(String v4, String v6) {
        static ByFamily of(String option, List<String> values) {
            String v4 = null;
            String v6 = null;
            for (String value : values) {
                if (Ipv6Cidr.looksLikeIpv6(value)) {
                    if (v6 != null) {
                        throw new CliException(option + " is given twice for IPv6 (" + v6 + ", " + value
                                + "): a network has one subnet per address family");
                    }
                    v6 = value;
                } else {
                    if (v4 != null) {
                        throw new CliException(option + " is given twice for IPv4 (" + v4 + ", " + value
                                + "): a network has one subnet per address family");
                    }
                    v4 = value;
                }
            }
            return new ByFamily(v4, v6);
        }
    }

    static String encode(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    @Command(name = "create", description = "Create a network (a bridge domain with its own subnet and gateway).")
    static final class Create implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(
                names = "--subnet",
                paramLabel = "CIDR",
                description = "Subnet, e.g. 172.19.0.0/16 or, with --ipv6, fd00:20::/64 (one per family;"
                        + " default: picked from 172.17.0.0/16 ... and fd4a:7673:7769:1::/64 ...).")
        List<String> subnets = new ArrayList<>();

        @Option(
                names = "--gateway",
                paramLabel = "IP",
                description = "Gateway address, one per family (default: the subnet's first address).")
        List<String> gateways = new ArrayList<>();

        @Option(
                names = "--ip-range",
                paramLabel = "CIDR",
                description = "Allocate container addresses from this sub-range (one per family).")
        List<String> ipRanges = new ArrayList<>();

        @Option(names = "--aux-address", paramLabel = "NAME=IP", description = "Reserve an address (repeatable).")
        Map<String, String> aux = new LinkedHashMap<>();

        @Option(names = "--ipv6", description = "Dual stack: an IPv6 subnet and gateway beside the IPv4 ones.")
        boolean ipv6;

        @Option(
                names = "--ipv4",
                paramLabel = "true|false",
                arity = "1",
                defaultValue = "true",
                description = "IPv4 on the network (default: ${DEFAULT-VALUE}; false with --ipv6: IPv6-only).")
        boolean ipv4;

        @Option(names = "--internal", description = "No way out of the network: no default route for containers.")
        boolean internal;

        @Option(
                names = "--masquerade",
                paramLabel = "true|false",
                arity = "1",
                defaultValue = "true",
                description =
                        "Source-NAT connections leaving by the host (default: ${DEFAULT-VALUE}); false for routed setups.")
        boolean masquerade;

        @Option(names = "--mtu", paramLabel = "BYTES", description = "MTU of the network's interfaces (default: 1500).")
        Integer mtu;

        @Option(
                names = "--dns",
                paramLabel = "IP",
                description =
                        "Upstream DNS server for names that are not local (repeatable; default: the daemon's resolv.conf).")
        List<String> dns;

        @Option(
                names = {"-d", "--driver"},
                paramLabel = "DRIVER",
                defaultValue = "bridge",
                description =
                        "Network driver: bridge (this host) or overlay (VXLAN across hosts; default: ${DEFAULT-VALUE}).")
        String driver;

        @Option(
                names = "--vni",
                paramLabel = "N",
                description = "Overlay: VXLAN network identifier (default: the lowest free from 4096).")
        Integer vni;

        @Option(
                names = "--local",
                paramLabel = "IP",
                description = "Overlay: this host's underlay address (the VTEP binds it).")
        String local;

        @Option(
                names = "--peer",
                paramLabel = "IP",
                description = "Overlay: another host's underlay address (repeatable).")
        List<String> peers;

        @Option(names = "--vxlan-port", paramLabel = "PORT", description = "Overlay: UDP port (default: 4789).")
        Integer vxlanPort;

        @Option(names = "--ttl", paramLabel = "TTL", description = "Overlay: TTL of outer packets (default: 64).")
        Integer ttl;

        @Override
        public Integer call() {
            final ByFamily subnet = ByFamily.of("--subnet", subnets);
            final ByFamily gateway = ByFamily.of("--gateway", gateways);
            final ByFamily ipRange = ByFamily.of("--ip-range", ipRanges);
            final Map<String, String> aux4 = new LinkedHashMap<>();
            final Map<String, String> aux6 = new LinkedHashMap<>();
            aux.forEach((n, a) -> (Ipv6Cidr.looksLikeIpv6(a) ? aux6 : aux4).put(n, a));
            final JsonNode created = socket.api()
                    .post(
                            "/v1/networks",
                            new CreateNetworkRequest(
                                    name,
                                    driver,
                                    subnet.v4(),
                                    gateway.v4(),
                                    ipRange.v4(),
                                    aux4.isEmpty() ? null : aux4,
                                    internal,
                                    mtu,
                                    dns,
                                    masquerade ? null : Boolean.FALSE,
                                    vni,
                                    local,
                                    peers,
                                    vxlanPort,
                                    ttl,
                                    ipv6 ? Boolean.TRUE : null,
                                    ipv4 ? null : Boolean.FALSE,
                                    subnet.v6(),
                                    gateway.v6(),
                                    ipRange.v6(),
                                    aux6.isEmpty() ? null : aux6));
            spec.commandLine().getOut().println(created.path("Id").asText());
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List networks.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            final TextTable table =
                    new TextTable("NETWORK ID", "NAME", "DRIVER", "SCOPE", "SUBNET", "GATEWAY", "MTU", "ENDPOINTS");
            for (JsonNode n : socket.api().get("/v1/networks")) {
                final JsonNode config = n.path("IPAM").path("Config").path(0);
                table.row(
                        n.path("Id").asText().substring(0, 12),
                        n.path("Name").asText(),
                        n.path("Driver").asText() + (n.path("Internal").asBoolean() ? " (internal)" : ""),
                        n.path("Scope").asText(),
                        config.path("Subnet").asText(),
                        config.path("Gateway").asText(),
                        n.path("Options").path("com.jvswitch.network.mtu").asText(),
                        n.path("Containers").size());
            }
            table.print(spec.commandLine().getOut());
            return 0;
        }
    }

    @Command(name = "inspect", description = "Show networks as JSON, shaped like docker network inspect.")
    static final class Inspect implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", arity = "1..*")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            final ApiCall api = socket.api();
            final List<JsonNode> views = names.stream()
                    .map(n -> api.get("/v1/networks/" + encode(n)))
                    .toList();
            final PrintWriter out = spec.commandLine().getOut();
            out.println(ApiCall.JSON
                    .copy()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(views));
            out.flush();
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove networks (they must have no endpoints).")
    static final class Rm implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", arity = "1..*")
        List<String> names;

        @Override
        public Integer call() {
            final ApiCall api = socket.api();
            for (String name : names) {
                api.delete("/v1/networks/" + encode(name));
                spec.commandLine().getOut().println(name);
            }
            return 0;
        }
    }

    @Command(
            name = "peer",
            description = "Add or remove peers (other hosts' VTEPs) of an overlay network, live.",
            subcommands = {PeerAdd.class, PeerRm.class})
    static final class Peer {}

    @Command(
            name = "add",
            description = "Add a peer: frames of the network are now also sent to it, and accepted from it.")
    static final class PeerAdd implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "IP")
        String peer;

        @Override
        public Integer call() {
            socket.api().post("/v1/networks/" + encode(name) + "/peers", new PeerRequest(peer));
            spec.commandLine().getOut().println(peer);
            return 0;
        }
    }

    @Command(
            name = "rm",
            aliases = "remove",
            description = "Remove a peer: nothing more is sent to it or accepted from it.")
    static final class PeerRm implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "IP")
        String peer;

        @Override
        public Integer call() {
            socket.api().delete("/v1/networks/" + encode(name) + "/peers/" + encode(peer));
            spec.commandLine().getOut().println(peer);
            return 0;
        }
    }
}
