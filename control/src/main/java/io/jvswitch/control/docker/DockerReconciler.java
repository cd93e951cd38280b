package io.jvswitch.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.control.service.NetworkService;
import io.jvswitch.tap.TapDevice;
import io.jvswitch.tap.TapException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Compares, at the daemon's start and before the plugin answers Docker, what Docker has on jvs
 * networks (listed over the engine's API with the docker CLI, as vproxy re-reads Docker's
 * networks) with what jvs has, and mends what Docker's record decides: a Docker network jvs lost
 * is created again from Docker's own IPAM record; a jvs endpoint on a Docker network that Docker no
 * longer has (deleted while jvs was down, so its DeleteEndpoint never arrived) is detached, its
 * address in the jvs IPAM released, and a TAP it left in the daemon's namespace removed. What
 * Docker's record cannot decide (a jvs network of no Docker network, a pool of none, a Docker
 * endpoint jvs does not carry) is reported with what to do, never deleted. Every finding, mended
 * or not, is one log line.
 */
public final class DockerReconciler {
    private static final System.Logger LOG = System.getLogger("jvs.docker");
    private static final Pattern DEVICE = Pattern.compile("jvs[0-9a-f]{11}");

    private final NetworkService service;
    private final DockerIpam ipam;
    private final DockerNetworkMap networkMap;
    private final CommandRunner runner;
    private final ObjectMapper json;
    /** The engine as {@code docker -H} takes it; null for the docker CLI's default. */
    private final String engine;

    /** What one pass found and did, one line each. */
    public record Findings(List<String> repaired, List<String> reported) {}

    public DockerReconciler(
            NetworkService service,
            DockerIpam ipam,
            DockerNetworkMap networkMap,
            CommandRunner runner,
            ObjectMapper json,
            String engine) {
        this.service = service;
        this.ipam = ipam;
        this.networkMap = networkMap;
        this.runner = runner;
        this.json = json;
        this.engine = engine;
    }

    public Findings reconcile() {
        final List<String> repaired = new ArrayList<>();
        final List<String> reported = new ArrayList<>();
        final JsonNode networks;
        try {
            networks = dockerNetworks();
        } catch (IllegalStateException e) {
            reported.add("cannot ask the Docker engine" + (engine == null ? "" : " at " + engine) + ": "
                    + e.getMessage() + " (nothing reconciled)");
            return log(new Findings(repaired, reported));
        }
        final Map<String, NetworkRecord> jvsNetworks = new HashMap<>();
        service.networks().stream()
                .filter(n -> n.name().startsWith("docker-"))
                .forEach(n -> jvsNetworks.put(n.name(), n));
        final Set<String> dockerNames = new HashSet<>();
        final Set<String> dockerIds = new HashSet<>();
        final Map<String, Set<String>> dockerAddressesByPool = new HashMap<>();
        // by jvs network: the endpoints Docker has on it (several Docker networks may share one)
        final Map<String, Set<String>> dockerEndpointsByNetwork = new HashMap<>();
        for (JsonNode network : networks) {
            final String id = network.path("Id").asText();
            dockerIds.add(id);
            final String dockerName = network.path("Name").asText();
            final String onto = network.path("Options")
                    .path(DockerNetworkOptions.JVS_NETWORK)
                    .asText("");
            if (!onto.isEmpty() && !networkMap.mapped(id)) {
                networkMap.put(id, onto);
                repaired.add("Docker network " + dockerName + " is on jvs network " + onto + " again (-o "
                        + DockerNetworkOptions.JVS_NETWORK + " in Docker's record; jvs had lost it)");
            }
            final String name = networkMap.jvsNetwork(id);
            dockerNames.add(name);
            NetworkRecord jvs = service.networkOrNull(name);
            if (jvs == null && networkMap.mapped(id)) {
                reported.add("Docker network " + dockerName + " is on jvs network " + name + ", which this host"
                        + " does not have (removed, or the cluster store has not listed it yet)");
            } else if (jvs == null) {
                jvs = recreate(network, name, repaired, reported);
            }
            final Set<String> jvsEndpoints = new HashSet<>();
            if (jvs != null) {
                service.endpointsOn(jvs.name()).forEach(e -> jvsEndpoints.add(e.name()));
            }
            final Set<String> dockerEndpoints = dockerEndpointsByNetwork.computeIfAbsent(name, k -> new HashSet<>());
            final Set<String> addresses = new HashSet<>();
            for (Iterator<Map.Entry<String, JsonNode>> it =
                            network.path("Containers").fields();
                    it.hasNext(); ) {
                final JsonNode container = it.next().getValue();
                final String endpoint = DockerNetworkDriver.endpointName(
                        container.path("EndpointID").asText());
                dockerEndpoints.add(endpoint);
                addresses.add(container.path("IPv4Address").asText().replaceAll("/.*", ""));
                addresses.add(container.path("IPv6Address").asText().replaceAll("/.*", ""));
                if (jvs != null && !jvsEndpoints.contains(endpoint)) {
                    reported.add("container " + container.path("Name").asText() + " is on Docker network "
                            + dockerName + " but jvs does not carry it: docker network disconnect and connect it,"
                            + " or restart it");
                }
            }
            if ("jvs".equals(network.path("IPAM").path("Driver").asText())) {
                for (JsonNode config : network.path("IPAM").path("Config")) {
                    dockerAddressesByPool
                            .computeIfAbsent(config.path("Subnet").asText(), k -> new HashSet<>())
                            .addAll(addresses);
                }
            }
        }
        dockerEndpointsByNetwork.forEach((name, dockerEndpoints) -> {
            for (EndpointRecord endpoint : service.endpointsOn(name)) {
                // on a network Docker shares with others, only what Docker's driver attached is Docker's
                final boolean docker =
                        name.startsWith("docker-") || endpoint.target().kind() == ContainerRef.Kind.DOCKER_SANDBOX;
                if (docker && !dockerEndpoints.contains(endpoint.name())) {
                    // Docker deleted it while jvs was down; its address is Docker's to hand out again
                    service.detach(endpoint.name(), name);
                    repaired.add("detached jvs endpoint " + endpoint.name() + " from " + name
                            + ": no Docker network has it any more");
                }
            }
        });
        for (Map.Entry<String, String> mapped : networkMap.entries().entrySet()) {
            if (!dockerIds.contains(mapped.getKey())) {
                networkMap.remove(mapped.getKey());
                repaired.add("forgot Docker network " + mapped.getKey().substring(0, 12) + " on jvs network "
                        + mapped.getValue() + ": Docker no longer has it");
            }
        }
        for (String name : jvsNetworks.keySet()) {
            if (!dockerNames.contains(name)) {
                reported.add("jvs network " + name + " belongs to no Docker network of the jvs driver: remove it"
                        + " with jvs network rm " + name + " if Docker removed it while jvs was down");
            }
        }
        for (String pool : ipam.poolIds()) {
            final Set<String> used = dockerAddressesByPool.get(pool);
            if (used == null) {
                reported.add("pool " + pool + " of the jvs IPAM driver belongs to no Docker network");
                continue;
            }
            for (String address : ipam.addresses(pool)) {
                if (!used.contains(address)) {
                    ipam.releaseAddress(pool, address);
                    repaired.add("released " + address + " in pool " + pool
                            + ": no Docker endpoint holds it (removed while jvs was down)");
                }
            }
        }
        removeOrphanDevices(repaired);
        return log(new Findings(repaired, reported));
    }

    private NetworkRecord recreate(JsonNode network, String name, List<String> repaired, List<String> reported) {
        final JsonNode config = network.path("IPAM").path("Config");
        final Map<String, Object> request = new HashMap<>();
        request.put("NetworkID", network.path("Id").asText());
        request.put(
                "Options",
                Map.of(
                        DockerNetworkOptions.GENERIC,
                        json.convertValue(network.path("Options"), Map.class),
                        DockerNetworkOptions.DOCKER_INTERNAL,
                        network.path("Internal").asBoolean(false)));
        final List<Map<String, Object>> v4 = new ArrayList<>();
        final List<Map<String, Object>> v6 = new ArrayList<>();
        for (JsonNode c : config) {
            final String subnet = c.path("Subnet").asText();
            final String prefix = subnet.substring(subnet.indexOf('/'));
            final Map<String, Object> data = new HashMap<>();
            data.put("Pool", subnet);
            if (!c.path("Gateway").asText("").isEmpty()) {
                data.put("Gateway", c.path("Gateway").asText() + prefix);
            }
            (DockerIpv6Pools.isIpv6(subnet) ? v6 : v4).add(data);
        }
        request.put("IPv4Data", v4);
        request.put("IPv6Data", v6);
        try {
            new DockerNetworkDriver(service, networkMap, null).createNetwork(json.valueToTree(request));
            repaired.add("created jvs network " + name + " again for Docker network "
                    + network.path("Name").asText() + " (" + config + ")");
            return service.network(name);
        } catch (RuntimeException e) {
            reported.add("Docker network " + network.path("Name").asText() + " has no jvs network and cannot get"
                    + " one again (" + e.getMessage() + "): docker network rm it and create it again");
            return null;
        }
    }

    /** TAPs a Docker endpoint left here (Docker moved them back while jvs was down) that no endpoint holds. */
    private void removeOrphanDevices(List<String> repaired) {
        final CommandRunner.Result links = runner.run(List.of("ip", "-o", "link", "show"));
        if (!links.ok()) {
            return;
        }
        final Set<String> held = new HashSet<>();
        service.endpoints().stream().map(EndpointRecord::ifname).forEach(held::add);
        for (String line : links.stdout().split("\n")) {
            final String[] parts = line.split(":", 3);
            if (parts.length < 2) {
                continue;
            }
            final String name = parts[1].strip();
            if (DEVICE.matcher(name).matches() && !held.contains(name)) {
                try {
                    final TapDevice device = TapDevice.open(name, true);
                    device.setPersistent(false);
                    device.close();
                    repaired.add("removed TAP " + name + ": left by a Docker endpoint that is gone");
                } catch (TapException e) {
                    // in use by another process, or not a TAP: not ours to remove
                }
            }
        }
    }

    private JsonNode dockerNetworks() {
        final String ids = docker("network", "ls", "--no-trunc", "--filter", "driver=jvs", "--format", "{{.ID}}");
        final List<String> inspect = new ArrayList<>(List.of("network", "inspect"));
        for (String id : ids.split("\n")) {
            if (!id.isBlank()) {
                inspect.add(id.strip());
            }
        }
        if (inspect.size() == 2) {
            return json.createArrayNode();
        }
        try {
            return json.readTree(docker(inspect.toArray(String[]::new)));
        } catch (IOException e) {
            throw new IllegalStateException("unreadable docker network inspect output: " + e.getMessage(), e);
        }
    }

    private String docker(String... args) {
        final List<String> command = new ArrayList<>(List.of("docker"));
        if (engine != null) {
            command.addAll(List.of("-H", engine));
        }
        command.addAll(List.of(args));
        final CommandRunner.Result result = runner.run(command);
        if (!result.ok()) {
            throw new IllegalStateException(result.stderr().strip());
        }
        return result.stdout();
    }

    private static Findings log(Findings findings) {
        findings.repaired().forEach(line -> LOG.log(System.Logger.Level.WARNING, "Docker reconciliation: {0}", line));
        findings.reported().forEach(line -> LOG.log(System.Logger.Level.WARNING, "Docker reconciliation: {0}", line));
        if (findings.repaired().isEmpty() && findings.reported().isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "Docker reconciliation: Docker and jvs agree");
        }
        return findings;
    }
}
