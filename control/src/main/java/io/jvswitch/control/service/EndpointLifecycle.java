package io.jvswitch.control.service;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.EndpointMac;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.EndpointIntent;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.netns.ResolvedNamespace;
import io.jvswitch.nat.PortMapping;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.PortSecurity;
import io.jvswitch.switching.port.Port;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Endpoints coming and going: attach and detach, each recorded as an intent before the kernel is
 * touched ({@link EndpointIntent}); an endpoint's port plugged into the dataplane; and the one path
 * by which an endpoint leaves ({@link #leave}), whether detached or found gone with its container.
 */
final class EndpointLifecycle {
    private static final System.Logger LOG = System.getLogger("jvs.control");

    private final LiveState state;
    private final SlotDirectory slots;
    private final WaitingEndpoints waiting;
    private final EndpointWiring wiring;
    private final Dataplane dataplane;
    private final EventFanOut events;
    /** Published ports and NAT; null when the daemon has no host link. */
    private final Supplier<NatService> nat;

    EndpointLifecycle(
            LiveState state,
            SlotDirectory slots,
            WaitingEndpoints waiting,
            EndpointWiring wiring,
            Dataplane dataplane,
            EventFanOut events,
            Supplier<NatService> nat) {
        this.state = state;
        this.slots = slots;
        this.waiting = waiting;
        this.wiring = wiring;
        this.dataplane = dataplane;
        this.events = events;
        this.nat = nat;
    }

    EndpointRecord attach(AttachRequest request) {
        if (request.network() == null) {
            throw ControlException.invalid("network is required");
        }
        final NetworkRecord network = state.requireNetwork(request.network());
        final String name = NetworkRequests.endpointName(request);
        final ContainerRef container = request.container();
        final List<String> aliases = NetworkRequests.aliases(request);
        for (EndpointRecord other : state.endpointsOn(network.name())) {
            if (other.name().equals(name)) {
                throw ControlException.conflict(
                        "an endpoint named " + name + " is already on network " + network.name());
            }
        }
        final ResolvedNamespace namespace;
        try {
            namespace = wiring.namespaceOf(container);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw ControlException.invalid(e.getMessage());
        }
        // By the namespace itself, not by how it was named: --netns, --pid and --docker may name the same one.
        for (EndpointRecord other : state.endpointsOn(network.name())) {
            if (slots.sameContainer(other, container, namespace)) {
                throw ControlException.conflict(
                        container + " is already attached to network " + network.name() + " as " + other.name());
            }
        }
        final Set<String> reservedNames = state.endpoints.values().stream()
                .filter(e -> slots.sameContainer(e, container, namespace))
                .map(EndpointRecord::ifname)
                .collect(Collectors.toSet());
        final String ifname = request.ifname() != null
                ? Names.requireInterfaceName(request.ifname())
                : wiring.nextInterfaceName(namespace, reservedNames);
        if (reservedNames.contains(ifname)) {
            throw ControlException.conflict(
                    "the container already has " + ifname + " from jvs (choose another with --ifname)");
        }
        final AddressPool pool = state.pools.get(network.name());
        final Ipv6Pool pool6 = state.pools6.get(network.name());
        if (pool6 == null && request.ip6() != null) {
            throw ControlException.invalid("network " + network.name() + " has no IPv6 (create it with --ipv6)");
        }
        final boolean publishes = request.ports() != null && !request.ports().isEmpty();
        if (!network.hasIpv4() && request.ip() != null) {
            throw ControlException.invalid("network " + network.name() + " is IPv6-only (--ipv4=false): it has no"
                    + " IPv4 address to give (--ip " + request.ip() + "); give --ip6 instead");
        }
        final Long requestedMac = request.mac() != null ? NetworkRequests.mac(request.mac()) : null;
        final NetworkScope scope = state.scopeOf(network);
        final BigInteger ip6 = pool6 == null ? null : scope.chooseIpv6(network, pool6, requestedIpv6(request.ip6()));
        final int ip;
        try {
            // 0: no IPv4 address, on an IPv6-only network (a global one claims the name and the IPv6 address)
            ip = scope.claimEndpoint(
                    network,
                    pool,
                    new NetworkScope.EndpointClaim(name, NetworkRequests.ip(request.ip()), requestedMac, aliases, ip6));
        } catch (RuntimeException e) {
            if (ip6 != null) {
                pool6.release(ip6);
            }
            throw e;
        }
        boolean done = false;
        try {
            final long mac =
                    requestedMac != null ? requestedMac : ip != 0 ? EndpointMac.derive(ip) : EndpointMac.derive(ip6);
            final String id = ServiceIds.newId();
            final NatService ports = nat.get();
            if (publishes && ports == null) {
                throw ControlException.invalid("this daemon publishes no ports (it runs without a host link)");
            }
            // Listeners first: a port in use refuses the attach before anything is created.
            final List<PortMapping> published = ports == null
                    ? List.of()
                    : ports.publish(
                            id,
                            ip == 0 ? null : Cidr.format(ip),
                            ip6 == null ? null : Ipv6Cidr.format(ip6),
                            request.ports());
            final EndpointRecord endpoint = new EndpointRecord(
                    id,
                    name,
                    network.name(),
                    container,
                    ifname,
                    MacAddress.format(mac),
                    ip == 0 ? null : Cidr.format(ip),
                    Instant.now().toString(),
                    Boolean.TRUE.equals(request.allowSpoofing()),
                    aliases,
                    published,
                    ip6 == null ? null : Ipv6Cidr.format(ip6));
            try {
                create(network, endpoint, namespace);
            } catch (RuntimeException e) {
                if (ports != null) {
                    ports.unpublish(id);
                }
                throw e;
            }
            events.published(state);
            events.endpointAdded(network, endpoint);
            done = true;
            LOG.log(
                    System.Logger.Level.INFO,
                    "attached {0} ({1}) to {2} as {3} {4} {5}",
                    name,
                    container,
                    network.name(),
                    ifname,
                    endpoint.addresses(),
                    endpoint.mac());
            return endpoint;
        } finally {
            if (!done && (ip != 0 || !network.hasIpv4())) {
                state.scopeOf(network).releaseEndpoint(network, pool, name, ip == 0 ? null : Cidr.format(ip));
            }
            if (!done && ip6 != null) {
                pool6.release(ip6);
            }
        }
    }

    /**
     * Makes the endpoint's interface and plugs it: the endpoint and an attach intent saved before
     * the kernel is touched (an attach that cannot be saved creates nothing; a daemon killed half-way
     * finds the intent and undoes it), the intent cleared once all is done. On failure nothing of it
     * is left, in the kernel or the state.
     */
    private void create(NetworkRecord network, EndpointRecord endpoint, ResolvedNamespace namespace) {
        final EndpointIntent intent = new EndpointIntent(endpoint.id(), EndpointIntent.Step.ATTACH);
        final List<EndpointIntent> intents = new ArrayList<>(state.intents.values());
        intents.add(intent);
        state.persist(state.networks.values(), state.withEndpoint(endpoint), intents);
        try {
            final Port port = wiring.create(planFor(network, endpoint, namespace));
            StepPause.at("attach:device-created");
            try {
                plug(network, endpoint, port, namespace);
            } catch (RuntimeException e) {
                wiring.release(port);
                port.close();
                throw e;
            }
            try {
                state.persist(state.networks.values(), state.withEndpoint(endpoint));
            } catch (ControlException e) {
                unplug(endpoint.id(), false);
                throw e;
            }
        } catch (RuntimeException e) {
            state.saveLive();
            throw e;
        }
        state.endpoints.put(endpoint.id(), endpoint);
    }

    /** Detaches the named endpoint from one network, or from every network it is on. */
    List<EndpointRecord> detach(String name, String networkName) {
        final List<EndpointRecord> matches = state.named(name, networkName);
        slots.requireOneContainer(name, matches);
        for (EndpointRecord endpoint : matches) {
            if (state.intents.containsKey(endpoint.id())) {
                throw ControlException.conflict("an earlier change of " + endpoint.name() + " on "
                        + endpoint.network() + " is unfinished (its container is away): it is finished"
                        + " when the container is back");
            }
        }
        // The intent first: a detach that cannot be saved changes nothing, and a daemon killed
        // half-way finishes it instead of leaving an interface that holds a freed address.
        final List<EndpointIntent> intents = new ArrayList<>(state.intents.values());
        matches.forEach(e -> intents.add(new EndpointIntent(e.id(), EndpointIntent.Step.DETACH)));
        state.persist(state.networks.values(), state.endpoints.values(), intents);
        StepPause.at("detach:intent-saved");
        final List<ResolvedNamespace> left = new ArrayList<>();
        for (EndpointRecord endpoint : matches) {
            final SlotDirectory.Attached live = leave(endpoint, false, null);
            final NetworkRecord network = state.networks.get(endpoint.network());
            if (live != null && network != null && !network.internal()) {
                left.add(live.namespace()); // it may have carried the container's default route
            }
            LOG.log(System.Logger.Level.INFO, "detached {0} from {1}", endpoint.name(), endpoint.network());
        }
        state.saveLive();
        events.published(state);
        left.forEach(this::restoreDefaultRoute);
        return matches;
    }

    /** The dataplane found a port's device gone (its namespace was deleted). */
    void portGone(int slot) {
        final String id = slots.idOfSlot(slot);
        final EndpointRecord endpoint = id == null ? null : state.endpoints.get(id);
        if (endpoint == null) {
            if (id != null) {
                slots.remove(id);
            }
            return;
        }
        leave(endpoint, true, "its container stopped (namespace deleted)");
        if (!WaitingEndpoints.comesBack(endpoint)) {
            state.saveLive();
            events.published(state);
        }
    }

    /**
     * Removes endpoints whose container namespace no longer exists. The dataplane sees most such
     * deaths itself (the device vanishes), but a TAP re-opened after a restart keeps its namespace
     * alive, and a namespace can be deleted and re-created under the same name: this catches both.
     */
    int reapVanished() {
        final List<String> vanished = slots.vanished();
        for (String id : vanished) {
            final EndpointRecord endpoint = state.endpoints.get(id);
            if (endpoint == null) {
                unplugById(id);
            } else {
                leave(endpoint, false, "its container stopped (namespace gone)");
            }
        }
        if (!vanished.isEmpty()) {
            state.saveLive();
            events.published(state);
        }
        return vanished.size();
    }

    /**
     * The one way an endpoint leaves: its port out of the dataplane (its device marked to go with
     * it, unless {@code deviceGone} says the kernel took it already), then, for a Docker container
     * that went away ({@code reason} given), kept waiting for it with its addresses, else forgotten
     * and its addresses given back. Returns its live presence, null if it was not plugged.
     */
    SlotDirectory.Attached leave(EndpointRecord endpoint, boolean deviceGone, String reason) {
        final SlotDirectory.Attached live = unplug(endpoint.id(), deviceGone);
        if (reason != null && WaitingEndpoints.comesBack(endpoint)) {
            events.endpointRemoved(endpoint);
            waiting.park(endpoint, reason);
            return live;
        }
        forget(endpoint);
        if (reason != null) {
            LOG.log(
                    System.Logger.Level.INFO,
                    "endpoint {0} on {1} is gone (its namespace was deleted): removed",
                    endpoint.name(),
                    endpoint.network());
        }
        return live;
    }

    /** Drops the endpoint's record, intent and waiting, tells the listeners, and frees its addresses. */
    void forget(EndpointRecord endpoint) {
        state.endpoints.remove(endpoint.id());
        state.intents.remove(endpoint.id());
        waiting.remove(endpoint.id());
        events.endpointRemoved(endpoint);
        state.releaseAddresses(endpoint);
    }

    void plug(NetworkRecord network, EndpointRecord endpoint, Port port, ResolvedNamespace namespace) {
        final int slot = Dataplane.await(dataplane.plug(
                network.dataplaneId(),
                port,
                MacAddress.parse(endpoint.mac()),
                endpoint.hasIpv4() ? Cidr.parseAddress(endpoint.ipv4()) : 0,
                endpoint.allowSpoofing() ? PortSecurity.ALLOW_SPOOFING : PortSecurity.ENFORCE));
        slots.put(endpoint, new SlotDirectory.Attached(slot, port, namespace));
        if (endpoint.ipv6() != null) {
            final BigInteger ip6 = Ipv6Cidr.parseAddress(endpoint.ipv6(), "ipv6");
            Dataplane.await(dataplane.assignIpv6(slot, Ipv6Cidr.high(ip6), Ipv6Cidr.low(ip6)));
        }
        if (endpoint.hasIpv4()) {
            // a gratuitous ARP; an IPv6-only network has no ARP at all (its neighbors are answered by proxy-NDP)
            Dataplane.await(dataplane.announce(slot));
        }
    }

    /** The endpoint's interface as the wiring makes it; without IPv4 address and gateway on an IPv6-only network. */
    static EndpointPlan planFor(NetworkRecord network, EndpointRecord endpoint, ResolvedNamespace namespace) {
        return new EndpointPlan(
                endpoint.name(),
                namespace,
                endpoint.ifname(),
                endpoint.mac(),
                endpoint.hasIpv4()
                        ? endpoint.ipv4() + "/" + Cidr.parse(network.subnet()).prefixLength()
                        : null,
                network.gateway(),
                network.mtu(),
                !network.internal(),
                endpoint.target(),
                endpoint.ipv6() == null || network.ipv6() == null
                        ? null
                        : endpoint.ipv6() + "/"
                                + Ipv6Cidr.parse(network.ipv6().subnet(), "subnet")
                                        .prefixLength(),
                network.ipv6() == null ? null : network.ipv6().gateway());
    }

    private SlotDirectory.Attached unplug(String id, boolean deviceGone) {
        if (deviceGone) {
            return slots.remove(id);
        }
        return unplugById(id);
    }

    private SlotDirectory.Attached unplugById(String id) {
        final SlotDirectory.Attached live = slots.remove(id);
        if (live != null) {
            wiring.release(live.port());
            Dataplane.await(dataplane.unplug(live.slot()));
        }
        return live;
    }

    /**
     * After a detach took an interface that may have carried the container's default route (one on
     * a network with a way out), the route went with it: give the container the default route of
     * the first such network it is still on (the wiring does nothing when it still has one).
     */
    private void restoreDefaultRoute(ResolvedNamespace namespace) {
        for (EndpointRecord other : state.endpoints.values()) {
            final SlotDirectory.Attached live = slots.get(other.id());
            if (live == null || live.namespace().inode() != namespace.inode() || !namespace.stillExists()) {
                continue;
            }
            final NetworkRecord network = state.networks.get(other.network());
            if (network != null && !network.internal()) {
                try {
                    wiring.ensureDefaultRoute(planFor(network, other, live.namespace()));
                } catch (RuntimeException e) {
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "cannot give {0} a default route via {1}: {2}",
                            other.name(),
                            network.name(),
                            e.getMessage());
                }
                return;
            }
        }
    }

    /** {@code --ip6}, or null when the scope chooses. */
    private static BigInteger requestedIpv6(String requested) {
        try {
            return requested == null ? null : Ipv6Cidr.parseAddress(requested, "ip6");
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        }
    }
}
