package io.jvswitch.control.service;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.DefaultIpv6Pools;
import io.jvswitch.control.ipam.DefaultPools;
import io.jvswitch.control.ipam.EndpointMac;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.DaemonState;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkIpv6;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.OverlayRecord;
import io.jvswitch.control.model.StateStore;
import io.jvswitch.control.netns.ResolvedNamespace;
import io.jvswitch.dns.ResolvConf;
import io.jvswitch.nat.PortMapping;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VxlanHeader;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.EtherTypePolicy;
import io.jvswitch.switching.FdbEntry;
import io.jvswitch.switching.Ipv6Gateway;
import io.jvswitch.switching.NetworkSpec;
import io.jvswitch.switching.NetworkStats;
import io.jvswitch.switching.PortSecurity;
import io.jvswitch.switching.PortStats;
import io.jvswitch.switching.port.Port;
import io.jvswitch.vtep.TunnelPort;
import io.jvswitch.vtep.VtepContext;

import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Networks and endpoints: validation, IPAM, the dataplane, the devices, and the state file, kept
 * consistent. Every operation either completes (and is saved) or fails and changes nothing.
 * Operations are serialized: they are rare and each one is short.
 */
public final class NetworkService {
    private static final System.Logger LOG = System.getLogger("jvs.control");
    private static final int DEFAULT_MTU = 1500;
    /** Docker's overlay driver allocates VNIs from 4096 up; so does jvs. */
    private static final int FIRST_VNI = 4096;

    private static final SecureRandom RANDOM = new SecureRandom();
    /** First and longest wait before looking again for a Docker container that is away. */
    static final long FIRST_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Most DNS aliases of one endpoint: keeps the name store's share of one endpoint small. */
    static final int MAX_ALIASES = 32;

    private final Dataplane dataplane;
    private final StateStore store;
    private final EndpointWiring wiring;
    private final Supplier<List<Cidr>> hostRoutes;
    private volatile BiConsumer<List<NetworkRecord>, List<EndpointRecord>> changed = (n, e) -> {};
    private final OverlayNetworks overlays;

    private final Map<String, NetworkRecord> networks = new LinkedHashMap<>();
    private final Map<String, AddressPool> pools = new LinkedHashMap<>();
    /** The IPv6 pools of dual-stack networks, by network name. */
    private final Map<String, Ipv6Pool> pools6 = new LinkedHashMap<>();

    private final Map<String, EndpointRecord> endpoints = new LinkedHashMap<>(); // by endpoint id
    private final Map<String, Attached> attached = new LinkedHashMap<>(); // by endpoint id
    /** Slot to endpoint name, read by the capture writer thread for every frame it writes. */
    private final Map<Integer, String> slotNames = new ConcurrentHashMap<>();

    private final List<NetworkEvents> listeners;
    /** Published ports and NAT; null when the daemon has no host link. Also among the listeners. */
    private NatService nat;
    /** Claims of local networks (this host's pools). */
    private final NetworkScope local = new LocalScope();
    /** Claims of global networks (the cluster store); null without --cluster-store. */
    private ClusterScope cluster;

    /**
     * Endpoints of Docker containers kept while their container is away (stopped, restarting, the
     * engine not answering, at a restore or later), with why and when to look again.
     */
    private final Map<String, Waiting> waiting = new LinkedHashMap<>();

    /** An endpoint's live presence in the dataplane, and the namespace it lives in. */
    private record Attached(int slot, Port port, ResolvedNamespace namespace) {}

    /** Why an endpoint waits for its container, and when it is looked for again. */
    private record Waiting(String reason, long nextTryNanos, long backoffNanos) {}

    public NetworkService(
            Dataplane dataplane, StateStore store, EndpointWiring wiring, Supplier<List<Cidr>> hostRoutes) {
        this(
                dataplane,
                store,
                wiring,
                hostRoutes,
                List.of(),
                new OverlayNetworks(dataplane, TimeUnit.SECONDS.toNanos(300)));
    }

    public NetworkService(
            Dataplane dataplane,
            StateStore store,
            EndpointWiring wiring,
            Supplier<List<Cidr>> hostRoutes,
            List<NetworkEvents> listeners,
            OverlayNetworks overlays) {
        this.dataplane = dataplane;
        this.store = store;
        this.wiring = wiring;
        this.hostRoutes = hostRoutes;
        this.overlays = overlays;
        this.listeners = List.copyOf(listeners);
    }

    /** Publishing ports needs the NAT service (it is also registered as a listener for the rest). */
    public void nat(NatService nat) {
        this.nat = nat;
    }

    /** With a cluster store, overlay networks created without --local/--peer are global. */
    public synchronized void cluster(ClusterScope cluster) {
        this.cluster = cluster;
    }

    /** The dataplane's view of a network: routed through its gateway, with its MTU. */
    static NetworkSpec specOf(NetworkRecord network) {
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

    private void addIpv6(NetworkRecord network) {
        final Ipv6Gateway gateway = ipv6GatewayOf(network);
        if (gateway != null) {
            Dataplane.await(dataplane.addIpv6(network.dataplaneId(), gateway));
        }
    }

    /**
     * Adds the network to the dataplane, opens its tunnel if it spans hosts and tells the listeners;
     * undoes all of it if a step fails.
     */
    private void bringUp(NetworkRecord network) {
        Dataplane.await(dataplane.addNetwork(specOf(network)));
        final List<NetworkEvents> told = new ArrayList<>();
        try {
            addIpv6(network);
            if (network.spansHosts()) {
                overlays.open(network);
            }
            for (NetworkEvents listener : listeners) {
                listener.networkAdded(network);
                told.add(listener);
            }
        } catch (RuntimeException e) {
            for (NetworkEvents listener : told) {
                listener.networkRemoved(network);
            }
            overlays.close(network.name());
            Dataplane.await(dataplane.removeNetwork(network.dataplaneId()));
            throw e;
        }
    }

    // ---- restart -----------------------------------------------------------------------------

    /**
     * Brings back the saved networks and the endpoints whose containers still exist, taking back
     * their persistent TAPs. Endpoints whose container is gone are forgotten, their addresses freed,
     * except a Docker container's ({@code attach --docker}), which waits for it ({@link #retryWaiting()}).
     */
    public synchronized void restore() {
        final DaemonState state = store.load();
        for (NetworkRecord network : state.networks()) {
            pools.put(network.name(), poolOf(network));
            if (network.ipv6() != null) {
                pools6.put(network.name(), pool6Of(network.ipv6()));
            }
            networks.put(network.name(), network);
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
                for (NetworkEvents listener : listeners) {
                    listener.networkAdded(network);
                }
            }
        }
        int restored = 0;
        for (EndpointRecord endpoint : state.endpoints()) {
            final NetworkRecord network = networks.get(endpoint.network());
            if (network == null) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "forgetting endpoint {0}: network {1} is not in the state",
                        endpoint.name(),
                        endpoint.network());
                continue;
            }
            try {
                final ResolvedNamespace namespace = wiring.namespaceOf(endpoint.target());
                final Port port = wiring.reopen(planFor(network, endpoint, namespace));
                pools.get(network.name()).reserve(Cidr.parseAddress(endpoint.ipv4()));
                if (endpoint.ipv6() != null && pools6.containsKey(network.name())) {
                    pools6.get(network.name()).reserve(Ipv6Cidr.parseAddress(endpoint.ipv6(), "ipv6"));
                }
                plug(network, endpoint, port, namespace);
                endpoints.put(endpoint.id(), endpoint);
                tellAdded(network, endpoint);
                restored++;
            } catch (RuntimeException e) {
                if (comesBack(endpoint) && keepWaiting(endpoint, e.getMessage())) {
                    continue;
                }
                LOG.log(
                        System.Logger.Level.WARNING,
                        "forgetting endpoint {0} on {1}: {2}",
                        endpoint.name(),
                        endpoint.network(),
                        e.getMessage());
            }
        }
        saveLive();
        published();
        LOG.log(
                System.Logger.Level.INFO,
                "restored {0} networks and {1} of {2} endpoints ({3} wait for their Docker container)",
                networks.size(),
                restored,
                state.endpoints().size(),
                waiting.size());
    }

    /**
     * A Docker container's endpoint whose container cannot be found now (the engine is not up yet,
     * the container is stopped or renamed): kept with its address, looked for again with backoff,
     * reported by {@link #waitingReasons()}, instead of being forgotten while its interface may
     * still be in the container.
     */
    private boolean keepWaiting(EndpointRecord endpoint, String reason) {
        try {
            pools.get(endpoint.network()).reserve(Cidr.parseAddress(endpoint.ipv4()));
        } catch (RuntimeException e) {
            return false;
        }
        endpoints.put(endpoint.id(), endpoint);
        park(endpoint, reason);
        return true;
    }

    /** Docker containers come back (restart, restart policy); a netns or process does not. */
    private static boolean comesBack(EndpointRecord endpoint) {
        return endpoint.target().kind() == ContainerRef.Kind.DOCKER;
    }

    private void park(EndpointRecord endpoint, String reason) {
        waiting.put(endpoint.id(), new Waiting(reason, System.nanoTime() + FIRST_RETRY_NANOS, FIRST_RETRY_NANOS));
        LOG.log(
                System.Logger.Level.WARNING,
                "endpoint {0} on {1} waits for {2}: {3}",
                endpoint.name(),
                endpoint.network(),
                endpoint.target(),
                reason);
    }

    /**
     * Looks again for the containers of waiting endpoints whose time has come, and attaches each one
     * found with its recorded options (name, address, MAC, aliases, published ports).
     *
     * @return how many came back
     */
    public synchronized int retryWaiting() {
        final long now = System.nanoTime();
        int back = 0;
        for (String id : List.copyOf(waiting.keySet())) {
            final Waiting w = waiting.get(id);
            final EndpointRecord endpoint = endpoints.get(id);
            final NetworkRecord network = endpoint == null ? null : networks.get(endpoint.network());
            if (network == null) {
                waiting.remove(id);
                continue;
            }
            if (now - w.nextTryNanos() < 0) {
                continue;
            }
            try {
                final ResolvedNamespace namespace = wiring.namespaceOf(endpoint.target());
                final Port port = wiring.reopen(planFor(network, endpoint, namespace));
                try {
                    plug(network, endpoint, port, namespace);
                } catch (RuntimeException e) {
                    port.close();
                    throw e;
                }
                waiting.remove(id);
                tellAdded(network, endpoint);
                back++;
                LOG.log(
                        System.Logger.Level.INFO,
                        "endpoint {0} on {1} is back: {2} attached again as {3} {4}",
                        endpoint.name(),
                        network.name(),
                        endpoint.target(),
                        endpoint.ifname(),
                        endpoint.ipv4());
            } catch (RuntimeException e) {
                final long backoff = Math.min(w.backoffNanos() * 2, MAX_RETRY_NANOS);
                waiting.put(id, new Waiting(e.getMessage(), now + backoff, backoff));
                if (!Objects.equals(e.getMessage(), w.reason())) {
                    LOG.log(
                            System.Logger.Level.INFO,
                            "endpoint {0} on {1} still waits: {2}",
                            endpoint.name(),
                            network.name(),
                            e.getMessage());
                }
            }
        }
        return back;
    }

    /**
     * A Docker container started (an engine's event): its waiting endpoints are looked for now.
     *
     * @param name the container's name
     * @param id its full id
     */
    public synchronized int containerStarted(String name, String id) {
        // A restart's start can arrive before the tick notices the old namespace went (a re-taken
        // TAP keeps it from going at once): park such endpoints first.
        reapVanished();
        boolean any = false;
        for (Map.Entry<String, Waiting> entry : waiting.entrySet()) {
            final EndpointRecord endpoint = endpoints.get(entry.getKey());
            final String ref = endpoint == null ? "" : endpoint.target().value();
            if (!ref.isEmpty() && (ref.equals(name) || id.startsWith(ref))) {
                entry.setValue(new Waiting(entry.getValue().reason(), System.nanoTime(), FIRST_RETRY_NANOS));
                any = true;
            }
        }
        if (!any) {
            return 0;
        }
        LOG.log(System.Logger.Level.INFO, "docker container {0} started: attaching it again", name);
        return retryWaiting();
    }

    /** The engines of the Docker containers endpoints are attached to (null: the docker CLI's default). */
    public synchronized Set<String> dockerEngines() {
        final Set<String> engines = new HashSet<>();
        endpoints.values().stream()
                .filter(NetworkService::comesBack)
                .forEach(e -> engines.add(e.target().engine()));
        return engines;
    }

    /** Endpoint id to why it waits for its container, for every endpoint that does. */
    public synchronized Map<String, String> waitingReasons() {
        final Map<String, String> out = new LinkedHashMap<>();
        waiting.forEach((id, w) -> out.put(id, w.reason()));
        return out;
    }

    // ---- networks ----------------------------------------------------------------------------

    public synchronized NetworkRecord createNetwork(CreateNetworkRequest request) {
        final String name = Names.requireValid("network", request.name());
        if (networks.containsKey(name)) {
            throw ApiException.conflict("network " + name + " already exists");
        }
        final String driver = request.driver() == null ? "bridge" : request.driver();
        if (!driver.equals("bridge") && !driver.equals("overlay")) {
            throw ApiException.badRequest("unknown driver '" + driver + "': this jvs supports 'bridge' and 'overlay'");
        }
        final boolean global =
                driver.equals("overlay") && cluster != null && request.local() == null && request.peers() == null;
        final OverlayRecord overlay =
                driver.equals("overlay") ? (global ? globalOverlayOf(request) : overlayOf(request)) : null;
        if (overlay == null
                && (request.vni() != null
                        || request.local() != null
                        || request.peers() != null
                        || request.vxlanPort() != null
                        || request.ttl() != null)) {
            throw ApiException.badRequest(
                    "--vni, --local, --peer, --vxlan-port and --ttl apply to --driver overlay only");
        }
        // ipv6-underlay: an IPv6 underlay's outer header is 20 bytes longer
        final int mtu = request.mtu() == null
                ? (overlay != null ? UnderlayAddress.defaultOverlayMtu(overlay.local(), DEFAULT_MTU) : DEFAULT_MTU)
                : request.mtu();
        if (mtu < 68 || mtu > 65_535) {
            throw ApiException.badRequest("invalid MTU " + mtu + ": must be within 68..65535");
        }
        final Cidr subnet;
        try {
            subnet = request.subnet() == null ? pickSubnet() : Cidr.parse(request.subnet());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (IllegalStateException e) {
            throw ApiException.conflict(e.getMessage());
        }
        for (NetworkRecord other : networks.values()) {
            if (Cidr.parse(other.subnet()).overlaps(subnet)) {
                throw ApiException.conflict(
                        "subnet " + subnet + " overlaps network " + other.name() + " (" + other.subnet() + ")");
            }
        }
        final AddressPool pool;
        try {
            final AddressPool.Builder builder = AddressPool.builder(subnet);
            if (request.gateway() != null) {
                builder.gateway(Cidr.parseAddress(request.gateway(), "gateway"));
            }
            if (request.ipRange() != null) {
                builder.ipRange(Cidr.parse(request.ipRange(), "ip-range"));
            }
            if (request.auxAddresses() != null) {
                request.auxAddresses()
                        .forEach((auxName, address) ->
                                builder.auxAddress(auxName, Cidr.parseAddress(address, "aux-address " + auxName)));
            }
            pool = builder.build();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        final Ipv6Pool pool6 = ipv6PoolFor(request, global);
        final List<String> dns = request.dns() == null ? List.of() : request.dns();
        for (String server : dns) {
            if (ResolvConf.literal(server == null ? "" : server) == null) {
                throw ApiException.badRequest("invalid --dns server '" + server + "': an IPv4 or IPv6 address");
            }
        }
        final int dataplaneId = networks.values().stream()
                        .mapToInt(NetworkRecord::dataplaneId)
                        .max()
                        .orElse(0)
                + 1;
        NetworkRecord network = new NetworkRecord(
                newId(),
                dataplaneId,
                name,
                driver,
                subnet.toString(),
                Cidr.format(pool.gateway()),
                pool.ipRange().map(Cidr::toString).orElse(null),
                pool.auxAddresses().entrySet().stream()
                        .collect(Collectors.toMap(Map.Entry::getKey, e -> Cidr.format(e.getValue()))),
                Boolean.TRUE.equals(request.internal()),
                mtu,
                Instant.now().toString(),
                dns,
                Boolean.FALSE.equals(request.masquerade()) ? Boolean.FALSE : null,
                overlay,
                pool6 == null ? null : ipv6Of(pool6));
        if (global) {
            network = cluster.createNetwork(network, request.vni());
        } else {
            network = local.createNetwork(network, request.vni());
        }
        try {
            persist(withNetwork(network), endpoints.values());
        } catch (ApiException e) {
            throw undoGlobal(network, e);
        }
        try {
            bringUp(network);
        } catch (RuntimeException e) {
            saveLive();
            throw undoGlobal(network, translateBringUp(e, overlay));
        }
        networks.put(name, network);
        pools.put(name, pool);
        if (pool6 != null) {
            pools6.put(name, pool6);
        }
        published();
        LOG.log(
                System.Logger.Level.INFO,
                "created {0} network {1} {2} gateway {3}{4}",
                network.scope(),
                name,
                subnet,
                network.gateway(),
                pool6 == null ? "" : ", " + pool6.subnet() + " gateway " + Ipv6Cidr.format(pool6.gateway()));
        return network;
    }

    /** Takes a global network that could not be brought up here back out of the cluster; returns {@code e}. */
    private RuntimeException undoGlobal(NetworkRecord network, RuntimeException e) {
        if (network.clusterWide()) {
            try {
                cluster.removeNetwork(network, List.of());
            } catch (RuntimeException undo) {
                e.addSuppressed(undo);
            }
        }
        return e;
    }

    private static RuntimeException translateBringUp(RuntimeException failure, OverlayRecord overlay) {
        try {
            throw failure;
        } catch (ApiException e) {
            return e;
        } catch (IllegalStateException e) {
            return ApiException.conflict(e.getMessage());
        } catch (RuntimeException e) {
            // The tunnel's socket could not be bound (no such local address, port in use).
            if (overlay == null) {
                return e;
            }
            return ApiException.badRequest(e.getMessage());
        }
    }

    public synchronized void removeNetwork(String name) {
        final NetworkRecord network = requireNetwork(name);
        final List<String> members =
                endpointsOn(name).stream().map(EndpointRecord::name).toList();
        if (network.clusterWide()) {
            // refused, naming every host with endpoints on it (this one too), while any host has some
            cluster.removeNetwork(network, members);
        } else {
            local.removeNetwork(network, members);
        }
        if (!members.isEmpty()) {
            throw ApiException.conflict("network " + name + " has " + members.size() + " attached endpoint"
                    + (members.size() == 1 ? "" : "s") + " (" + String.join(", ", members) + "): detach them first");
        }
        tearDown(network);
    }

    private void tearDown(NetworkRecord network) {
        final String name = network.name();
        persist(networks.values().stream().filter(n -> !n.name().equals(name)).toList(), endpoints.values());
        overlays.close(name);
        Dataplane.await(dataplane.removeNetwork(network.dataplaneId()));
        for (NetworkEvents listener : listeners) {
            listener.networkRemoved(network);
        }
        networks.remove(name);
        pools.remove(name);
        pools6.remove(name);
        published();
        LOG.log(System.Logger.Level.INFO, "removed network {0}", name);
    }

    // ---- overlay networks --------------------------------------------------------------------

    public synchronized NetworkRecord addPeer(String name, String peerText) {
        final NetworkRecord network = requireOverlay(name);
        final String peer = UnderlayAddress.canonical(peerText, "peer"); // ipv6-underlay: either family
        UnderlayAddress.requireSameFamily(network.overlay().local(), peer);
        if (network.overlay().peers().contains(peer)) {
            throw ApiException.conflict(peer + " is already a peer of network " + name);
        }
        if (peer.equals(network.overlay().local())) {
            throw ApiException.badRequest(peer + " is this host's own underlay address (--local), not a peer");
        }
        if (network.overlay().peers().size() >= VtepContext.MAX_PEER_LIMIT) {
            throw ApiException.conflict(
                    "network " + name + " has " + network.overlay().peers().size() + " peers, the limit");
        }
        final List<String> peers = new ArrayList<>(network.overlay().peers());
        peers.add(peer);
        final NetworkRecord updated = network.withOverlay(network.overlay().withPeers(peers));
        persist(withNetwork(updated), endpoints.values());
        if (overlays.isOpen(name)) {
            try {
                overlays.addPeer(name, UnderlayAddress.parse(peer));
            } catch (IllegalStateException | IllegalArgumentException e) {
                saveLive();
                throw ApiException.conflict(e.getMessage());
            }
        }
        networks.put(name, updated);
        published();
        LOG.log(System.Logger.Level.INFO, "network {0}: peer {1} added", name, peer);
        return updated;
    }

    public synchronized NetworkRecord removePeer(String name, String peerText) {
        final NetworkRecord network = requireOverlay(name);
        final String peer = UnderlayAddress.canonical(peerText, "peer"); // ipv6-underlay: either family
        if (!network.overlay().peers().contains(peer)) {
            throw ApiException.notFound(peer + " is not a peer of network " + name
                    + (network.overlay().peers().isEmpty()
                            ? " (it has none)"
                            : " (peers: " + String.join(", ", network.overlay().peers()) + ")"));
        }
        final List<String> peers = new ArrayList<>(network.overlay().peers());
        peers.remove(peer);
        final NetworkRecord updated = network.withOverlay(network.overlay().withPeers(peers));
        persist(withNetwork(updated), endpoints.values());
        if (overlays.isOpen(name)) {
            overlays.removePeer(name, UnderlayAddress.parse(peer));
        }
        networks.put(name, updated);
        published();
        LOG.log(System.Logger.Level.INFO, "network {0}: peer {1} removed", name, peer);
        return updated;
    }

    /** The tunnel's live figures, or null for a network that is not an overlay. */
    public synchronized OverlayView overlayView(NetworkRecord network) {
        return network.spansHosts() ? overlays.view(network) : null;
    }

    /** Remote MACs of an overlay network with the VTEP each sits behind (empty for other networks). */
    public List<TunnelPort.RemoteMac> remoteFdb(String name) {
        synchronized (this) {
            if (!requireNetwork(name).spansHosts()) {
                return List.of();
            }
        }
        return overlays.remoteMacs(name);
    }

    /** Closes the underlay sockets (daemon shutdown). */
    public synchronized void closeOverlays() {
        overlays.close();
    }

    private NetworkRecord requireOverlay(String name) {
        final NetworkRecord network = requireNetwork(name);
        if (!network.spansHosts()) {
            throw ApiException.badRequest("network " + name + " is not an overlay network (--driver overlay)");
        }
        if (network.clusterWide()) {
            throw ApiException.badRequest("network " + name
                    + " is global: its peers are the cluster store's live hosts (see jvs cluster hosts)");
        }
        return network;
    }

    /** A global network's VXLAN side: this host's advertised address, the cluster's port; VNI chosen by the store. */
    private OverlayRecord globalOverlayOf(CreateNetworkRequest request) {
        if (request.ipRange() != null || request.auxAddresses() != null) {
            throw ApiException.badRequest("--ip-range and --aux-address do not apply to a global network:"
                    + " each host takes addresses from its own blocks of the subnet");
        }
        if (request.vxlanPort() != null && request.vxlanPort() != cluster.vxlanPort()) {
            throw ApiException.badRequest("a global network uses the cluster's VXLAN port " + cluster.vxlanPort()
                    + " (--cluster-advertise ADDRESS:PORT sets it)");
        }
        if (request.vni() != null && (request.vni() < 1 || request.vni() > VxlanHeader.MAX_VNI)) {
            throw ApiException.badRequest(
                    "invalid VNI " + request.vni() + ": must be within 1.." + VxlanHeader.MAX_VNI);
        }
        final int ttl = request.ttl() == null ? 64 : request.ttl();
        if (ttl < 1 || ttl > 255) {
            throw ApiException.badRequest("invalid TTL " + ttl + ": must be within 1..255");
        }
        return new OverlayRecord(0, cluster.advertiseAddress(), cluster.vxlanPort(), ttl, List.of(), true);
    }

    private OverlayRecord overlayOf(CreateNetworkRequest request) {
        if (request.local() == null) {
            throw ApiException.badRequest("--local (this host's underlay address) is required for --driver overlay");
        }
        final String local = UnderlayAddress.canonical(request.local(), "local address"); // ipv6-underlay
        final int vni;
        if (request.vni() == null) {
            int candidate = FIRST_VNI;
            while (vniOwner(candidate) != null) {
                candidate++;
            }
            vni = candidate;
        } else {
            vni = request.vni();
            if (vni < 1 || vni > VxlanHeader.MAX_VNI) {
                throw ApiException.badRequest("invalid VNI " + vni + ": must be within 1.." + VxlanHeader.MAX_VNI);
            }
            final String owner = vniOwner(vni);
            if (owner != null) {
                throw ApiException.conflict("VNI " + vni + " is already used by network " + owner);
            }
        }
        final int port = request.vxlanPort() == null ? VxlanHeader.DEFAULT_PORT : request.vxlanPort();
        if (port < 1 || port > 65_535) {
            throw ApiException.badRequest("invalid VXLAN port " + port + ": must be within 1..65535");
        }
        final int ttl = request.ttl() == null ? 64 : request.ttl();
        if (ttl < 1 || ttl > 255) {
            throw ApiException.badRequest("invalid TTL " + ttl + ": must be within 1..255");
        }
        final List<String> peers = new ArrayList<>();
        for (String text : request.peers() == null ? List.<String>of() : request.peers()) {
            final String peer = UnderlayAddress.canonical(text, "peer"); // ipv6-underlay: either family
            UnderlayAddress.requireSameFamily(local, peer);
            if (peer.equals(local)) {
                throw ApiException.badRequest("peer " + peer + " is this host's own underlay address (--local)");
            }
            if (peers.contains(peer)) {
                throw ApiException.badRequest("peer " + peer + " is given twice");
            }
            peers.add(peer);
        }
        if (peers.size() > VtepContext.MAX_PEER_LIMIT) {
            throw ApiException.badRequest(peers.size() + " peers: at most " + VtepContext.MAX_PEER_LIMIT);
        }
        return new OverlayRecord(vni, local, port, ttl, peers);
    }

    private String vniOwner(int vni) {
        for (NetworkRecord other : networks.values()) {
            if (other.spansHosts() && other.overlay().vni() == vni) {
                return other.name();
            }
        }
        return null;
    }

    public synchronized List<NetworkRecord> networks() {
        return List.copyOf(networks.values());
    }

    public synchronized NetworkRecord network(String name) {
        return requireNetwork(name);
    }

    public synchronized List<EndpointRecord> endpointsOn(String network) {
        return endpoints.values().stream()
                .filter(e -> e.network().equals(network))
                .toList();
    }

    public synchronized List<EndpointRecord> endpoints() {
        return List.copyOf(endpoints.values());
    }

    public NetworkStats networkStats(String name) {
        final int id;
        synchronized (this) {
            id = requireNetwork(name).dataplaneId();
        }
        return Dataplane.await(dataplane.networkStats(id));
    }

    public List<FdbEntry> fdb(String name) {
        final int id;
        synchronized (this) {
            id = requireNetwork(name).dataplaneId();
        }
        return Dataplane.await(dataplane.fdb(id));
    }

    public List<PortStats> portStats() {
        return Dataplane.await(dataplane.portStats());
    }

    // ---- endpoints ---------------------------------------------------------------------------

    public synchronized EndpointRecord attach(AttachRequest request) {
        if (request.network() == null) {
            throw ApiException.badRequest("network is required");
        }
        final NetworkRecord network = requireNetwork(request.network());
        final ContainerRef container = request.container();
        if (container == null || container.kind() == null || container.value() == null) {
            throw ApiException.badRequest("say which container: --netns NAME, --pid PID or --docker NAME");
        }
        final String name =
                Names.requireValid("endpoint", request.name() != null ? request.name() : defaultName(container));
        final List<String> aliases = request.aliases() == null
                ? List.of()
                : request.aliases().stream().distinct().toList();
        if (aliases.size() > MAX_ALIASES) {
            throw ApiException.badRequest("too many aliases (" + aliases.size() + "): at most " + MAX_ALIASES);
        }
        aliases.forEach(alias -> Names.requireValid("alias", alias));
        for (EndpointRecord other : endpointsOn(network.name())) {
            if (other.name().equals(name)) {
                throw ApiException.conflict("an endpoint named " + name + " is already on network " + network.name());
            }
        }
        final ResolvedNamespace namespace;
        try {
            namespace = wiring.namespaceOf(container);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        // By the namespace itself, not by how it was named: --netns, --pid and --docker may name the same one.
        for (EndpointRecord other : endpointsOn(network.name())) {
            if (sameContainer(other, container, namespace)) {
                throw ApiException.conflict(
                        container + " is already attached to network " + network.name() + " as " + other.name());
            }
        }
        final Set<String> reservedNames = endpoints.values().stream()
                .filter(e -> sameContainer(e, container, namespace))
                .map(EndpointRecord::ifname)
                .collect(Collectors.toSet());
        final String ifname = request.ifname() != null
                ? Names.requireInterfaceName(request.ifname())
                : wiring.nextInterfaceName(namespace, reservedNames);
        if (reservedNames.contains(ifname)) {
            throw ApiException.conflict(
                    "the container already has " + ifname + " from jvs (choose another with --ifname)");
        }

        final AddressPool pool = pools.get(network.name());
        final Ipv6Pool pool6 = pools6.get(network.name());
        if (pool6 == null && request.ip6() != null) {
            throw ApiException.badRequest("network " + network.name() + " has no IPv6 (create it with --ipv6)");
        }
        final Long requestedMac = request.mac() != null ? parseMac(request.mac()) : null;
        final int ip = scopeOf(network)
                .claimEndpoint(
                        network,
                        pool,
                        new NetworkScope.EndpointClaim(name, parseIp(request.ip()), requestedMac, aliases));
        BigInteger ip6 = null;
        boolean done = false;
        try {
            ip6 = pool6 == null ? null : takeAddress6(pool6, request.ip6());
            final long mac = requestedMac != null ? requestedMac : EndpointMac.derive(ip);
            final String id = newId();
            if (request.ports() != null && !request.ports().isEmpty() && nat == null) {
                throw ApiException.badRequest("this daemon publishes no ports (it runs without a host link)");
            }
            // Listeners first: a port in use refuses the attach before anything is created.
            final List<PortMapping> ports = nat == null ? List.of() : nat.publish(id, Cidr.format(ip), request.ports());
            final EndpointRecord endpoint = new EndpointRecord(
                    id,
                    name,
                    network.name(),
                    container,
                    ifname,
                    MacAddress.format(mac),
                    Cidr.format(ip),
                    Instant.now().toString(),
                    Boolean.TRUE.equals(request.allowSpoofing()),
                    aliases,
                    ports,
                    ip6 == null ? null : Ipv6Cidr.format(ip6));
            final Port port;
            try {
                // Saved before the container's interface exists: an attach that cannot be saved
                // creates nothing, and a daemon killed half-way finds the endpoint in its state
                // (and takes back or forgets its device) instead of leaving it unknown.
                final List<EndpointRecord> next = new ArrayList<>(endpoints.values());
                next.add(endpoint);
                persist(networks.values(), next);
                try {
                    port = wiring.create(planFor(network, endpoint, namespace));
                    try {
                        plug(network, endpoint, port, namespace);
                    } catch (RuntimeException e) {
                        wiring.release(port);
                        port.close();
                        throw e;
                    }
                } catch (RuntimeException e) {
                    saveLive();
                    throw e;
                }
            } catch (RuntimeException e) {
                if (nat != null) {
                    nat.unpublish(id);
                }
                throw e;
            }
            endpoints.put(endpoint.id(), endpoint);
            published();
            tellAdded(network, endpoint);
            done = true;
            LOG.log(
                    System.Logger.Level.INFO,
                    "attached {0} ({1}) to {2} as {3} {4} {5}",
                    name,
                    container,
                    network.name(),
                    ifname,
                    endpoint.ipv4() + (endpoint.ipv6() == null ? "" : " " + endpoint.ipv6()),
                    endpoint.mac());
            return endpoint;
        } finally {
            if (!done) {
                scopeOf(network).releaseEndpoint(network, pool, name, Cidr.format(ip));
                if (ip6 != null) {
                    pool6.release(ip6);
                }
            }
        }
    }

    /** Detaches the named endpoint from one network, or from every network it is on. */
    public synchronized List<EndpointRecord> detach(String name, String networkName) {
        if (networkName != null) {
            requireNetwork(networkName);
        }
        final List<EndpointRecord> matches = endpoints.values().stream()
                .filter(e -> e.name().equals(name)
                        && (networkName == null || e.network().equals(networkName)))
                .toList();
        if (matches.isEmpty()) {
            throw ApiException.notFound(
                    "no endpoint named " + name + (networkName == null ? "" : " on network " + networkName));
        }
        requireOneContainer(name, matches);
        persist(
                networks.values(),
                endpoints.values().stream().filter(e -> !matches.contains(e)).toList());
        final List<Attached> left = new ArrayList<>();
        for (EndpointRecord endpoint : matches) {
            final Attached live = attached.remove(endpoint.id());
            if (live != null) {
                wiring.release(live.port());
                Dataplane.await(dataplane.unplug(live.slot()));
                slotNames.remove(live.slot());
                final NetworkRecord network = networks.get(endpoint.network());
                if (network != null && !network.internal()) {
                    left.add(live); // it may have carried the container's default route
                }
            }
            forget(endpoint);
            LOG.log(System.Logger.Level.INFO, "detached {0} from {1}", endpoint.name(), endpoint.network());
        }
        published();
        for (Attached live : left) {
            restoreDefaultRoute(live.namespace());
        }
        return matches;
    }

    /**
     * An endpoint name is unique per network only: the same name on two networks may be two
     * different containers, and a command acting on "all of them" would hit a container it was not
     * meant for. Several networks of one container are fine (detach NAME leaves all of them).
     */
    private void requireOneContainer(String name, List<EndpointRecord> matches) {
        final EndpointRecord first = matches.getFirst();
        final Attached firstLive = attached.get(first.id());
        for (EndpointRecord other : matches) {
            if (!sameContainer(other, first.target(), firstLive == null ? null : firstLive.namespace())) {
                throw ApiException.badRequest(
                        "endpoint name " + name + " is ambiguous: it names different containers on networks "
                                + matches.stream().map(EndpointRecord::network).collect(Collectors.joining(", "))
                                + ": say which with --network");
            }
        }
    }

    /** Whether {@code endpoint} is in the container named {@code container}, found as {@code namespace} (may be null). */
    private boolean sameContainer(EndpointRecord endpoint, ContainerRef container, ResolvedNamespace namespace) {
        if (endpoint.target().equals(container)) {
            return true;
        }
        if (container.kind() == ContainerRef.Kind.DOCKER_SANDBOX
                || endpoint.target().kind() == ContainerRef.Kind.DOCKER_SANDBOX) {
            // Docker names the sandbox, and its TAP is made in the daemon's own namespace before Docker
            // moves it: the namespace says nothing of which container a sandbox endpoint is in.
            return false;
        }
        final Attached live = attached.get(endpoint.id());
        return namespace != null
                && namespace.inode() >= 0
                && live != null
                && live.namespace().inode() == namespace.inode();
    }

    /**
     * After a detach took an interface that may have carried the container's default route (one on
     * a network with a way out), the route went with it: give the container the default route of
     * the first such network it is still on (the wiring does nothing when it still has one).
     */
    private void restoreDefaultRoute(ResolvedNamespace namespace) {
        for (EndpointRecord other : endpoints.values()) {
            final Attached live = attached.get(other.id());
            if (live == null || live.namespace().inode() != namespace.inode() || !namespace.stillExists()) {
                continue;
            }
            final NetworkRecord network = networks.get(other.network());
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

    /**
     * Publishes ports of an endpoint already attached, replacing the ones it had: how Docker's
     * {@code -p} arrives, after the join ({@code ProgramExternalConnectivity}).
     *
     * @param specs {@code -p} arguments; empty to publish nothing
     */
    public synchronized EndpointRecord publish(String name, String networkName, List<String> specs) {
        final EndpointRecord endpoint = endpoint(name, networkName);
        if (nat == null) {
            if (specs.isEmpty()) {
                return endpoint;
            }
            throw ApiException.badRequest("this daemon publishes no ports (it runs without a host link)");
        }
        final NetworkRecord network = requireNetwork(endpoint.network());
        nat.unpublish(endpoint.id());
        List<PortMapping> ports;
        try {
            ports = nat.publish(endpoint.id(), endpoint.ipv4(), specs);
        } catch (RuntimeException e) {
            // the old ports come back, so a refused change changes nothing
            nat.publish(
                    endpoint.id(),
                    endpoint.ipv4(),
                    endpoint.ports().stream().map(PortMapping::spec).toList());
            throw e;
        }
        final EndpointRecord updated = endpoint.withPorts(ports);
        final Map<String, EndpointRecord> next = new LinkedHashMap<>(endpoints);
        next.put(updated.id(), updated);
        try {
            persist(networks.values(), next.values());
        } catch (ApiException e) {
            nat.unpublish(endpoint.id());
            nat.publish(
                    endpoint.id(),
                    endpoint.ipv4(),
                    endpoint.ports().stream().map(PortMapping::spec).toList());
            throw e;
        }
        endpoints.put(updated.id(), updated);
        nat.endpointAdded(network, updated);
        published();
        LOG.log(System.Logger.Level.INFO, "endpoint {0} on {1}: published {2}", name, network.name(), ports);
        return updated;
    }

    /** The dataplane found a port's device gone (its namespace was deleted): forget the endpoint. */
    public synchronized void portGone(int slot) {
        attached.entrySet().stream()
                .filter(e -> e.getValue().slot() == slot)
                .findFirst()
                .ifPresent(entry -> {
                    attached.remove(entry.getKey());
                    slotNames.remove(slot);
                    final EndpointRecord endpoint = endpoints.get(entry.getKey());
                    if (endpoint != null && comesBack(endpoint)) {
                        tellRemoved(endpoint);
                        park(endpoint, "its container stopped (namespace deleted)");
                    } else if (endpoint != null) {
                        forget(endpoint);
                        saveLive();
                        published();
                        LOG.log(
                                System.Logger.Level.INFO,
                                "endpoint {0} on {1} is gone (its namespace was deleted): removed",
                                endpoint.name(),
                                endpoint.network());
                    }
                });
    }

    /**
     * Removes endpoints whose container namespace no longer exists. The dataplane sees most such
     * deaths itself (the device vanishes), but a TAP re-opened after a restart keeps its namespace
     * alive, and a namespace can be deleted and re-created under the same name: this catches both.
     */
    public synchronized int reapVanished() {
        final List<String> vanished = attached.entrySet().stream()
                .filter(e -> !e.getValue().namespace().stillExists())
                .map(Map.Entry::getKey)
                .toList();
        for (String id : vanished) {
            final Attached live = attached.remove(id);
            wiring.release(live.port());
            Dataplane.await(dataplane.unplug(live.slot()));
            slotNames.remove(live.slot());
            final EndpointRecord endpoint = endpoints.get(id);
            if (endpoint != null && comesBack(endpoint)) {
                tellRemoved(endpoint);
                park(endpoint, "its container stopped (namespace gone)");
            } else if (endpoint != null) {
                forget(endpoint);
                LOG.log(
                        System.Logger.Level.INFO,
                        "endpoint {0} on {1} is gone (its namespace was deleted): removed",
                        endpoint.name(),
                        endpoint.network());
            }
        }
        if (!vanished.isEmpty()) {
            saveLive();
            published();
        }
        return vanished.size();
    }

    // ---- global networks, as the cluster store says (control thread) ----------------------------

    /** The network of that name here, or null. */
    public synchronized NetworkRecord networkOrNull(String name) {
        return networks.get(name);
    }

    /** Builds a global network another host created (or this host before a restart), with a local dataplane id. */
    public synchronized NetworkRecord adoptGlobalNetwork(NetworkRecord template) {
        if (networks.containsKey(template.name())) {
            throw ApiException.conflict("a network named " + template.name() + " already exists on this host");
        }
        final Cidr subnet = Cidr.parse(template.subnet());
        for (NetworkRecord other : networks.values()) {
            if (Cidr.parse(other.subnet()).overlaps(subnet)) {
                throw ApiException.conflict("subnet " + subnet + " overlaps network " + other.name() + " ("
                        + other.subnet() + ") on this host");
            }
        }
        final int dataplaneId = networks.values().stream()
                        .mapToInt(NetworkRecord::dataplaneId)
                        .max()
                        .orElse(0)
                + 1;
        final NetworkRecord network = new NetworkRecord(
                template.id(),
                dataplaneId,
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
                template.overlay());
        final AddressPool pool = poolOf(network);
        persist(withNetwork(network), endpoints.values());
        try {
            bringUp(network);
        } catch (RuntimeException e) {
            saveLive();
            throw e;
        }
        networks.put(network.name(), network);
        pools.put(network.name(), pool);
        published();
        LOG.log(
                System.Logger.Level.INFO,
                "global network {0} ({1}, VNI {2}) from the cluster store",
                network.name(),
                network.subnet(),
                network.overlay().vni());
        return network;
    }

    /**
     * Removes a global network the store no longer has; returns false (and keeps it) while this
     * host still has endpoints on it.
     */
    public synchronized boolean dropGlobalNetwork(String name) {
        final NetworkRecord network = networks.get(name);
        if (network == null || !network.clusterWide()) {
            return true;
        }
        if (!endpointsOn(name).isEmpty()) {
            return false;
        }
        tearDown(network);
        return true;
    }

    /** Live peer change on a global network's tunnel; false when the tunnel is not open. */
    public synchronized boolean overlayPeer(String networkName, int vtep, boolean present) {
        if (!overlays.isOpen(networkName)) {
            return false;
        }
        try {
            if (present) {
                overlays.addPeer(networkName, vtep);
            } else {
                overlays.removePeer(networkName, vtep);
            }
        } catch (IllegalStateException e) {
            // already so
        }
        return true;
    }

    /**
     * A remote endpoint of a global network, programmed from the store: its address answered by
     * proxy-ARP here, its MAC sent to {@code vtep} without waiting to learn it. {@code vtep} 0
     * removes both.
     */
    public synchronized void remoteEndpoint(String networkName, int ip, long mac, int vtep) {
        final NetworkRecord network = networks.get(networkName);
        if (network == null) {
            return;
        }
        if (vtep != 0) {
            Dataplane.await(dataplane.programRemoteAddress(network.dataplaneId(), ip, mac));
        } else {
            Dataplane.await(dataplane.forgetRemoteAddress(network.dataplaneId(), ip, mac));
        }
        overlays.programMac(networkName, mac, vtep);
    }

    // ---- lookups for the debugging tools -------------------------------------------------------

    /** The endpoint name behind a dataplane slot, or null. Safe from any thread. */
    public String nameOfSlot(int slot) {
        return slotNames.get(slot);
    }

    /** The dataplane slots of the endpoint named {@code name}, on one network or on all it is on. */
    public synchronized int[] slotsOf(String name, String networkName) {
        if (networkName != null) {
            requireNetwork(networkName);
        }
        final List<EndpointRecord> matches = endpoints.values().stream()
                .filter(e -> e.name().equals(name)
                        && (networkName == null || e.network().equals(networkName)))
                .toList();
        if (matches.isEmpty()) {
            throw ApiException.notFound(
                    "no endpoint named " + name + (networkName == null ? "" : " on network " + networkName));
        }
        requireOneContainer(name, matches);
        final int[] slots = matches.stream()
                .map(e -> attached.get(e.id()))
                .filter(Objects::nonNull)
                .mapToInt(Attached::slot)
                .toArray();
        if (slots.length == 0) {
            throw ApiException.conflict("endpoint " + name + " is not plugged into the dataplane");
        }
        return slots;
    }

    /** The one endpoint named {@code name} (on {@code networkName} if given); ambiguity is an error. */
    public synchronized EndpointRecord endpoint(String name, String networkName) {
        final List<EndpointRecord> matches = endpoints.values().stream()
                .filter(e -> e.name().equals(name)
                        && (networkName == null || e.network().equals(networkName)))
                .toList();
        if (matches.isEmpty()) {
            throw ApiException.notFound(
                    "no endpoint named " + name + (networkName == null ? "" : " on network " + networkName));
        }
        if (matches.size() > 1) {
            throw ApiException.badRequest(name + " is on " + matches.size() + " networks ("
                    + matches.stream().map(EndpointRecord::network).collect(Collectors.joining(", "))
                    + "): say which with --network");
        }
        return matches.getFirst();
    }

    public synchronized int slotOf(EndpointRecord endpoint) {
        final Attached live = attached.get(endpoint.id());
        if (live == null) {
            throw ApiException.conflict("endpoint " + endpoint.name() + " is not plugged into the dataplane");
        }
        return live.slot();
    }

    /** The dataplane slot of an overlay network's tunnel port (jvs capture vxlan:NETWORK). */
    public synchronized int tunnelSlotOf(String networkName) {
        final NetworkRecord network = requireNetwork(networkName);
        if (!network.spansHosts()) {
            throw ApiException.badRequest(
                    "network " + networkName + " has no tunnel port: it is not an overlay network");
        }
        final int slot = overlays.slotOf(networkName);
        if (slot < 0) {
            throw ApiException.conflict("the tunnel port of network " + networkName + " is not open");
        }
        return slot;
    }

    public synchronized int dataplaneIdOf(String networkName) {
        return requireNetwork(networkName).dataplaneId();
    }

    /** Every network's figures, for jvs stats and the metrics endpoint. */
    public Map<String, NetworkStats> allNetworkStats() {
        final Map<String, Integer> ids = new LinkedHashMap<>();
        synchronized (this) {
            networks.values().forEach(n -> ids.put(n.name(), n.dataplaneId()));
        }
        final Map<String, NetworkStats> stats = new LinkedHashMap<>();
        ids.forEach((name, id) -> stats.put(name, Dataplane.await(dataplane.networkStats(id))));
        return stats;
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Listeners learn of an endpoint; one that fails is logged, not allowed to undo the attach. */
    private void tellAdded(NetworkRecord network, EndpointRecord endpoint) {
        for (NetworkEvents listener : listeners) {
            try {
                listener.endpointAdded(network, endpoint);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "after attaching {0}: {1}", endpoint.name(), e.getMessage());
            }
        }
    }

    private void forget(EndpointRecord endpoint) {
        endpoints.remove(endpoint.id());
        waiting.remove(endpoint.id());
        tellRemoved(endpoint);
        final NetworkRecord network = networks.get(endpoint.network());
        final AddressPool pool = pools.get(endpoint.network());
        if (network != null && pool != null) {
            if (network.clusterWide() && cluster == null) {
                pool.release(Cidr.parseAddress(endpoint.ipv4())); // a global network kept from a cluster run
            } else {
                scopeOf(network).releaseEndpoint(network, pool, endpoint.name(), endpoint.ipv4());
            }
        }
        final Ipv6Pool pool6 = pools6.get(endpoint.network());
        if (pool6 != null && endpoint.ipv6() != null) {
            pool6.release(Ipv6Cidr.parseAddress(endpoint.ipv6(), "ipv6"));
        }
    }

    /** Listeners forget the endpoint (its ports close, its names go) while the service may keep it. */
    private void tellRemoved(EndpointRecord endpoint) {
        for (NetworkEvents listener : listeners) {
            try {
                listener.endpointRemoved(endpoint);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "after removing {0}: {1}", endpoint.name(), e.getMessage());
            }
        }
    }

    private void plug(NetworkRecord network, EndpointRecord endpoint, Port port, ResolvedNamespace namespace) {
        final int slot = Dataplane.await(dataplane.plug(
                network.dataplaneId(),
                port,
                MacAddress.parse(endpoint.mac()),
                Cidr.parseAddress(endpoint.ipv4()),
                endpoint.allowSpoofing() ? PortSecurity.ALLOW_SPOOFING : PortSecurity.ENFORCE));
        attached.put(endpoint.id(), new Attached(slot, port, namespace));
        slotNames.put(slot, endpoint.name());
        if (endpoint.ipv6() != null) {
            final BigInteger ip6 = Ipv6Cidr.parseAddress(endpoint.ipv6(), "ipv6");
            Dataplane.await(dataplane.assignIpv6(slot, Ipv6Cidr.high(ip6), Ipv6Cidr.low(ip6)));
        }
        Dataplane.await(dataplane.announce(slot));
    }

    private EndpointPlan planFor(NetworkRecord network, EndpointRecord endpoint, ResolvedNamespace namespace) {
        final int prefix = Cidr.parse(network.subnet()).prefixLength();
        return new EndpointPlan(
                endpoint.name(),
                namespace,
                endpoint.ifname(),
                endpoint.mac(),
                endpoint.ipv4() + "/" + prefix,
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

    private static BigInteger takeAddress6(Ipv6Pool pool, String requested) {
        try {
            if (requested == null) {
                return pool.allocate();
            }
            final BigInteger ip = Ipv6Cidr.parseAddress(requested, "ip6");
            pool.reserve(ip);
            return ip;
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (IllegalStateException e) {
            throw ApiException.conflict(e.getMessage());
        }
    }

    /**
     * The IPv6 side of a new network, or null without {@code --ipv6}: its subnet (given, or the
     * first free default /64), gateway, ip-range and aux addresses, checked against every other
     * network's IPv6 subnet.
     */
    private Ipv6Pool ipv6PoolFor(CreateNetworkRequest request, boolean global) {
        final boolean v6Options = request.subnet6() != null
                || request.gateway6() != null
                || request.ipRange6() != null
                || (request.auxAddresses6() != null && !request.auxAddresses6().isEmpty());
        if (Boolean.FALSE.equals(request.ipv4())) {
            throw ApiException.badRequest(
                    "IPv6-only networks (--ipv4=false) are not supported yet: give --ipv6 with an IPv4 subnet too"
                            + " (or none, and one is picked)");
        }
        if (!Boolean.TRUE.equals(request.ipv6())) {
            if (v6Options) {
                throw ApiException.badRequest("an IPv6 --subnet, --gateway, --ip-range or --aux-address needs --ipv6");
            }
            return null;
        }
        if (global) {
            throw ApiException.badRequest("--ipv6 is not supported on global (cluster) networks yet");
        }
        if (request.subnet6() == null && (request.gateway6() != null || request.ipRange6() != null)) {
            throw ApiException.badRequest("an IPv6 --gateway or --ip-range needs an IPv6 --subnet");
        }
        try {
            final List<Ipv6Cidr> inUse = new ArrayList<>();
            networks.values().stream()
                    .filter(n -> n.ipv6() != null)
                    .forEach(n -> inUse.add(Ipv6Cidr.parse(n.ipv6().subnet(), "subnet")));
            final Ipv6Cidr subnet = request.subnet6() == null
                    ? DefaultIpv6Pools.pick(inUse)
                    : Ipv6Cidr.parse(request.subnet6(), "subnet");
            for (NetworkRecord other : networks.values()) {
                if (other.ipv6() != null
                        && Ipv6Cidr.parse(other.ipv6().subnet(), "subnet").overlaps(subnet)) {
                    throw ApiException.conflict("subnet " + subnet + " overlaps network " + other.name() + " ("
                            + other.ipv6().subnet() + ")");
                }
            }
            final Map<String, BigInteger> aux = new LinkedHashMap<>();
            if (request.auxAddresses6() != null) {
                request.auxAddresses6().forEach((n, a) -> aux.put(n, Ipv6Cidr.parseAddress(a, "aux-address " + n)));
            }
            return new Ipv6Pool(
                    subnet,
                    request.gateway6() == null ? null : Ipv6Cidr.parseAddress(request.gateway6(), "gateway"),
                    request.ipRange6() == null ? null : Ipv6Cidr.parse(request.ipRange6(), "ip-range"),
                    aux);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (IllegalStateException e) {
            throw ApiException.conflict(e.getMessage());
        }
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

    /** Where the network's claims are made: this host's pools, or the cluster store. */
    private NetworkScope scopeOf(NetworkRecord network) {
        if (!network.clusterWide()) {
            return local;
        }
        if (cluster == null) {
            throw new ApiException(
                    503, "network " + network.name() + " is global, and this daemon runs without --cluster-store");
        }
        return cluster;
    }

    private static Integer parseIp(String requested) {
        try {
            return requested == null ? null : Cidr.parseAddress(requested, "ip");
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private static long parseMac(String text) {
        final long mac;
        try {
            mac = MacAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid MAC address '" + text + "'");
        }
        if (MacAddress.isMulticast(mac) || mac == 0) {
            throw ApiException.badRequest("MAC address " + text + " is not a unicast address");
        }
        return mac;
    }

    private Cidr pickSubnet() {
        final List<Cidr> inUse = new ArrayList<>(hostRoutes.get());
        networks.values().forEach(n -> inUse.add(Cidr.parse(n.subnet())));
        return DefaultPools.pick(inUse);
    }

    private static AddressPool poolOf(NetworkRecord network) {
        final AddressPool.Builder builder =
                AddressPool.builder(Cidr.parse(network.subnet())).gateway(Cidr.parseAddress(network.gateway()));
        Optional.ofNullable(network.ipRange()).ifPresent(r -> builder.ipRange(Cidr.parse(r)));
        network.auxAddresses().forEach((n, a) -> builder.auxAddress(n, Cidr.parseAddress(a)));
        return builder.build();
    }

    private NetworkRecord requireNetwork(String name) {
        final NetworkRecord network = name == null ? null : networks.get(name);
        if (network == null) {
            throw ApiException.notFound("no network named " + name
                    + (networks.isEmpty() ? "" : " (networks: " + String.join(", ", networks.keySet()) + ")"));
        }
        return network;
    }

    private static String defaultName(ContainerRef container) {
        return switch (container.kind()) {
            case NETNS, DOCKER -> container.value();
            case PID -> "pid" + container.value();
            case DOCKER_SANDBOX ->
                "sandbox-" + Integer.toHexString(container.value().hashCode());
        };
    }

    /**
     * Writes the state as it will be once a change is made, before it is made: a change that cannot
     * be saved (a full disk) is refused and nothing of it is applied.
     */
    private void persist(Collection<NetworkRecord> nextNetworks, Collection<EndpointRecord> nextEndpoints) {
        try {
            store.save(new DaemonState(DaemonState.VERSION, List.copyOf(nextNetworks), List.copyOf(nextEndpoints)));
        } catch (UncheckedIOException e) {
            throw ApiException.unsaved(e.getMessage() + " (nothing was changed)");
        }
    }

    /**
     * Writes the live state: after a change failed half-way, or when the kernel changed on its own
     * (a container vanished). There is nothing to refuse then, so a failure is logged; the file then
     * holds more than is live, which the next start forgets (endpoints it cannot take back).
     */
    private void saveLive() {
        try {
            store.save(new DaemonState(
                    DaemonState.VERSION, List.copyOf(networks.values()), List.copyOf(endpoints.values())));
        } catch (UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, "state not saved: {0}", e.getMessage());
        }
    }

    /** The saved networks with {@code network} added, or replacing the one of its name. */
    private List<NetworkRecord> withNetwork(NetworkRecord network) {
        final Map<String, NetworkRecord> next = new LinkedHashMap<>(networks);
        next.put(network.name(), network);
        return List.copyOf(next.values());
    }

    /** Tells the DNS names of the live state, after each change. */
    private void published() {
        changed.accept(List.copyOf(networks.values()), List.copyOf(endpoints.values()));
    }

    /**
     * Called (under this service's lock, on the control thread) with every network and endpoint
     * after each change is saved, and after a restore: how the DNS names follow the state.
     */
    public void onChange(BiConsumer<List<NetworkRecord>, List<EndpointRecord>> listener) {
        this.changed = listener;
    }

    private static String newId() {
        final byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
