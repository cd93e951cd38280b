package io.jvswitch.control.service;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6HostRoutes;
import io.jvswitch.control.model.DaemonState;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.StateStore;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.FdbEntry;
import io.jvswitch.switching.NetworkStats;
import io.jvswitch.switching.PortStats;
import io.jvswitch.vtep.TunnelPort;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Networks and endpoints: the one door to the control plane's layers, each operation under one
 * lock. Requests are checked by {@link NetworkRequests}; networks come and go through {@link
 * NetworkLifecycle}, endpoints through {@link EndpointLifecycle} (and back after a restart through
 * {@link EndpointRecovery}); {@link OverlayPeers} keeps the tunnels' peers, {@link SlotDirectory}
 * which endpoint sits at which dataplane slot; {@link LiveState} holds and saves it all, and {@link
 * EventFanOut} tells the rest of the daemon. Every operation either completes (and is saved) or fails
 * with a {@link ControlException} and changes nothing. Operations are rare and each one is short.
 */
public final class NetworkService {
    private static final System.Logger LOG = System.getLogger("jvs.control");
    /** Most DNS aliases of one endpoint. */
    static final int MAX_ALIASES = NetworkRequests.MAX_ALIASES;

    private final Dataplane dataplane;
    private final LiveState state;
    private final EventFanOut events;
    private final SlotDirectory slots = new SlotDirectory();
    private final WaitingEndpoints waiting = new WaitingEndpoints();
    private final NetworkLifecycle networks;
    private final EndpointLifecycle endpoints;
    private final EndpointRecovery recovery;
    private final OverlayPeers peers;
    /** Published ports and NAT; null when the daemon has no host link. Also among the listeners. */
    private volatile NatService nat;

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
        this.state = new LiveState(store);
        this.events = new EventFanOut(listeners);
        this.networks = new NetworkLifecycle(state, dataplane, overlays, events, hostRoutes);
        this.endpoints = new EndpointLifecycle(state, slots, waiting, wiring, dataplane, events, () -> nat);
        this.recovery = new EndpointRecovery(state, waiting, wiring, endpoints, events);
        this.peers = new OverlayPeers(state, dataplane, overlays, events);
    }

    /** The host's IPv6 routes that a new network's IPv6 subnet must not overlap (jvs's own left out). */
    public void hostRoutes6(Supplier<List<Ipv6HostRoutes.Route>> routes) {
        networks.hostRoutes6(routes);
    }

    /** Publishing ports needs the NAT service (it is also registered as a listener for the rest). */
    public void nat(NatService service) {
        this.nat = service;
    }

    /** With a cluster store, overlay networks created without --local/--peer are global. */
    public synchronized void cluster(ClusterScope cluster) {
        state.cluster(cluster);
    }

    /**
     * Called (under this service's lock, on the control thread) with every network and endpoint
     * after each change is saved, and after a restore: how the DNS names follow the state.
     */
    public void onChange(BiConsumer<List<NetworkRecord>, List<EndpointRecord>> listener) {
        events.onChange(listener);
    }

    // ---- restart -----------------------------------------------------------------------------

    /**
     * Brings back the saved networks and the endpoints whose containers still exist, taking back
     * their persistent TAPs, and settles the attaches and detaches a crash interrupted. Endpoints
     * whose container is gone are forgotten, their addresses freed, except a Docker container's
     * ({@code attach --docker}), which waits for it ({@link #retryWaiting()}).
     */
    public synchronized void restore() {
        final DaemonState saved = state.load();
        networks.restore(saved.networks());
        final int restored = recovery.restore(saved);
        state.saveLive();
        events.published(state);
        LOG.log(
                System.Logger.Level.INFO,
                "restored {0} networks and {1} of {2} endpoints ({3} wait for their Docker container)",
                state.networks.size(),
                restored,
                saved.endpoints().size(),
                waiting.size());
    }

    /**
     * Looks again for the containers of waiting endpoints whose time has come, and attaches each one
     * found with its recorded options (name, address, MAC, aliases, published ports).
     *
     * @return how many came back
     */
    public synchronized int retryWaiting() {
        return recovery.retryWaiting();
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
        if (!waiting.dueNow(state.endpoints, name, id)) {
            return 0;
        }
        LOG.log(System.Logger.Level.INFO, "docker container {0} started: attaching it again", name);
        return recovery.retryWaiting();
    }

    /** The engines of the Docker containers endpoints are attached to (null: the docker CLI's default). */
    public synchronized Set<String> dockerEngines() {
        return recovery.dockerEngines();
    }

    /** Endpoint id to why it waits for its container, for every endpoint that does. */
    public synchronized Map<String, String> waitingReasons() {
        return waiting.reasons();
    }

    // ---- networks ----------------------------------------------------------------------------

    public synchronized NetworkRecord createNetwork(CreateNetworkRequest request) {
        return networks.create(request);
    }

    public synchronized void removeNetwork(String name) {
        networks.remove(name);
    }

    public synchronized NetworkRecord addPeer(String name, String peer) {
        return peers.add(name, peer);
    }

    public synchronized NetworkRecord removePeer(String name, String peer) {
        return peers.remove(name, peer);
    }

    /** The tunnel's live figures, or null for a network that is not an overlay. */
    public synchronized OverlayView overlayView(NetworkRecord network) {
        return peers.view(network);
    }

    /** Remote MACs of an overlay network with the VTEP each sits behind (empty for other networks). */
    public List<TunnelPort.RemoteMac> remoteFdb(String name) {
        synchronized (this) {
            if (!state.requireNetwork(name).spansHosts()) {
                return List.of();
            }
        }
        return peers.remoteMacs(name);
    }

    /** Closes the underlay sockets (daemon shutdown). */
    public synchronized void closeOverlays() {
        peers.closeAll();
    }

    public synchronized List<NetworkRecord> networks() {
        return List.copyOf(state.networks.values());
    }

    public synchronized NetworkRecord network(String name) {
        return state.requireNetwork(name);
    }

    public synchronized List<EndpointRecord> endpointsOn(String network) {
        return state.endpointsOn(network);
    }

    public synchronized List<EndpointRecord> endpoints() {
        return List.copyOf(state.endpoints.values());
    }

    public NetworkStats networkStats(String name) {
        return Dataplane.await(dataplane.networkStats(dataplaneIdOf(name)));
    }

    public List<FdbEntry> fdb(String name) {
        return Dataplane.await(dataplane.fdb(dataplaneIdOf(name)));
    }

    public List<PortStats> portStats() {
        return Dataplane.await(dataplane.portStats());
    }

    /** Every network's figures, for jvs stats and the metrics endpoint. */
    public Map<String, NetworkStats> allNetworkStats() {
        final Map<String, Integer> ids = new LinkedHashMap<>();
        synchronized (this) {
            state.networks.values().forEach(n -> ids.put(n.name(), n.dataplaneId()));
        }
        final Map<String, NetworkStats> stats = new LinkedHashMap<>();
        ids.forEach((name, id) -> stats.put(name, Dataplane.await(dataplane.networkStats(id))));
        return stats;
    }

    // ---- endpoints ---------------------------------------------------------------------------

    public synchronized EndpointRecord attach(AttachRequest request) {
        return endpoints.attach(request);
    }

    /** Detaches the named endpoint from one network, or from every network it is on. */
    public synchronized List<EndpointRecord> detach(String name, String networkName) {
        return endpoints.detach(name, networkName);
    }

    /**
     * Publishes ports of an endpoint already attached, replacing the ones it had: how Docker's
     * {@code -p} arrives, after the join ({@code ProgramExternalConnectivity}).
     *
     * @param specs {@code -p} arguments; empty to publish nothing
     */
    public synchronized EndpointRecord publish(String name, String networkName, List<String> specs) {
        return new PortPublishing(state, events, nat).publish(state.endpoint(name, networkName), specs);
    }

    /** The dataplane found a port's device gone (its namespace was deleted): forget the endpoint. */
    public synchronized void portGone(int slot) {
        endpoints.portGone(slot);
    }

    /**
     * Removes endpoints whose container namespace no longer exists. The dataplane sees most such
     * deaths itself (the device vanishes), but a TAP re-opened after a restart keeps its namespace
     * alive, and a namespace can be deleted and re-created under the same name: this catches both.
     */
    public synchronized int reapVanished() {
        return endpoints.reapVanished();
    }

    // ---- global networks, as the cluster store says (control thread) ----------------------------

    /** The network of that name here, or null. */
    public synchronized NetworkRecord networkOrNull(String name) {
        return state.networks.get(name);
    }

    /** Builds a global network another host created (or this host before a restart), with a local dataplane id. */
    public synchronized NetworkRecord adoptGlobalNetwork(NetworkRecord template) {
        return networks.adoptGlobal(template);
    }

    /**
     * Removes a global network the store no longer has; returns false (and keeps it) while this
     * host still has endpoints on it.
     */
    public synchronized boolean dropGlobalNetwork(String name) {
        return networks.dropGlobal(name);
    }

    /** Live peer change on a global network's tunnel; false when the tunnel is not open. */
    public synchronized boolean overlayPeer(String networkName, InetAddress vtep, boolean present) {
        return peers.clusterPeer(networkName, vtep, present);
    }

    /**
     * A remote endpoint of a global network, programmed from the store: its address answered by
     * proxy-ARP here, its IPv6 address ({@code ip6}, null without) by proxy-NDP, its MAC sent to
     * the VTEP at {@code vtep} without waiting to learn it. {@code vtep} null removes them.
     */
    public synchronized void remoteEndpoint(String networkName, int ip, BigInteger ip6, long mac, InetAddress vtep) {
        peers.remoteEndpoint(networkName, ip, ip6, mac, vtep);
    }

    // ---- lookups for the debugging tools -------------------------------------------------------

    /** The endpoint name behind a dataplane slot, or null. Safe from any thread. */
    public String nameOfSlot(int slot) {
        return slots.nameOfSlot(slot);
    }

    /** The dataplane slots of the endpoint named {@code name}, on one network or on all it is on. */
    public synchronized int[] slotsOf(String name, String networkName) {
        return slots.slotsOf(name, state.named(name, networkName));
    }

    /** The one endpoint named {@code name} (on {@code networkName} if given); ambiguity is an error. */
    public synchronized EndpointRecord endpoint(String name, String networkName) {
        return state.endpoint(name, networkName);
    }

    public synchronized int slotOf(EndpointRecord endpoint) {
        return slots.slotOf(endpoint);
    }

    /** The dataplane slot of an overlay network's tunnel port (jvs capture vxlan:NETWORK). */
    public synchronized int tunnelSlotOf(String networkName) {
        return peers.tunnelSlotOf(networkName);
    }

    public synchronized int dataplaneIdOf(String networkName) {
        return state.requireNetwork(networkName).dataplaneId();
    }
}
