package io.jvswitch.control.service;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.EndpointMac;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6HostRoutes;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkIpv6;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.EtherTypePolicy;
import io.jvswitch.switching.Ipv6Gateway;
import io.jvswitch.switching.NetworkSpec;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Networks coming and going: created from a checked request, removed, brought back at a restart,
 * adopted from or dropped by the cluster store. Each step saves first, then changes the dataplane,
 * the tunnel and the listeners, and undoes what it did when a later step fails.
 */
final class NetworkLifecycle {
    private static final System.Logger LOG = System.getLogger("jvs.control");

    private final LiveState state;
    private final Dataplane dataplane;
    private final OverlayNetworks overlays;
    private final EventFanOut events;
    private final Supplier<List<Cidr>> hostRoutes;
    /** The host's IPv6 routes but jvs's own; none until the daemon sets them ({@link #hostRoutes6}). */
    private Supplier<List<Ipv6HostRoutes.Route>> hostRoutes6 = List::of;

    NetworkLifecycle(
            LiveState state,
            Dataplane dataplane,
            OverlayNetworks overlays,
            EventFanOut events,
            Supplier<List<Cidr>> hostRoutes) {
        this.state = state;
        this.dataplane = dataplane;
        this.overlays = overlays;
        this.events = events;
        this.hostRoutes = hostRoutes;
    }

    void hostRoutes6(Supplier<List<Ipv6HostRoutes.Route>> routes) {
        this.hostRoutes6 = routes;
    }

    /**
     * The dataplane's view of a network: routed through its gateway, with its MTU. An IPv6-only
     * network has no IPv4 gateway and is not routed for IPv4 (prefix 0); its gateway's MAC is
     * derived from the IPv6 gateway ({@link #addIpv6} gives it that side).
     */
    static NetworkSpec specOf(NetworkRecord network) {
        if (!network.hasIpv4()) {
            return new NetworkSpec(
                    network.dataplaneId(),
                    network.name(),
                    0,
                    EndpointMac.derive(Ipv6Cidr.parseAddress(network.ipv6().gateway(), "gateway")),
                    0,
                    network.mtu(),
                    network.internal(),
                    EtherTypePolicy.IP_ONLY);
        }
        final Cidr subnet = Cidr.parse(network.subnet());
        final int gateway = Cidr.parseAddress(network.gateway());
        return new NetworkSpec(
                network.dataplaneId(),
                network.name(),
                gateway,
                EndpointMac.derive(gateway),
                subnet.prefixLength(),
                network.mtu(),
                network.internal(),
                EtherTypePolicy.IP_ONLY);
    }

    /** The dataplane's view of a network's IPv6 side, or null for an IPv4-only network. */
    static Ipv6Gateway ipv6GatewayOf(NetworkRecord network) {
        if (network.ipv6() == null) {
            return null;
        }
        final BigInteger gateway = Ipv6Cidr.parseAddress(network.ipv6().gateway(), "gateway");
        return new Ipv6Gateway(
                Ipv6Cidr.high(gateway),
                Ipv6Cidr.low(gateway),
                Ipv6Cidr.parse(network.ipv6().subnet(), "subnet").prefixLength());
    }

    NetworkRecord create(CreateNetworkRequest request) {
        final NetworkRequests.ValidNetwork valid = NetworkRequests.network(
                request, state.networks.values(), hostRoutes.get(), hostRoutes6.get(), state.cluster());
        final AddressPool pool = valid.pool();
        final Ipv6Pool pool6 = valid.pool6();
        NetworkRecord network = new NetworkRecord(
                ServiceIds.newId(),
                state.nextDataplaneId(),
                valid.name(),
                valid.driver(),
                pool == null ? null : valid.subnet().toString(),
                pool == null ? null : Cidr.format(pool.gateway()),
                pool == null ? null : pool.ipRange().map(Cidr::toString).orElse(null),
                pool == null
                        ? Map.of()
                        : pool.auxAddresses().entrySet().stream()
                                .collect(Collectors.toMap(Map.Entry::getKey, e -> Cidr.format(e.getValue()))),
                Boolean.TRUE.equals(request.internal()),
                valid.mtu(),
                Instant.now().toString(),
                valid.dns(),
                Boolean.FALSE.equals(request.masquerade()) ? Boolean.FALSE : null,
                valid.overlay(),
                pool6 == null ? null : ipv6Of(pool6));
        network = (valid.global() ? state.cluster() : state.scopeOf(network)).createNetwork(network, request.vni());
        try {
            state.persist(state.withNetwork(network), state.endpoints.values());
        } catch (ControlException e) {
            throw undoGlobal(network, e);
        }
        try {
            bringUp(network);
        } catch (RuntimeException e) {
            state.saveLive();
            throw undoGlobal(network, translateBringUp(e, valid.overlay() != null));
        }
        state.networks.put(network.name(), network);
        if (pool != null) {
            state.pools.put(network.name(), pool);
        }
        if (pool6 != null) {
            state.pools6.put(network.name(), pool6);
        }
        events.published(state);
        final List<String> sides = new ArrayList<>();
        if (pool != null) {
            sides.add(valid.subnet() + " gateway " + network.gateway());
        }
        if (pool6 != null) {
            sides.add(pool6.subnet() + " gateway " + Ipv6Cidr.format(pool6.gateway()));
        }
        LOG.log(
                System.Logger.Level.INFO,
                "created {0} network {1} {2}",
                network.scope(),
                network.name(),
                String.join(", ", sides));
        return network;
    }

    void remove(String name) {
        final NetworkRecord network = state.requireNetwork(name);
        final List<String> members =
                state.endpointsOn(name).stream().map(EndpointRecord::name).toList();
        // a global network: refused, naming every host with endpoints on it (this one too), while any has some
        state.scopeOf(network).removeNetwork(network, members);
        if (!members.isEmpty()) {
            throw ControlException.conflict("network " + name + " has " + members.size() + " attached endpoint"
                    + (members.size() == 1 ? "" : "s") + " (" + String.join(", ", members) + "): detach them first");
        }
        tearDown(network);
    }

    /** Brings back the saved networks (before their endpoints). */
    void restore(List<NetworkRecord> saved) {
        for (NetworkRecord network : saved) {
            if (network.hasIpv4()) {
                state.pools.put(network.name(), poolOf(network));
            }
            if (network.ipv6() != null) {
                state.pools6.put(network.name(), pool6Of(network.ipv6()));
            }
            state.networks.put(network.name(), network);
            try {
                bringUp(network);
            } catch (RuntimeException e) {
                if (!network.spansHosts()) {
                    throw e;
                }
                // A tunnel that cannot open (the underlay address is gone) must not cost the
                // network: it comes back without its tunnel, as before the restart's failure.
                LOG.log(
                        System.Logger.Level.WARNING,
                        "overlay network {0}: tunnel not opened: {1}",
                        network.name(),
                        e.getMessage());
                Dataplane.await(dataplane.addNetwork(specOf(network)));
                addIpv6(network);
                events.networkAdded(network);
            }
        }
    }

    /** Builds a global network another host created (or this host before a restart), with a local dataplane id. */
    NetworkRecord adoptGlobal(NetworkRecord template) {
        if (state.networks.containsKey(template.name())) {
            throw ControlException.conflict("a network named " + template.name() + " already exists on this host");
        }
        final Cidr subnet = template.hasIpv4() ? Cidr.parse(template.subnet()) : null; // null: IPv6-only
        for (NetworkRecord other : state.networks.values()) {
            if (subnet != null && other.hasIpv4() && Cidr.parse(other.subnet()).overlaps(subnet)) {
                throw ControlException.conflict("subnet " + subnet + " overlaps network " + other.name() + " ("
                        + other.subnet() + ") on this host");
            }
        }
        final NetworkRecord network = new NetworkRecord(
                        template.id(),
                        state.nextDataplaneId(),
                        template.name(),
                        "overlay",
                        template.subnet(),
                        template.gateway(),
                        null,
                        Map.of(),
                        template.internal(),
                        template.mtu(),
                        template.created(),
                        template.dns(),
                        template.masquerade(),
                        template.overlay())
                .withIpv6(template.ipv6());
        final AddressPool pool = subnet == null ? null : poolOf(network);
        final Ipv6Pool pool6 = network.ipv6() == null ? null : pool6Of(network.ipv6());
        if (pool6 != null) {
            for (NetworkRecord other : state.networks.values()) {
                if (other.ipv6() != null
                        && Ipv6Cidr.parse(other.ipv6().subnet(), "subnet").overlaps(pool6.subnet())) {
                    throw ControlException.conflict("IPv6 subnet " + pool6.subnet() + " overlaps network "
                            + other.name() + " (" + other.ipv6().subnet() + ") on this host");
                }
            }
        }
        state.persist(state.withNetwork(network), state.endpoints.values());
        try {
            bringUp(network);
        } catch (RuntimeException e) {
            state.saveLive();
            throw e;
        }
        state.networks.put(network.name(), network);
        if (pool != null) {
            state.pools.put(network.name(), pool);
        }
        if (pool6 != null) {
            state.pools6.put(network.name(), pool6);
        }
        events.published(state);
        LOG.log(
                System.Logger.Level.INFO,
                "global network {0} ({1}, VNI {2}) from the cluster store",
                network.name(),
                subnet != null ? network.subnet() : network.ipv6().subnet(),
                network.overlay().vni());
        return network;
    }

    /**
     * Removes a global network the store no longer has; returns false (and keeps it) while this
     * host still has endpoints on it.
     */
    boolean dropGlobal(String name) {
        final NetworkRecord network = state.networks.get(name);
        if (network == null || !network.clusterWide()) {
            return true;
        }
        if (!state.endpointsOn(name).isEmpty()) {
            return false;
        }
        tearDown(network);
        return true;
    }

    private void tearDown(NetworkRecord network) {
        final String name = network.name();
        state.persist(
                state.networks.values().stream()
                        .filter(n -> !n.name().equals(name))
                        .toList(),
                state.endpoints.values());
        overlays.close(name);
        Dataplane.await(dataplane.removeNetwork(network.dataplaneId()));
        events.networkRemoved(network);
        state.networks.remove(name);
        state.pools.remove(name);
        state.pools6.remove(name);
        events.published(state);
        LOG.log(System.Logger.Level.INFO, "removed network {0}", name);
    }

    /**
     * Adds the network to the dataplane, opens its tunnel if it spans hosts and tells the listeners;
     * undoes all of it if a step fails.
     */
    private void bringUp(NetworkRecord network) {
        Dataplane.await(dataplane.addNetwork(specOf(network)));
        try {
            addIpv6(network);
            if (network.spansHosts()) {
                overlays.open(network);
            }
            events.networkAdded(network);
        } catch (RuntimeException e) {
            overlays.close(network.name());
            Dataplane.await(dataplane.removeNetwork(network.dataplaneId()));
            throw e;
        }
    }

    private void addIpv6(NetworkRecord network) {
        final Ipv6Gateway gateway = ipv6GatewayOf(network);
        if (gateway != null) {
            Dataplane.await(dataplane.addIpv6(network.dataplaneId(), gateway));
        }
    }

    /** Takes a global network that could not be brought up here back out of the cluster; returns {@code e}. */
    private RuntimeException undoGlobal(NetworkRecord network, RuntimeException e) {
        if (network.clusterWide()) {
            try {
                state.cluster().removeNetwork(network, List.of());
            } catch (RuntimeException undo) {
                e.addSuppressed(undo);
            }
        }
        return e;
    }

    private static RuntimeException translateBringUp(RuntimeException failure, boolean overlay) {
        try {
            throw failure;
        } catch (ControlException e) {
            return e;
        } catch (IllegalStateException e) {
            return ControlException.conflict(e.getMessage());
        } catch (RuntimeException e) {
            // The tunnel's socket could not be bound (no such local address, port in use).
            return overlay ? ControlException.invalid(e.getMessage()) : e;
        }
    }

    private static AddressPool poolOf(NetworkRecord network) {
        final AddressPool.Builder builder =
                AddressPool.builder(Cidr.parse(network.subnet())).gateway(Cidr.parseAddress(network.gateway()));
        Optional.ofNullable(network.ipRange()).ifPresent(r -> builder.ipRange(Cidr.parse(r)));
        network.auxAddresses().forEach((n, a) -> builder.auxAddress(n, Cidr.parseAddress(a)));
        return builder.build();
    }

    private static NetworkIpv6 ipv6Of(Ipv6Pool pool) {
        final Map<String, String> aux = new LinkedHashMap<>();
        pool.auxAddresses().forEach((n, a) -> aux.put(n, Ipv6Cidr.format(a)));
        return new NetworkIpv6(
                pool.subnet().toString(),
                Ipv6Cidr.format(pool.gateway()),
                pool.ipRange().map(Ipv6Cidr::toString).orElse(null),
                aux);
    }

    private static Ipv6Pool pool6Of(NetworkIpv6 ipv6) {
        final Map<String, BigInteger> aux = new LinkedHashMap<>();
        ipv6.auxAddresses().forEach((n, a) -> aux.put(n, Ipv6Cidr.parseAddress(a, "aux-address")));
        return new Ipv6Pool(
                Ipv6Cidr.parse(ipv6.subnet(), "subnet"),
                Ipv6Cidr.parseAddress(ipv6.gateway(), "gateway"),
                ipv6.ipRange() == null ? null : Ipv6Cidr.parse(ipv6.ipRange(), "ip-range"),
                aux);
    }
}
