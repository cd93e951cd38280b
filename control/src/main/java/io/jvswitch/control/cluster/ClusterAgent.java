package io.jvswitch.control.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.EndpointMac;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.OverlayRecord;
import io.jvswitch.control.service.ApiException;
import io.jvswitch.control.service.ClusterScope;
import io.jvswitch.control.service.NetworkService;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VxlanHeader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * This host's member of the cluster: registers it under a lease ({@code hosts/<name>}), keeps the
 * lease alive, makes the cluster-wide claims for global networks ({@link ClusterScope}), and applies
 * the store's view to the dataplane: VXLAN peers from {@code hosts/}, remote endpoints as
 * proxy-ARP answers, tunnel MAC entries and DNS names from {@code endpoints/}.
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
    /** Docker's overlay driver allocates VNIs from 4096 up; so does jvs. */
    private static final int FIRST_VNI = 4096;
    /** Largest address block a host claims at once (a /26 holds 64 addresses). */
    private static final int BLOCK_PREFIX = 26;
    /** etcd refuses transactions of more than 128 operations by default. */
    private static final int TXN_OPS = 100;

    /** Who this host is in the cluster. */
    public record Options(String hostName, String advertiseAddress, int vxlanPort, int ttlSeconds, String store) {}

    private final KeyValueStore store;
    private final ClusterKeys keys;
    private final Options options;
    private final ExecutorService control;
    private final ClusterView view;
    private final ScheduledExecutorService keepalive;
    private NetworkService service;
    /** Applies the view to this host's networks and dataplane; set by {@link #start}. */
    private ClusterDataplane dataplane;

    private AutoCloseable watch;
    private long loadedRevision;

    private volatile long lease;
    private volatile boolean reachable;
    /** A re-registration is queued on the control thread: the keep-alive does not queue another. */
    private volatile boolean reRegistering;

    private volatile String lastError;
    private volatile Instant lastErrorAt;
    private final String since = Instant.now().toString();
    private final List<String> conflicts = new CopyOnWriteArrayList<>();
    /** Endpoints whose withdrawal waits for the store: key -> network name. */
    private final Map<String, String[]> pendingReleases = new LinkedHashMap<>();

    private long attaches;
    private long requestsInAttaches;
    private final long[] restSample = new long[2]; // [nanos, requests] at the last quiet keep-alive
    private volatile double restRate;

    public ClusterAgent(KeyValueStore store, String prefix, Options options, ExecutorService control) {
        this.store = store;
        this.keys = new ClusterKeys(prefix);
        this.options = options;
        this.control = control;
        this.view = new ClusterView(keys);
        this.keepalive = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "jvs-cluster-keepalive");
            t.setDaemon(true);
            return t;
        });
    }

    public String hostName() {
        return options.hostName();
    }

    /** Registers this host and reads the store; fails (with the store's error) when it does not answer. */
    public void connect() {
        final KeyValueStore.Range mine = store.get(keys.host(options.hostName()));
        for (KeyValueStore.KeyValue kv : mine.kvs()) {
            try {
                final HostAdvert other = ClusterView.JSON.readValue(kv.value(), HostAdvert.class);
                if (!Objects.equals(other.address(), options.advertiseAddress())) {
                    throw new IllegalStateException("host name " + options.hostName() + " is in use by "
                            + other.address() + " (alive): give this host another --cluster-host-name");
                }
            } catch (IOException e) {
                // a record that does not parse is replaced
            }
        }
        register();
        loadedRevision = reload();
    }

    /** On the control thread, after the local restore: apply the view, re-publish, watch, keep alive. */
    public void start(NetworkService networks, Runnable onNamesChanged) {
        this.service = networks;
        this.dataplane = new ClusterDataplane(view, networks, options, onNamesChanged, this::conflict);
        reconcile();
        republish();
        watch = store.watch(keys.prefix(), loadedRevision + 1, new KeyValueStore.WatchListener() {
            @Override
            public void changes(List<KeyValueStore.Event> events, long revision) {
                control.execute(() -> apply(events));
            }

            @Override
            public long resync() {
                final CompletableFuture<Long> done = new CompletableFuture<>();
                control.execute(() -> {
                    try {
                        done.complete(reload());
                        reconcile();
                    } catch (RuntimeException e) {
                        done.completeExceptionally(e);
                    }
                });
                try {
                    return done.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        });
        final long period = Math.max(300, options.ttlSeconds() * 1000L / 3);
        keepalive.scheduleWithFixedDelay(this::keepAliveTick, period, period, TimeUnit.MILLISECONDS);
    }

    private void register() {
        lease = store.grantLease(options.ttlSeconds());
        store.put(
                keys.host(options.hostName()),
                json(new HostAdvert(options.hostName(), options.advertiseAddress(), options.vxlanPort(), since)),
                lease);
        reachable = true;
        LOG.log(
                System.Logger.Level.INFO,
                "registered in the cluster store as {0} ({1}), lease {2} of {3} s",
                options.hostName(),
                options.advertiseAddress(),
                Long.toHexString(lease),
                options.ttlSeconds());
    }

    /** One range read of the whole prefix into the view; returns its revision. */
    private long reload() {
        final KeyValueStore.Range all = store.getPrefix(keys.prefix());
        view.reset();
        for (KeyValueStore.KeyValue kv : all.kvs()) {
            view.put(kv.key(), kv.value(), kv.modRevision());
        }
        view.readAt(all.revision());
        return all.revision();
    }

    // ---- keep-alive (its own thread) and what follows from it (control thread) ---------------

    private void keepAliveTick() {
        try {
            final long ttl = store.keepAlive(lease);
            final boolean wasReachable = reachable;
            reachable = true;
            if (ttl == 0) {
                if (!reRegistering) {
                    reRegistering = true;
                    LOG.log(System.Logger.Level.WARNING, "this host's lease expired: registering again");
                    control.execute(this::reRegister);
                }
            } else if (!wasReachable) {
                LOG.log(System.Logger.Level.INFO, "the cluster store answers again");
                control.execute(this::afterOutage);
            }
            sampleRestRate();
        } catch (RuntimeException e) {
            if (reachable) {
                LOG.log(System.Logger.Level.WARNING, "the cluster store does not answer: {0}", e.getMessage());
            }
            reachable = false;
            noteError(e);
        }
    }

    private void sampleRestRate() {
        final long now = System.nanoTime();
        final long total = totalRequests();
        synchronized (restSample) {
            if (restSample[0] != 0 && now - restSample[0] >= TimeUnit.SECONDS.toNanos(20)) {
                restRate = (total - restSample[1]) / ((now - restSample[0]) / 1e9);
                restSample[0] = now;
                restSample[1] = total;
            } else if (restSample[0] == 0) {
                restSample[0] = now;
                restSample[1] = total;
            }
        }
    }

    private void reRegister() {
        try {
            register();
            afterOutage();
        } catch (RuntimeException e) {
            reachable = false;
            noteError(e);
        } finally {
            reRegistering = false;
        }
    }

    private void afterOutage() {
        try {
            flushReleases();
            republish();
        } catch (RuntimeException e) {
            noteError(e);
        }
    }

    /**
     * Publishes this host's endpoints on global networks with their addresses and names, as after a
     * restart or an expired lease; one held by another host is a conflict, reported, not taken.
     */
    private void republish() {
        if (service == null) {
            return;
        }
        for (EndpointRecord e : service.endpoints()) {
            final NetworkRecord network = service.networkOrNull(e.network());
            if (network == null || !network.clusterWide()) {
                continue;
            }
            final String addressKey = keys.address(e.network(), e.ipv4());
            final String endpointKey = keys.endpoint(e.network(), e.name());
            final OwnerClaim claim = new OwnerClaim(options.hostName(), e.name());
            final KeyValueStore.TxnResult address = txn(
                    List.of(KeyValueStore.Compare.absent(addressKey)),
                    List.of(new KeyValueStore.Op.Put(addressKey, json(claim), 0)),
                    List.of(new KeyValueStore.Op.Get(addressKey)));
            if (!address.succeeded()) {
                final OwnerClaim owner = read(address.ranges().getFirst(), OwnerClaim.class);
                if (owner != null && !options.hostName().equals(owner.host())) {
                    conflict("address " + e.ipv4() + " of endpoint " + e.name() + " on " + e.network()
                            + " is held by host " + owner.host() + " (endpoint " + owner.endpoint() + ")");
                    continue;
                }
            }
            final EndpointAdvert advert = advertOf(e);
            final KeyValueStore.TxnResult name = txn(
                    List.of(KeyValueStore.Compare.absent(endpointKey)),
                    List.of(new KeyValueStore.Op.Put(endpointKey, json(advert), lease)),
                    List.of(new KeyValueStore.Op.Get(endpointKey)));
            if (!name.succeeded()) {
                final EndpointAdvert other = read(name.ranges().getFirst(), EndpointAdvert.class);
                if (other != null && !options.hostName().equals(other.host())) {
                    conflict("endpoint name " + e.name() + " on " + e.network() + " is taken by host " + other.host()
                            + " (" + other.ip() + ")");
                    continue;
                }
                // ours, from before: under the new lease
                view.put(endpointKey, json(advert), store.put(endpointKey, json(advert), lease));
            }
        }
        releaseOrphans();
    }

    /**
     * Frees what the store says this host holds on global networks and no endpoint here uses any
     * more: addresses of containers that went while the daemon was down (its restore forgot them),
     * name claims left from before a restart. This host is the only one that frees its own.
     */
    private void releaseOrphans() {
        final Set<String> used = new HashSet<>();
        for (EndpointRecord e : service.endpoints()) {
            used.add(keys.address(e.network(), e.ipv4()));
            used.add(keys.endpoint(e.network(), e.name()));
        }
        final List<KeyValueStore.Op> ops = new ArrayList<>();
        for (NetworkRecord network : service.networks()) {
            if (!network.clusterWide()) {
                continue;
            }
            view.addressesOf(network.name()).forEach((ip, owner) -> {
                final String key = keys.address(network.name(), ip);
                if (owner.host().equals(options.hostName()) && !used.contains(key)) {
                    ops.add(new KeyValueStore.Op.Delete(key, false));
                }
            });
            view.endpointsOf(network.name()).forEach((name, advert) -> {
                final String key = keys.endpoint(network.name(), name);
                if (advert.host().equals(options.hostName()) && !used.contains(key)) {
                    ops.add(new KeyValueStore.Op.Delete(key, false));
                }
            });
        }
        for (int i = 0; i < ops.size(); i += TXN_OPS) {
            final List<KeyValueStore.Op> batch = ops.subList(i, Math.min(ops.size(), i + TXN_OPS));
            txn(List.of(), batch, List.of());
        }
        if (!ops.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "freed {0} claims no endpoint here uses any more", ops.size());
        }
    }

    private EndpointAdvert advertOf(EndpointRecord e) {
        return new EndpointAdvert(e.name(), e.aliases(), e.ipv4(), e.mac(), options.hostName());
    }

    // ---- the watch's deltas (control thread) -------------------------------------------------

    private void apply(List<KeyValueStore.Event> events) {
        for (KeyValueStore.Event event : events) {
            if (event.deleted()) {
                view.remove(event.kv().key(), event.kv().modRevision());
            } else {
                view.put(event.kv().key(), event.kv().value(), event.kv().modRevision());
            }
        }
        reconcile();
    }

    /** Only ever with a view the store gave: an unreachable store changes nothing in the dataplane. */
    private void reconcile() {
        if (dataplane != null) {
            dataplane.reconcile();
        }
    }

    /** Remote endpoints of global networks, for the DNS names: network -> adverts. Control thread. */
    public Map<String, List<EndpointAdvert>> remoteEndpoints() {
        return dataplane == null ? Map.of() : dataplane.remoteEndpoints();
    }

    // ---- claims (ClusterScope, control thread) -------------------------------------------------

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
        final String what = "create global network " + proposed.name();
        requireReachable(what);
        try {
            return createNetworkInStore(proposed, requestedVni);
        } catch (StoreUnavailableException e) {
            throw unavailable(e, what);
        }
    }

    private NetworkRecord createNetworkInStore(NetworkRecord proposed, Integer requestedVni) {
        final ClusterNetwork existing = view.networks.get(proposed.name());
        if (existing != null) {
            throw ApiException.conflict("network " + proposed.name() + " already exists in the cluster (created by "
                    + existing.createdBy() + ")");
        }
        final Cidr subnet = Cidr.parse(proposed.subnet());
        for (ClusterNetwork other : view.networks.values()) {
            if (Cidr.parse(other.subnet()).overlaps(subnet)) {
                throw ApiException.conflict(
                        "subnet " + subnet + " overlaps global network " + other.name() + " (" + other.subnet() + ")");
            }
        }
        int vni = requestedVni != null ? requestedVni : FIRST_VNI;
        for (int attempt = 0; attempt < 64; attempt++) {
            while (requestedVni == null && view.vnis.containsKey(vni)) {
                vni++;
            }
            if (vni > VxlanHeader.MAX_VNI) {
                throw ApiException.conflict("no free VNI left");
            }
            final ClusterNetwork record = new ClusterNetwork(
                    proposed.id(),
                    proposed.name(),
                    vni,
                    proposed.subnet(),
                    proposed.gateway(),
                    proposed.mtu(),
                    proposed.internal(),
                    proposed.dns(),
                    proposed.masquerade(),
                    proposed.overlay().udpPort(),
                    proposed.overlay().ttl(),
                    proposed.created(),
                    options.hostName());
            final String networkKey = keys.network(proposed.name());
            final String vniKey = keys.vni(vni);
            final KeyValueStore.TxnResult result = txn(
                    List.of(KeyValueStore.Compare.absent(networkKey), KeyValueStore.Compare.absent(vniKey)),
                    List.of(
                            new KeyValueStore.Op.Put(networkKey, json(record), 0),
                            new KeyValueStore.Op.Put(vniKey, json(proposed.name()), 0)),
                    List.of(new KeyValueStore.Op.Get(networkKey), new KeyValueStore.Op.Get(vniKey)));
            if (result.succeeded()) {
                return proposed.withOverlay(new OverlayRecord(
                        vni,
                        proposed.overlay().local(),
                        proposed.overlay().udpPort(),
                        proposed.overlay().ttl(),
                        List.of(),
                        true));
            }
            final ClusterNetwork winner = read(result.ranges().get(0), ClusterNetwork.class);
            if (winner != null) {
                throw ApiException.conflict("network " + proposed.name() + " already exists in the cluster (created by "
                        + winner.createdBy() + " just now)");
            }
            final String owner = read(result.ranges().get(1), String.class);
            if (requestedVni != null) {
                throw ApiException.conflict("VNI " + vni + " is already used by global network " + owner);
            }
        }
        throw ApiException.conflict("could not claim a VNI: too many concurrent network creations");
    }

    @Override
    public void removeNetwork(NetworkRecord network, List<String> localEndpoints) {
        final String what = "remove global network " + network.name();
        requireReachable(what);
        try {
            removeNetworkFromStore(network, localEndpoints);
        } catch (StoreUnavailableException e) {
            throw unavailable(e, what);
        }
    }

    private void removeNetworkFromStore(NetworkRecord network, List<String> localEndpoints) {
        final Map<String, Set<String>> byHost = new TreeMap<>();
        if (!localEndpoints.isEmpty()) {
            byHost.put(options.hostName(), new TreeSet<>(localEndpoints));
        }
        for (EndpointAdvert e : view.endpointsOf(network.name()).values()) {
            byHost.computeIfAbsent(e.host(), k -> new TreeSet<>()).add(e.name());
        }
        if (!byHost.isEmpty()) {
            throw ApiException.conflict("network " + network.name() + " has endpoints on "
                    + byHost.entrySet().stream()
                            .map(e -> "host " + e.getKey() + " (" + String.join(", ", e.getValue()) + ")")
                            .collect(Collectors.joining(", "))
                    + ": detach them first");
        }
        final ClusterNetwork stored = view.networks.get(network.name());
        final List<KeyValueStore.Op> ops = new ArrayList<>(List.of(
                new KeyValueStore.Op.Delete(keys.network(network.name()), false),
                new KeyValueStore.Op.Delete(keys.blocks(network.name()), true),
                new KeyValueStore.Op.Delete(keys.addresses(network.name()), true),
                new KeyValueStore.Op.Delete(keys.endpoints(network.name()), true)));
        if (stored != null) {
            ops.add(new KeyValueStore.Op.Delete(keys.vni(stored.vni()), false));
        }
        final long revision = txn(List.of(), ops, List.of()).revision();
        final List<String> gone = new ArrayList<>(List.of(keys.network(network.name())));
        if (stored != null) {
            gone.add(keys.vni(stored.vni()));
        }
        view.blocksOf(network.name()).keySet().forEach(cidr -> gone.add(keys.block(network.name(), cidr)));
        view.addressesOf(network.name()).keySet().forEach(ip -> gone.add(keys.address(network.name(), ip)));
        view.endpointsOf(network.name()).keySet().forEach(n -> gone.add(keys.endpoint(network.name(), n)));
        gone.forEach(key -> view.remove(key, revision));
        if (dataplane != null) {
            dataplane.forget(network.name());
        }
    }

    @Override
    public int claimEndpoint(NetworkRecord network, AddressPool pool, EndpointClaim claim) {
        final String what = "attach to global network " + network.name();
        requireReachable(what);
        final long before = totalRequests();
        try {
            return claimInStore(network, pool, claim);
        } catch (StoreUnavailableException e) {
            throw unavailable(e, what);
        } finally {
            attaches++;
            requestsInAttaches += totalRequests() - before;
        }
    }

    /** The store's claim first, then the local pool's mark; a requested address is checked here first. */
    private int claimInStore(NetworkRecord network, AddressPool pool, EndpointClaim claim) {
        if (claim.requestedIp() != null) {
            try {
                pool.reserve(claim.requestedIp()); // valid in this subnet, and not taken here
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(e.getMessage());
            } catch (IllegalStateException e) {
                throw ApiException.conflict(e.getMessage());
            }
            try {
                return claimAddressInStore(network, pool, claim);
            } catch (RuntimeException e) {
                pool.release(claim.requestedIp());
                throw e;
            }
        }
        final int ip = claimAddressInStore(network, pool, claim);
        pool.reserve(ip);
        return ip;
    }

    private int claimAddressInStore(NetworkRecord network, AddressPool pool, EndpointClaim claim) {
        final EndpointAdvert taken = view.endpointsOf(network.name()).get(claim.name());
        if (taken != null && !taken.host().equals(options.hostName())) {
            throw nameTaken(network, taken);
        }
        if (claim.requestedIp() != null) {
            final OwnerClaim owner = view.addressesOf(network.name()).get(Cidr.format(claim.requestedIp()));
            if (owner != null) {
                throw addressTaken(network, Cidr.format(claim.requestedIp()), owner);
            }
            if (!tryClaim(network, claim.requestedIp(), claim)) {
                final OwnerClaim now = view.addressesOf(network.name()).get(Cidr.format(claim.requestedIp()));
                throw addressTaken(
                        network, Cidr.format(claim.requestedIp()), now == null ? new OwnerClaim("?", "?") : now);
            }
            return claim.requestedIp();
        }
        for (int attempt = 0; attempt < 256; attempt++) {
            Integer candidate = freeInOwnBlocks(network, pool);
            if (candidate == null) {
                claimBlock(network);
                continue;
            }
            if (tryClaim(network, candidate, claim)) {
                return candidate;
            }
        }
        throw ApiException.conflict("no address could be claimed on " + network.name() + " after 256 attempts");
    }

    /**
     * For Docker's IPAM driver, which hands an address out before the endpoint exists: a free address
     * of this host's blocks of a global network (claiming the next block when they are full) that
     * {@code heldHere} does not hold either. The address itself is not claimed: the endpoint's attach
     * claims it with its name, and no other host hands out addresses of this host's blocks.
     */
    public int offerAddress(NetworkRecord network, AddressPool heldHere) {
        final String what = "hand out an address on global network " + network.name();
        requireReachable(what);
        try {
            for (int attempt = 0; attempt < 256; attempt++) {
                final Integer candidate = freeInOwnBlocks(network, heldHere);
                if (candidate != null) {
                    return candidate;
                }
                claimBlock(network);
            }
        } catch (StoreUnavailableException e) {
            throw unavailable(e, what);
        }
        throw ApiException.conflict("no address could be offered on " + network.name() + " after 256 blocks");
    }

    /** One transaction: the address (durable) and the name (under the lease), both only if absent. */
    private boolean tryClaim(NetworkRecord network, int ip, EndpointClaim claim) {
        final String text = Cidr.format(ip);
        final String addressKey = keys.address(network.name(), text);
        final String endpointKey = keys.endpoint(network.name(), claim.name());
        final long mac = claim.requestedMac() != null ? claim.requestedMac() : EndpointMac.derive(ip);
        final OwnerClaim owner = new OwnerClaim(options.hostName(), claim.name());
        final EndpointAdvert advert =
                new EndpointAdvert(claim.name(), claim.aliases(), text, MacAddress.format(mac), options.hostName());
        final KeyValueStore.TxnResult result = txn(
                List.of(KeyValueStore.Compare.absent(addressKey), KeyValueStore.Compare.absent(endpointKey)),
                List.of(
                        new KeyValueStore.Op.Put(addressKey, json(owner), 0),
                        new KeyValueStore.Op.Put(endpointKey, json(advert), lease)),
                List.of(new KeyValueStore.Op.Get(addressKey), new KeyValueStore.Op.Get(endpointKey)));
        if (result.succeeded()) {
            return true;
        }
        final EndpointAdvert other = read(result.ranges().get(1), EndpointAdvert.class);
        if (other != null) {
            throw nameTaken(network, other);
        }
        return false;
    }

    private Integer freeInOwnBlocks(NetworkRecord network, AddressPool pool) {
        final Map<String, OwnerClaim> used = view.addressesOf(network.name());
        for (Map.Entry<String, OwnerClaim> block : view.blocksOf(network.name()).entrySet()) {
            if (!block.getValue().host().equals(options.hostName())) {
                continue;
            }
            final Cidr cidr = Cidr.parse(block.getKey());
            for (long a = Integer.toUnsignedLong(cidr.network()); a <= Integer.toUnsignedLong(cidr.broadcast()); a++) {
                final int ip = (int) a;
                if (pool.isFree(ip) && !used.containsKey(Cidr.format(ip)) && assignable(pool, ip)) {
                    return ip;
                }
            }
        }
        return null;
    }

    private static boolean assignable(AddressPool pool, int ip) {
        return ip != pool.subnet().network() && ip != pool.subnet().broadcast() && ip != pool.gateway();
    }

    /** Claims the first block of the subnet no host owns; 409 when every block is owned. */
    private void claimBlock(NetworkRecord network) {
        final Cidr subnet = Cidr.parse(network.subnet());
        // a /26 per block; a subnet smaller than a /24 is split in four (at most /30)
        final int blockPrefix = Math.max(BLOCK_PREFIX, Math.min(subnet.prefixLength() + 2, 30));
        final long size = 1L << (32 - blockPrefix);
        final Map<String, OwnerClaim> owned = view.blocksOf(network.name());
        for (long a = Integer.toUnsignedLong(subnet.network());
                a <= Integer.toUnsignedLong(subnet.broadcast());
                a += size) {
            final String cidr = new Cidr((int) a, blockPrefix).toString();
            if (owned.containsKey(cidr)) {
                continue;
            }
            final String key = keys.block(network.name(), cidr);
            final OwnerClaim claim = new OwnerClaim(options.hostName(), null);
            final KeyValueStore.TxnResult result = txn(
                    List.of(KeyValueStore.Compare.absent(key)),
                    List.of(new KeyValueStore.Op.Put(key, json(claim), 0)),
                    List.of(new KeyValueStore.Op.Get(key)));
            if (result.succeeded()) {
                LOG.log(System.Logger.Level.INFO, "network {0}: claimed address block {1}", network.name(), cidr);
                return;
            }
        }
        throw ApiException.conflict("no free address left on " + network.name() + ": every block of " + subnet
                + " is owned (" + owned.size() + " blocks; jvs cluster host rm reclaims a dead host's)");
    }

    @Override
    public void releaseEndpoint(NetworkRecord network, AddressPool pool, String name, String ip) {
        pool.release(Cidr.parseAddress(ip));
        final String endpointKey = keys.endpoint(network.name(), name);
        final String addressKey = keys.address(network.name(), ip);
        final EndpointAdvert advert = view.endpointsOf(network.name()).get(name);
        final OwnerClaim owner = view.addressesOf(network.name()).get(ip);
        final List<KeyValueStore.Op> ops = new ArrayList<>();
        if (advert == null || advert.host().equals(options.hostName())) {
            ops.add(new KeyValueStore.Op.Delete(endpointKey, false));
            view.forget(endpointKey);
        }
        if (owner == null || owner.host().equals(options.hostName())) {
            ops.add(new KeyValueStore.Op.Delete(addressKey, false));
            view.forget(addressKey);
        }
        if (ops.isEmpty()) {
            return;
        }
        try {
            if (!reachable) {
                throw new StoreUnavailableException("unreachable", null);
            }
            txn(List.of(), ops, List.of());
        } catch (RuntimeException e) {
            pendingReleases.put(endpointKey, new String[] {network.name(), name, ip});
            LOG.log(
                    System.Logger.Level.WARNING,
                    "endpoint {0} on {1}: withdrawn when the cluster store answers again ({2})",
                    name,
                    network.name(),
                    e.getMessage());
        }
    }

    private void flushReleases() {
        for (Map.Entry<String, String[]> e : List.copyOf(pendingReleases.entrySet())) {
            final String[] r = e.getValue();
            final EndpointAdvert current = view.endpointsOf(r[0]).get(r[1]);
            final List<KeyValueStore.Op> ops = new ArrayList<>();
            ops.add(new KeyValueStore.Op.Delete(keys.address(r[0], r[2]), false));
            if (current == null
                    || current.host().equals(options.hostName()) && current.ip().equals(r[2])) {
                ops.add(new KeyValueStore.Op.Delete(e.getKey(), false));
            }
            txn(List.of(), ops, List.of());
            pendingReleases.remove(e.getKey());
        }
    }

    private ApiException nameTaken(NetworkRecord network, EndpointAdvert other) {
        return ApiException.conflict("an endpoint named " + other.name() + " is already on global network "
                + network.name() + " (host " + other.host() + ", " + other.ip() + ")");
    }

    private static ApiException addressTaken(NetworkRecord network, String ip, OwnerClaim owner) {
        return ApiException.conflict("address " + ip + " on global network " + network.name() + " is in use by host "
                + owner.host() + (owner.endpoint() == null ? "" : " (endpoint " + owner.endpoint() + ")"));
    }

    /** A request that found the store gone: this host is now "unreachable" until a keep-alive answers. */
    private ApiException unavailable(StoreUnavailableException e, String what) {
        reachable = false;
        noteError(e);
        return new ApiException(
                503,
                "the cluster store does not answer (" + e.getMessage() + "): cannot " + what
                        + " now; the dataplane keeps forwarding, and this host catches up when it is back");
    }

    private void requireReachable(String what) {
        if (!reachable) {
            throw new ApiException(
                    503,
                    "the cluster store does not answer (" + lastError + "): cannot " + what
                            + " now; the dataplane keeps forwarding, and this host catches up when it is back");
        }
    }

    // ---- status, hosts, host rm (control thread) ------------------------------------------------

    /** {@code jvs cluster hosts}: every host the store knows of, alive or holding blocks. */
    public List<Map<String, Object>> hosts() {
        final Set<String> names = new TreeSet<>(view.hosts.keySet());
        view.blocks.values().forEach(m -> m.values().forEach(c -> names.add(c.host())));
        view.addresses.values().forEach(m -> m.values().forEach(c -> names.add(c.host())));
        final List<Map<String, Object>> out = new ArrayList<>();
        for (String name : names) {
            final HostAdvert h = view.hosts.get(name);
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", name);
            row.put("address", h == null ? null : h.address());
            row.put("alive", h != null);
            row.put("since", h == null ? null : h.since());
            row.put("self", name.equals(options.hostName()));
            int endpoints = 0;
            for (Map<String, EndpointAdvert> m : view.endpoints.values()) {
                endpoints += (int)
                        m.values().stream().filter(e -> e.host().equals(name)).count();
            }
            row.put("endpoints", endpoints);
            final List<String> blocks = new ArrayList<>();
            view.blocks.forEach((network, m) -> m.forEach((cidr, c) -> {
                if (c.host().equals(name)) {
                    blocks.add(network + ":" + cidr);
                }
            }));
            row.put("blocks", blocks);
            int addresses = 0;
            for (Map<String, OwnerClaim> m : view.addresses.values()) {
                addresses += (int)
                        m.values().stream().filter(c -> c.host().equals(name)).count();
            }
            row.put("addresses", addresses);
            out.add(row);
        }
        return out;
    }

    /** Reclaims a dead host's blocks and addresses; refused while it is alive. */
    public Map<String, Object> removeHost(String name) {
        final String what = "remove host " + name;
        requireReachable(what);
        try {
            return removeHostFromStore(name);
        } catch (StoreUnavailableException e) {
            throw unavailable(e, what);
        }
    }

    private Map<String, Object> removeHostFromStore(String name) {
        if (view.hosts.containsKey(name)) {
            throw ApiException.conflict("host " + name + " is alive (its lease is held): stop its daemon first, "
                    + "then wait one TTL (" + options.ttlSeconds() + " s)");
        }
        final List<String> doomed = new ArrayList<>();
        view.blocks.forEach((network, m) -> m.forEach((cidr, c) -> {
            if (c.host().equals(name)) {
                doomed.add(keys.block(network, cidr));
            }
        }));
        view.addresses.forEach((network, m) -> m.forEach((ip, c) -> {
            if (c.host().equals(name)) {
                doomed.add(keys.address(network, ip));
            }
        }));
        if (doomed.isEmpty()) {
            throw ApiException.notFound("the cluster store has nothing of a host named " + name);
        }
        for (int i = 0; i < doomed.size(); i += TXN_OPS) {
            final List<KeyValueStore.Op> ops = new ArrayList<>();
            for (String key : doomed.subList(i, Math.min(doomed.size(), i + TXN_OPS))) {
                ops.add(new KeyValueStore.Op.Delete(key, false));
            }
            txn(List.of(), ops, List.of());
        }
        LOG.log(System.Logger.Level.INFO, "host {0} removed: {1} keys reclaimed", name, doomed.size());
        return Map.of("removed", name, "keys", doomed.size());
    }

    /** {@code jvs cluster status}. */
    public Map<String, Object> status() {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("host", options.hostName());
        out.put("advertise", options.advertiseAddress() + ":" + options.vxlanPort());
        out.put("store", options.store());
        out.put("prefix", keys.prefix());
        out.put("state", reachable ? "connected" : "unreachable");
        out.put("endpoint", store.currentEndpoint());
        out.put("lease", Long.toHexString(lease));
        out.put("ttlSeconds", options.ttlSeconds());
        out.put("watchRevision", store.watchRevision());
        out.put("hostsAlive", view.hosts.size());
        out.put("globalNetworks", view.networks.size());
        final Map<String, Long> counts = store.requestCounts();
        out.put("requests", counts);
        out.put("requestsTotal", totalRequests());
        out.put("attaches", attaches);
        out.put("requestsPerAttach", attaches == 0 ? null : Math.round(10.0 * requestsInAttaches / attaches) / 10.0);
        out.put("requestsPerSecondAtRest", Math.round(restRate * 100) / 100.0);
        out.put("ignoredRecords", view.ignoredTotal);
        out.put("ignoredKeys", List.copyOf(view.ignoredKeys));
        out.put("pendingWithdrawals", pendingReleases.size());
        out.put("conflicts", List.copyOf(new LinkedHashSet<>(conflicts)));
        out.put("lastError", lastError);
        out.put("lastErrorAt", lastErrorAt == null ? null : lastErrorAt.toString());
        return out;
    }

    private long totalRequests() {
        return store.requestCounts().entrySet().stream()
                .filter(e -> !e.getKey().equals("failed") && !e.getKey().startsWith("watch-"))
                .mapToLong(Map.Entry::getValue)
                .sum();
    }

    private void conflict(String message) {
        if (!conflicts.contains(message)) {
            conflicts.add(message);
            if (conflicts.size() > 50) {
                conflicts.removeFirst();
            }
            LOG.log(System.Logger.Level.WARNING, "cluster conflict: {0}", message);
        }
    }

    private void noteError(RuntimeException e) {
        lastError = e.getMessage();
        lastErrorAt = Instant.now();
    }

    private static byte[] json(Object value) {
        try {
            return ClusterView.JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs a transaction and applies to the view what it wrote (at the revision the store gave it)
     * or, when its guard failed, what its Gets read back; the watch brings the same news again
     * later, older than the view by then, and changes nothing. Deletes of a prefix are the
     * caller's to apply.
     */
    private KeyValueStore.TxnResult txn(
            List<KeyValueStore.Compare> compares, List<KeyValueStore.Op> success, List<KeyValueStore.Op> failure) {
        final KeyValueStore.TxnResult result = store.txn(compares, success, failure);
        if (result.succeeded()) {
            for (KeyValueStore.Op op : success) {
                if (op instanceof KeyValueStore.Op.Put put) {
                    view.put(put.key(), put.value(), result.revision());
                } else if (op instanceof KeyValueStore.Op.Delete delete && !delete.prefix()) {
                    view.remove(delete.key(), result.revision());
                }
            }
            return result;
        }
        int read = 0;
        for (KeyValueStore.Op op : failure) {
            if (op instanceof KeyValueStore.Op.Get get) {
                final KeyValueStore.Range range = result.ranges().get(read++);
                if (range.kvs().isEmpty()) {
                    view.remove(get.key(), range.revision());
                } else {
                    final KeyValueStore.KeyValue kv = range.kvs().getFirst();
                    view.put(kv.key(), kv.value(), kv.modRevision());
                }
            }
        }
        return result;
    }

    private static <T> T read(KeyValueStore.Range range, Class<T> type) {
        if (range.kvs().isEmpty()) {
            return null;
        }
        try {
            return ClusterView.JSON.readValue(range.kvs().getFirst().value(), type);
        } catch (IOException e) {
            return null;
        }
    }

    /** Stops the watch and the keep-alive; the lease is left to expire (a restart within a TTL keeps the names). */
    @Override
    public void close() {
        keepalive.shutdownNow();
        if (watch != null) {
            try {
                watch.close();
            } catch (Exception ignored) {
                // closing
            }
        }
        store.close();
    }
}
