package io.jvswitch.control.service;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.DaemonState;
import io.jvswitch.control.model.EndpointIntent;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.StateStore;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The control plane's picture of what is: networks with their address pools, endpoints, and the
 * intents of changes under way; how that picture is saved; and where a network's claims are made.
 * Not thread-safe: the service's lock guards it.
 */
final class LiveState {
    private static final System.Logger LOG = System.getLogger("jvs.control");

    final Map<String, NetworkRecord> networks = new LinkedHashMap<>();
    final Map<String, AddressPool> pools = new LinkedHashMap<>();
    /** The IPv6 pools of dual-stack networks, by network name. */
    final Map<String, Ipv6Pool> pools6 = new LinkedHashMap<>();
    /** By endpoint id. */
    final Map<String, EndpointRecord> endpoints = new LinkedHashMap<>();
    /** Attaches and detaches under way (or found unfinished at a restart), by endpoint id. */
    final Map<String, EndpointIntent> intents = new LinkedHashMap<>();

    private final StateStore store;
    /** Claims of local networks (this host's pools). */
    private final NetworkScope local = new LocalScope();
    /** Claims of global networks (the cluster store); null without --cluster-store. */
    private ClusterScope cluster;

    LiveState(StateStore store) {
        this.store = store;
    }

    DaemonState load() {
        return store.load();
    }

    void cluster(ClusterScope scope) {
        this.cluster = scope;
    }

    ClusterScope cluster() {
        return cluster;
    }

    /** Where the network's claims are made: this host's pools, or the cluster store. */
    NetworkScope scopeOf(NetworkRecord network) {
        if (!network.clusterWide()) {
            return local;
        }
        if (cluster == null) {
            throw ControlException.unavailable(
                    "network " + network.name() + " is global, and this daemon runs without --cluster-store");
        }
        return cluster;
    }

    NetworkRecord requireNetwork(String name) {
        final NetworkRecord network = name == null ? null : networks.get(name);
        if (network == null) {
            throw ControlException.notFound("no network named " + name
                    + (networks.isEmpty() ? "" : " (networks: " + String.join(", ", networks.keySet()) + ")"));
        }
        return network;
    }

    List<EndpointRecord> endpointsOn(String network) {
        return endpoints.values().stream()
                .filter(e -> e.network().equals(network))
                .toList();
    }

    /** The endpoints named {@code name} (on {@code networkName} if given); none is an error. */
    List<EndpointRecord> named(String name, String networkName) {
        if (networkName != null) {
            requireNetwork(networkName);
        }
        final List<EndpointRecord> matches = endpoints.values().stream()
                .filter(e -> e.name().equals(name)
                        && (networkName == null || e.network().equals(networkName)))
                .toList();
        if (matches.isEmpty()) {
            throw ControlException.notFound(
                    "no endpoint named " + name + (networkName == null ? "" : " on network " + networkName));
        }
        return matches;
    }

    /** The one endpoint named {@code name} (on {@code networkName} if given); ambiguity is an error. */
    EndpointRecord endpoint(String name, String networkName) {
        final List<EndpointRecord> matches = named(name, networkName);
        if (matches.size() > 1) {
            throw ControlException.invalid(name + " is on " + matches.size() + " networks ("
                    + matches.stream().map(EndpointRecord::network).collect(Collectors.joining(", "))
                    + "): say which with --network");
        }
        return matches.getFirst();
    }

    int nextDataplaneId() {
        return networks.values().stream()
                        .mapToInt(NetworkRecord::dataplaneId)
                        .max()
                        .orElse(0)
                + 1;
    }

    /** Marks the endpoint's addresses taken in its network's pools (a restart, a kept record). */
    void reserveAddresses(EndpointRecord endpoint) {
        if (endpoint.hasIpv4()) {
            pools.get(endpoint.network()).reserve(Cidr.parseAddress(endpoint.ipv4()));
        }
        final Ipv6Pool pool6 = pools6.get(endpoint.network());
        if (endpoint.ipv6() != null && pool6 != null) {
            pool6.reserve(Ipv6Cidr.parseAddress(endpoint.ipv6(), "ipv6"));
        }
    }

    /** Gives the endpoint's addresses and name claim back: only once no interface can hold them. */
    void releaseAddresses(EndpointRecord endpoint) {
        final NetworkRecord network = networks.get(endpoint.network());
        final AddressPool pool = pools.get(endpoint.network());
        if (network != null && pool != null && endpoint.hasIpv4()) {
            if (network.clusterWide() && cluster == null) {
                pool.release(Cidr.parseAddress(endpoint.ipv4())); // a global network kept from a cluster run
            } else {
                scopeOf(network).releaseEndpoint(network, pool, endpoint.name(), endpoint.ipv4());
            }
        } else if (network != null && !network.hasIpv4() && network.clusterWide() && cluster != null) {
            // IPv6-only global: the name and the IPv6 address are claimed together, and given up so
            cluster.releaseEndpoint(network, null, endpoint.name(), null);
        }
        final Ipv6Pool pool6 = pools6.get(endpoint.network());
        if (pool6 != null && endpoint.ipv6() != null) {
            pool6.release(Ipv6Cidr.parseAddress(endpoint.ipv6(), "ipv6"));
        }
    }

    /** The saved networks with {@code network} added, or replacing the one of its name. */
    List<NetworkRecord> withNetwork(NetworkRecord network) {
        final Map<String, NetworkRecord> next = new LinkedHashMap<>(networks);
        next.put(network.name(), network);
        return List.copyOf(next.values());
    }

    /** The endpoints with {@code endpoint} added, or replacing the one of its id. */
    List<EndpointRecord> withEndpoint(EndpointRecord endpoint) {
        final Map<String, EndpointRecord> next = new LinkedHashMap<>(endpoints);
        next.put(endpoint.id(), endpoint);
        return List.copyOf(next.values());
    }

    /**
     * Writes the state as it will be once a change is made, before it is made: a change that cannot
     * be saved (a full disk) is refused and nothing of it is applied.
     */
    void persist(Collection<NetworkRecord> nextNetworks, Collection<EndpointRecord> nextEndpoints) {
        persist(nextNetworks, nextEndpoints, intents.values());
    }

    /** As {@link #persist(Collection, Collection)}, with the intents the state will have. */
    void persist(
            Collection<NetworkRecord> nextNetworks,
            Collection<EndpointRecord> nextEndpoints,
            Collection<EndpointIntent> nextIntents) {
        try {
            store.save(new DaemonState(
                    DaemonState.VERSION,
                    List.copyOf(nextNetworks),
                    List.copyOf(nextEndpoints),
                    new ArrayList<>(nextIntents)));
        } catch (UncheckedIOException e) {
            throw ControlException.unsaved(e.getMessage() + " (nothing was changed)");
        }
    }

    /**
     * Writes the live state: after a change failed half-way, or when the kernel changed on its own
     * (a container vanished). There is nothing to refuse then, so a failure is logged; the file then
     * holds more than is live, which the next start forgets (endpoints it cannot take back).
     */
    void saveLive() {
        try {
            store.save(new DaemonState(
                    DaemonState.VERSION,
                    List.copyOf(networks.values()),
                    List.copyOf(endpoints.values()),
                    List.copyOf(intents.values())));
        } catch (UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, "state not saved: {0}", e.getMessage());
        }
    }
}
