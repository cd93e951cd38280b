package io.jvswitch.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.EndpointMac;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.service.AttachRequest;
import io.jvswitch.control.service.ControlException;
import io.jvswitch.control.service.CreateNetworkRequest;
import io.jvswitch.control.service.NetworkService;
import io.jvswitch.packet.MacAddress;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's remote network driver on top of jvs's networks: a Docker network is a jvs network named
 * {@code docker-<first 12 of its id>}, or with {@code -o jvs.network=NAME} the existing jvs network
 * NAME (often a global one, which every host's Docker network of it then shares; see
 * {@link DockerNetworkMap}); a Docker endpoint a jvs endpoint named {@code ep-<first 12>}
 * whose TAP ({@code jvs<first 11>}) Docker moves into the container at {@code Join}. Only the names
 * are mapped here; everything else (addresses, the dataplane, published ports, the state file) is
 * {@link NetworkService}'s, so a network that lives in a cluster store maps the same way.
 * Called on the control thread only.
 */
final class DockerNetworkDriver {
    private static final System.Logger LOG = System.getLogger("jvs.docker");
    /** Most endpoints created but not joined yet: a table bound (Docker joins right after creating). */
    static final int MAX_PENDING = 4096;

    private final NetworkService service;
    private final DockerNetworkMap networks;
    /** Null: endpoints get no container name (a plugin without an engine to ask). */
    private final DockerEndpointNames names;
    /** Endpoints between CreateEndpoint and Join: their address and MAC, by Docker's endpoint id. */
    private final Map<String, Pending> pending = new LinkedHashMap<>();

    /** {@code ipv6}: null on an IPv4-only network. */
    private record Pending(String networkId, String ipv4, String ipv6, String mac) {}

    DockerNetworkDriver(NetworkService service, DockerNetworkMap networks, DockerEndpointNames names) {
        this.service = service;
        this.networks = networks;
        this.names = names;
    }

    private String networkName(String networkId) {
        return networks.jvsNetwork(networkId);
    }

    static String endpointName(String endpointId) {
        return "ep-" + shortId(endpointId, 12);
    }

    /** The TAP's name while it is in the daemon's namespace: at most 15 characters. */
    static String deviceName(String endpointId) {
        return "jvs" + shortId(endpointId, 11);
    }

    /**
     * Scope "local": each engine keeps its own record of its jvs networks. Docker 20.10 stores the
     * networks of a "global" driver in its own cluster store ({@code dockerd --cluster-store}, which
     * 20.10 deprecates) and refuses to create one without it; jvs's cluster is its own etcd, and a
     * Docker network is put onto a global jvs network with {@code -o jvs.network=NAME} on each host.
     */
    Map<String, Object> capabilities() {
        return Map.of("Scope", "local", "ConnectivityScope", "local");
    }

    Map<String, Object> createNetwork(JsonNode request) {
        final String id = requireId(request, "NetworkID");
        final JsonNode v4 = request.path("IPv4Data");
        final JsonNode v6 = request.path("IPv6Data");
        final boolean dualStack = v6.isArray() && !v6.isEmpty();
        if (dualStack && (!v4.isArray() || v4.isEmpty())) {
            // Docker 20.10 gives every network an IPv4 pool (it ignores --ipv4=false): only a newer engine asks this
            throw new PluginException("the jvs Docker driver makes IPv4 and dual-stack networks, not IPv6-only ones:"
                    + " make an IPv6-only network with jvs network create --ipv4=false --ipv6 and use jvs attach");
        }
        if (dualStack && v6.size() != 1) {
            throw new PluginException(
                    "a jvs network has at most one IPv6 subnet (got " + v6.size() + "): give one IPv6 --subnet");
        }
        if (!v4.isArray() || v4.size() != 1) {
            throw new PluginException("a jvs network has exactly one IPv4 subnet (got " + (v4.isArray() ? v4.size() : 0)
                    + "): give one --subnet");
        }
        final DockerNetworkOptions options = DockerNetworkOptions.parse(request.get("Options"));
        final JsonNode data = v4.get(0);
        final String subnet = data.path("Pool").asText();
        final String gateway = withoutPrefix(data.path("Gateway").asText(""));
        final Map<String, String> aux = auxAddresses(data);
        final JsonNode data6 = dualStack ? v6.get(0) : null;
        if (options.network() != null) {
            if (dualStack) {
                ipv6Onto(options.network(), data6);
            }
            return attachOnto(id, options, data.path("AddressSpace").asText(""), subnet, gateway, aux);
        }
        final String gateway6 = dualStack ? withoutPrefix(data6.path("Gateway").asText("")) : "";
        final Map<String, String> aux6 = dualStack ? auxAddresses(data6) : Map.of();
        for (NetworkRecord existing : service.networks()) {
            if (subnet.equals(existing.subnet())) {
                throw new PluginException("subnet " + subnet + " is jvs network " + existing.name()
                        + "'s: add -o jvs.network=" + existing.name() + " to put the Docker network onto it");
            }
        }
        final NetworkRecord network = service.createNetwork(new CreateNetworkRequest(
                networkName(id),
                "bridge",
                subnet,
                gateway.isEmpty() ? null : gateway,
                null,
                aux.isEmpty() ? null : aux,
                options.internal(),
                options.mtu(),
                null,
                options.masquerade(),
                null,
                null,
                null,
                null,
                null,
                dualStack ? Boolean.TRUE : null,
                null,
                dualStack ? data6.path("Pool").asText() : null,
                gateway6.isEmpty() ? null : gateway6,
                null,
                aux6.isEmpty() ? null : aux6));
        LOG.log(System.Logger.Level.INFO, "Docker network {0} is jvs network {1}", shortId(id, 12), network.name());
        return Map.of();
    }

    /** {@code --aux-address} of one family, without Docker's prefix lengths. */
    private static Map<String, String> auxAddresses(JsonNode data) {
        final Map<String, String> aux = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it =
                        data.path("AuxAddresses").fields();
                it.hasNext(); ) {
            final Map.Entry<String, JsonNode> e = it.next();
            aux.put(e.getKey(), withoutPrefix(e.getValue().asText()));
        }
        return aux;
    }

    /**
     * {@code --ipv6} with {@code -o jvs.network=NAME}: the IPv6 pool Docker sends must be the jvs
     * network's IPv6 side (its subnet, and its gateway if one is given); checked before the IPv4
     * side, which {@link #attachOnto} checks.
     */
    private void ipv6Onto(String name, JsonNode data6) {
        final NetworkRecord network = service.networkOrNull(name);
        if (network == null) {
            throw PluginException.unknownNetwork(name);
        }
        if (network.ipv6() == null) {
            throw PluginException.noIpv6Side(name);
        }
        final String subnet6 = data6.path("Pool").asText("");
        final String own = network.ipv6().subnet();
        final boolean sameSubnet;
        try {
            sameSubnet = Ipv6Cidr.parse(subnet6, "subnet").equals(Ipv6Cidr.parse(own, "subnet"));
        } catch (IllegalArgumentException e) {
            throw new PluginException(e.getMessage());
        }
        if (!sameSubnet) {
            throw new PluginException("IPv6 subnet " + subnet6 + " is not jvs network " + name + "'s (" + own
                    + "): give --subnet " + own + ", or --ipam-driver jvs --ipam-opt "
                    + DockerNetworkOptions.JVS_NETWORK
                    + "=" + name + " without an IPv6 --subnet");
        }
        final String gateway6 = withoutPrefix(data6.path("Gateway").asText(""));
        final boolean sameGateway;
        try {
            sameGateway = gateway6.isEmpty()
                    || Ipv6Cidr.parseAddress(gateway6, "gateway")
                            .equals(Ipv6Cidr.parseAddress(network.ipv6().gateway(), "gateway"));
        } catch (IllegalArgumentException e) {
            throw new PluginException(e.getMessage());
        }
        if (!sameGateway) {
            throw new PluginException("IPv6 gateway " + gateway6 + " is not jvs network " + name + "'s ("
                    + network.ipv6().gateway() + ")");
        }
        if (!auxAddresses(data6).isEmpty()) {
            throw new PluginException("--aux-address does not apply to -o " + DockerNetworkOptions.JVS_NETWORK
                    + ": the addresses are jvs network " + name + "'s");
        }
    }

    /**
     * {@code -o jvs.network=NAME}: the Docker network is the existing jvs network NAME, whose
     * settings stay its own; Docker's subnet and gateway must be the network's. A global network
     * takes its addresses from the jvs IPAM driver only: Docker's default one hands out the same
     * addresses on every host.
     */
    private Map<String, Object> attachOnto(
            String id,
            DockerNetworkOptions options,
            String addressSpace,
            String subnet,
            String gateway,
            Map<String, String> aux) {
        final String name = options.network();
        final NetworkRecord network = service.networkOrNull(name);
        if (network == null) {
            throw PluginException.unknownNetwork(name);
        }
        if (!network.hasIpv4()) {
            throw PluginException.ipv6Only(name);
        }
        if (options.setsNetworkSettings()) {
            throw new PluginException("-o " + DockerNetworkOptions.JVS_NETWORK + " takes jvs network " + name
                    + "'s own settings: leave out the other -o options and --internal");
        }
        if (!subnet.equals(network.subnet())) {
            throw new PluginException("subnet " + subnet + " is not jvs network " + name + "'s (" + network.subnet()
                    + "): give --subnet " + network.subnet() + " or --ipam-driver jvs without --subnet");
        }
        if (!gateway.isEmpty() && !gateway.equals(network.gateway())) {
            throw new PluginException(
                    "gateway " + gateway + " is not jvs network " + name + "'s (" + network.gateway() + ")");
        }
        if (!aux.isEmpty()) {
            throw new PluginException("--aux-address does not apply to -o " + DockerNetworkOptions.JVS_NETWORK
                    + ": the addresses are jvs network " + name + "'s");
        }
        final boolean jvsIpam = addressSpace.equals(DockerIpam.LOCAL_ADDRESS_SPACE)
                || addressSpace.equals(DockerIpam.GLOBAL_ADDRESS_SPACE);
        if (network.clusterWide() && !jvsIpam) {
            throw new PluginException("jvs network " + name + " is global (cluster-wide) and Docker's default IPAM"
                    + " is local to this engine: it would hand out the addresses other hosts hand out;"
                    + " add --ipam-driver jvs");
        }
        networks.put(id, name);
        LOG.log(System.Logger.Level.INFO, "Docker network {0} is put onto jvs network {1}", shortId(id, 12), name);
        return Map.of();
    }

    Map<String, Object> deleteNetwork(JsonNode request) {
        final String id = requireId(request, "NetworkID");
        if (networks.mapped(id)) {
            // the jvs network is not the Docker network's own: it stays, for other hosts and users
            networks.remove(id);
            return Map.of();
        }
        final String name = networkName(id);
        if (service.networks().stream().anyMatch(n -> n.name().equals(name))) {
            service.removeNetwork(name);
        }
        return Map.of();
    }

    Map<String, Object> createEndpoint(JsonNode request) {
        final String networkId = requireId(request, "NetworkID");
        final String endpointId = requireId(request, "EndpointID");
        // a clear error for a network jvs does not have
        final NetworkRecord network = service.network(networkName(networkId));
        final JsonNode iface = request.path("Interface");
        final String address = iface.path("Address").asText("");
        if (address.isEmpty()) {
            throw new PluginException("jvs endpoints need an IPv4 address: Docker gave none");
        }
        final String address6 = withoutPrefix(iface.path("AddressIPv6").asText(""));
        if (!address6.isEmpty() && !network.enableIpv6()) {
            throw new PluginException("jvs network " + network.name() + " has no IPv6 side, and Docker gave the"
                    + " endpoint an IPv6 address (" + address6 + ")");
        }
        if (pending.size() >= MAX_PENDING && !pending.containsKey(endpointId)) {
            throw new PluginException(MAX_PENDING + " endpoints are created and not joined: the jvs driver's limit");
        }
        final String ipv4 = withoutPrefix(address);
        final String given = iface.path("MacAddress").asText("");
        final String mac;
        final Map<String, Object> answer = new LinkedHashMap<>();
        if (given.isEmpty()) {
            mac = EndpointMac.format(EndpointMac.derive(Cidr.parseAddress(ipv4)));
            answer.put("Interface", Map.of("MacAddress", mac));
        } else {
            mac = MacAddress.format(MacAddress.parse(given));
            answer.put("Interface", Map.of());
        }
        pending.put(endpointId, new Pending(networkId, ipv4, address6.isEmpty() ? null : address6, mac));
        return answer;
    }

    Map<String, Object> join(JsonNode request) {
        final String networkId = requireId(request, "NetworkID");
        final String endpointId = requireId(request, "EndpointID");
        final String sandbox = request.path("SandboxKey").asText("");
        if (sandbox.isEmpty()) {
            throw new PluginException("Join without a SandboxKey");
        }
        final Pending created = pending.get(endpointId);
        if (created == null) {
            throw new PluginException("endpoint " + shortId(endpointId, 12)
                    + " was not created through jvs (was the jvs daemon restarted between create and join?)");
        }
        final NetworkRecord network = service.network(networkName(networkId));
        final String device = deviceName(endpointId);
        // the container's name as a DNS alias: jvs's DNS then answers it on every host of a global network
        final List<String> aliases = names == null
                ? List.of()
                : names.containerName(networkId, endpointId).stream().toList();
        final EndpointRecord endpoint = service.attach(new AttachRequest(
                network.name(),
                new ContainerRef(ContainerRef.Kind.DOCKER_SANDBOX, sandbox),
                endpointName(endpointId),
                created.ipv4(),
                created.mac(),
                device,
                false,
                aliases,
                null,
                created.ipv6()));
        pending.remove(endpointId);
        final Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("InterfaceName", Map.of("SrcName", device, "DstPrefix", "eth"));
        if (!network.internal()) {
            answer.put("Gateway", network.gateway());
            // the container's IPv6 default route, as Docker's bridge driver gives it; only with an IPv6 address
            if (network.enableIpv6() && created.ipv6() != null) {
                answer.put("GatewayIPv6", network.ipv6().gateway());
            }
        }
        // Docker must not add its docker_gwbridge: jvs routes (or, internal, isolates) the network.
        answer.put("DisableGatewayService", true);
        LOG.log(
                System.Logger.Level.INFO,
                "Docker endpoint {0} joined {1} as {2} {3}",
                shortId(endpointId, 12),
                network.name(),
                endpoint.ifname(),
                endpoint.addresses());
        return answer;
    }

    /** Docker moves the device out of the container itself; it goes when the endpoint is deleted. */
    Map<String, Object> leave(JsonNode request) {
        requireId(request, "EndpointID");
        return Map.of();
    }

    Map<String, Object> deleteEndpoint(JsonNode request) {
        final String networkId = requireId(request, "NetworkID");
        final String endpointId = requireId(request, "EndpointID");
        pending.remove(endpointId);
        final EndpointRecord endpoint = find(networkId, endpointId);
        if (endpoint != null) {
            service.detach(endpoint.name(), endpoint.network());
        }
        return Map.of();
    }

    Map<String, Object> endpointOperInfo(JsonNode request) {
        final EndpointRecord endpoint = find(requireId(request, "NetworkID"), requireId(request, "EndpointID"));
        final Map<String, Object> value = new LinkedHashMap<>();
        if (endpoint != null) {
            value.put("jvs.endpoint", endpoint.name());
            value.put("jvs.network", endpoint.network());
            value.put("com.docker.network.endpoint.macaddress", endpoint.mac());
            value.put(DockerPortMap.PORT_MAP, DockerPortMap.bindings(endpoint.ports()));
        }
        return Map.of("Value", value);
    }

    Map<String, Object> programExternalConnectivity(JsonNode request) {
        final String networkId = requireId(request, "NetworkID");
        final String endpointId = requireId(request, "EndpointID");
        final List<String> specs = DockerPortMap.specs(request.get("Options"));
        final EndpointRecord endpoint = find(networkId, endpointId);
        if (endpoint == null) {
            throw new PluginException("endpoint " + shortId(endpointId, 12) + " is not joined to a jvs network");
        }
        if (!specs.isEmpty() || !endpoint.ports().isEmpty()) {
            service.publish(endpoint.name(), endpoint.network(), specs);
        }
        return Map.of();
    }

    Map<String, Object> revokeExternalConnectivity(JsonNode request) {
        final EndpointRecord endpoint = find(requireId(request, "NetworkID"), requireId(request, "EndpointID"));
        if (endpoint != null && !endpoint.ports().isEmpty()) {
            service.publish(endpoint.name(), endpoint.network(), List.of());
        }
        return Map.of();
    }

    private EndpointRecord find(String networkId, String endpointId) {
        final String network = networkName(networkId);
        final String name = endpointName(endpointId);
        try {
            return service.endpoint(name, network);
        } catch (ControlException e) {
            return null;
        }
    }

    private static String requireId(JsonNode request, String field) {
        final String id = request.path(field).asText("");
        if (!id.matches("[0-9a-zA-Z]{12,128}")) {
            throw new PluginException("missing or invalid " + field + " '" + id + "'");
        }
        return id;
    }

    private static String shortId(String id, int length) {
        return id.length() <= length ? id : id.substring(0, length);
    }

    private static String withoutPrefix(String address) {
        final int slash = address.indexOf('/');
        return slash < 0 ? address : address.substring(0, slash);
    }
}
