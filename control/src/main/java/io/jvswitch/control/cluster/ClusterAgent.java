package io.jvswitch.control.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.StateFile;
import io.jvswitch.control.model.StateStore;
import io.jvswitch.control.service.ClusterScope;
import io.jvswitch.control.service.NetworkService;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;

/**
 * This host's member of the cluster, made of one part per job: its registration and the lease's
 * keep-alive ({@link ClusterMembership}), the view of the store kept by one read and one watch and
 * applied to the dataplane ({@link ClusterSync}, {@link ClusterDataplane}), the cluster-wide claims
 * for global networks ({@link GlobalNetworkClaims}, {@link EndpointClaims} with {@link
 * AddressBlocks}), the re-publication of this host's endpoints ({@link ClusterPublication}) and the
 * host roster ({@link ClusterRoster}), and the copy of this host's saved state in the store
 * ({@link ClusterStateStore}, {@link StateMirror}).
 *
 * <p>Threads: every read and change of the view, every claim and every change to the dataplane
 * runs on the control thread (the one that serializes the API); the watch thread hands its deltas
 * over to it, the keep-alive thread its findings. The dataplane never waits on the store.
 *
 * <p>When the store does not answer: the dataplane keeps what it has (nothing is flushed), reads
 * answer from the view, claims fail at once with 503. Attaching to a global network is refused
 * too, although a free address of this host's own blocks would be safe: the endpoint's name could
 * not be claimed, and an endpoint the store does not know would be invisible to the other hosts
 * (no DNS, no proxy-ARP). Withdrawals wait and are sent when the store is back, when this host
 * also re-registers (a new lease if the old one expired) and re-publishes its endpoints with
 * their addresses and names, reporting conflicts.
 */
public final class ClusterAgent implements ClusterScope, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");
    /** Conflicts kept for {@code jvs cluster status}, oldest dropped first. */
    private static final int MAX_CONFLICTS = 50;

    /** Who this host is in the cluster. */
    public record Options(String hostName, String advertiseAddress, int vxlanPort, int ttlSeconds, String store) {}

    private final KeyValueStore store;
    private final ClusterKeys keys;
    private final Options options;
    private final ExecutorService control;
    private final ClusterView view;
    private final ClusterMembership membership;
    private final ClusterSync sync;
    private final GlobalNetworkClaims networks;
    private final EndpointClaims endpoints;
    private final ClusterPublication publication;
    private final ClusterRoster roster;
    private final StateMirror stateMirror;
    private final List<String> conflicts = new CopyOnWriteArrayList<>();

    private NetworkService service;
    /** This host's state, local file first and mirrored here; set by {@link #stateStore}. */
    private ClusterStateStore state;
    /** Applies the view to this host's networks and dataplane; set by {@link #start}. */
    private ClusterDataplane dataplane;
    /** A rebuild of the DNS names is queued on the control thread. Control thread only. */
    private boolean namesPending;
    /** At start: registering and reading the store; applying the view and re-publishing. */
    private long loadMs;

    private long applyMs;

    public ClusterAgent(KeyValueStore store, String prefix, Options options, ExecutorService control) {
        this.store = store;
        this.keys = new ClusterKeys(prefix);
        this.options = options;
        this.control = control;
        this.view = new ClusterView(keys);
        this.membership = new ClusterMembership(store, keys, options);
        this.sync = new ClusterSync(store, keys, view, control);
        final StoreWriter writer = new StoreWriter(store, view);
        final ClusterContext context = new ClusterContext(writer, view, keys, options, membership);
        this.networks = new GlobalNetworkClaims(context, this::forgetNetwork);
        this.endpoints = new EndpointClaims(context);
        this.publication = new ClusterPublication(context, this::conflict);
        this.roster = new ClusterRoster(context);
        this.stateMirror = new StateMirror(store, keys.hostState(options.hostName()));
    }

    public String hostName() {
        return options.hostName();
    }

    /**
     * Registers this host and reads the store; fails (with the store's error) when it does not
     * answer. The lease is kept alive from here on: the rest of the daemon's start (the local
     * restore, the dataplane, a large view applied) may take longer than the TTL.
     */
    public void connect() {
        final long started = System.nanoTime();
        membership.checkName();
        membership.checkFamily();
        membership.register();
        membership.keepAlive(control, this::afterOutage);
        sync.load();
        loadMs = (System.nanoTime() - started) / 1_000_000;
    }

    /**
     * The daemon's state kept in {@code local} first and mirrored into the store under this host's
     * name; with no local file, taken back from the store at the first load.
     */
    public StateStore stateStore(StateFile local, ObjectMapper json) {
        state = new ClusterStateStore(local, store, stateMirror, options.hostName(), json);
        return state;
    }

    /** On the control thread, after the local restore: apply the view, re-publish, watch. */
    public void start(NetworkService networks, Runnable onNamesChanged) {
        this.service = networks;
        this.dataplane = new ClusterDataplane(view, networks, options, coalesced(onNamesChanged), this::conflict);
        final long started = System.nanoTime();
        sync.applyTo(dataplane);
        publication.republish(service);
        sync.follow();
        applyMs = (System.nanoTime() - started) / 1_000_000;
    }

    /**
     * The DNS names are rebuilt whole (the name store keeps one immutable snapshot), so a burst of
     * watch deltas queued on the control thread asks for one rebuild after them, not one each.
     */
    private Runnable coalesced(Runnable namesChanged) {
        return () -> {
            if (!namesPending) {
                namesPending = true;
                control.execute(() -> {
                    namesPending = false;
                    namesChanged.run();
                });
            }
        };
    }

    /** Control thread: the store answers again (under the same lease or a new one). */
    private void afterOutage() {
        endpoints.flushReleases();
        stateMirror.retry();
        if (service != null) {
            publication.republish(service);
        }
    }

    private void forgetNetwork(String network) {
        if (dataplane != null) {
            dataplane.forget(network);
        }
    }

    /** Remote endpoints of global networks, for the DNS names: network -> adverts. Control thread. */
    public Map<String, List<EndpointAdvert>> remoteEndpoints() {
        return dataplane == null ? Map.of() : dataplane.remoteEndpoints();
    }

    // ---- ClusterScope (control thread) -----------------------------------------------------------

    @Override
    public String name() {
        return "global";
    }

    @Override
    public String advertiseAddress() {
        return options.advertiseAddress();
    }

    @Override
    public int vxlanPort() {
        return options.vxlanPort();
    }

    @Override
    public NetworkRecord createNetwork(NetworkRecord proposed, Integer requestedVni) {
        return networks.create(proposed, requestedVni);
    }

    @Override
    public void removeNetwork(NetworkRecord network, List<String> localEndpoints) {
        networks.remove(network, localEndpoints);
    }

    @Override
    public BigInteger chooseIpv6(NetworkRecord network, Ipv6Pool pool6, BigInteger requested) {
        return endpoints.chooseIpv6(network, pool6, requested);
    }

    @Override
    public int claimEndpoint(NetworkRecord network, AddressPool pool, EndpointClaim claim) {
        return endpoints.claim(network, pool, claim);
    }

    /**
     * For Docker's IPAM driver, which hands an address out before the endpoint exists: a free address
     * of this host's blocks of a global network that {@code heldHere} does not hold either (see
     * {@link EndpointClaims#offer}).
     */
    public int offerAddress(NetworkRecord network, AddressPool heldHere) {
        return endpoints.offer(network, heldHere);
    }

    /** {@link #offerAddress} for the IPv6 side of a dual-stack global network: from this host's IPv6 blocks. */
    public BigInteger offerAddress6(NetworkRecord network, Ipv6Pool heldHere) {
        return endpoints.offer6(network, heldHere);
    }

    @Override
    public void releaseEndpoint(NetworkRecord network, AddressPool pool, String name, String ip) {
        endpoints.release(network, pool, name, ip);
    }

    // ---- status, hosts, host rm (control thread) ------------------------------------------------

    /** {@code jvs cluster hosts}: every host the store knows of, alive or holding blocks. */
    public List<Map<String, Object>> hosts() {
        return roster.hosts();
    }

    /** Reclaims a dead host's blocks and addresses and removes its saved state; refused while it is alive. */
    public Map<String, Object> removeHost(String name) {
        return roster.remove(name);
    }

    /** {@code jvs cluster status}. */
    public Map<String, Object> status() {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("host", options.hostName());
        out.put(
                "advertise",
                UnderlayFamily.isIpv6(options.advertiseAddress())
                        ? "[" + options.advertiseAddress() + "]:" + options.vxlanPort()
                        : options.advertiseAddress() + ":" + options.vxlanPort());
        out.put("store", options.store());
        out.put("prefix", keys.prefix());
        membership.status(out);
        out.put("hostsAlive", view.hosts.size());
        out.put("globalNetworks", view.networks.size());
        endpoints.status(out);
        out.put("startupLoadMs", loadMs);
        out.put("startupApplyMs", applyMs);
        out.put("remoteEndpoints", dataplane == null ? 0 : dataplane.remoteCount());
        out.put("remoteEndpointsRefused", dataplane == null ? 0 : dataplane.refusedTotal);
        out.put("keysIgnoredOverLimit", view.overflowTotal);
        out.put("ignoredRecords", view.ignoredTotal);
        out.put("ignoredKeys", List.copyOf(view.ignoredKeys));
        out.put("conflicts", List.copyOf(new LinkedHashSet<>(conflicts)));
        out.put("stateRecord", state == null ? stateMirror.status() : state.status());
        return out;
    }

    private void conflict(String message) {
        if (!conflicts.contains(message)) {
            conflicts.add(message);
            if (conflicts.size() > MAX_CONFLICTS) {
                conflicts.removeFirst();
            }
            LOG.log(System.Logger.Level.WARNING, "cluster conflict: {0}", message);
        }
    }

    /**
     * Sends the last state (waiting a few seconds at most), stops the watch and the keep-alive; the
     * lease is left to expire (a restart within a TTL keeps the names).
     */
    @Override
    public void close() {
        stateMirror.close();
        membership.close();
        sync.close();
        store.close();
    }
}
