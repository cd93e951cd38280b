package io.jvswitch.control.cluster;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.NetworkIpv6;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.OverlayRecord;
import io.jvswitch.control.service.NetworkService;
import io.jvswitch.packet.MacAddress;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Applies the cluster store's view to this host: global networks built or removed, VXLAN peers
 * from the live hosts (of this host's underlay family), other hosts' endpoints as proxy-ARP and
 * proxy-NDP answers and tunnel MAC entries (through
 * the network service, which hands them to the dataplane's command queue), and their DNS names.
 * Keeps what it gave the dataplane and changes only the difference; never flushes anything for
 * lack of news. Control thread only.
 */
final class ClusterDataplane {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    /**
     * Remote endpoints programmed per network: the switch's address table holds 65,536 entries a
     * network (local ones included), and the tunnel's table of programmed MACs as many. Beyond,
     * an endpoint is left out (no proxy-ARP, no programmed MAC, no DNS name here) and counted.
     */
    static final int MAX_REMOTES = 65_536;

    private final ClusterView view;
    private final NetworkService service;
    private final ClusterAgent.Options options;
    private final Runnable namesChanged;
    private final Consumer<String> conflicts;

    /**
     * What the dataplane was given: network -> peers; network -> address -> remote endpoint (its IPv4
     * address, or on an IPv6-only network its IPv6 one: {@link EndpointAdvert#address}).
     */
    private final Map<String, Set<String>> appliedPeers = new HashMap<>();

    private final Map<String, Map<String, Remote>> appliedRemotes = new HashMap<>();

    /** network -> remote endpoint name -> its address in {@link #appliedRemotes}. */
    private final Map<String, Map<String, String>> ipByName = new HashMap<>();

    /** Remote endpoints not programmed because their network had {@link #MAX_REMOTES} already. */
    long refusedTotal;

    /**
     * {@code ip} 0 on an IPv6-only network, {@code ip6} null without IPv6; {@code vtep} the underlay
     * address of the endpoint's host.
     */
    private record Remote(int ip, BigInteger ip6, long mac, String vtep, EndpointAdvert advert) {
        String key() {
            return advert.address();
        }
    }

    ClusterDataplane(
            ClusterView view,
            NetworkService service,
            ClusterAgent.Options options,
            Runnable namesChanged,
            Consumer<String> conflicts) {
        this.view = view;
        this.service = service;
        this.options = options;
        this.namesChanged = namesChanged;
        this.conflicts = conflicts;
    }

    /**
     * Makes the dataplane match the view. When only endpoints changed since the last time, only
     * those are looked at (one endpoint's change costs one endpoint's work, whatever the size of
     * the cluster); when hosts or networks changed, everything is. Only ever called with a view
     * the store gave: an unreachable store changes nothing.
     */
    void reconcile() {
        final Map<String, Set<String>> changed = view.takeChanges();
        if (changed == null) {
            reconcileAll();
            return;
        }
        boolean renamed = false;
        for (Map.Entry<String, Set<String>> e : changed.entrySet()) {
            final NetworkRecord local = service.networkOrNull(e.getKey());
            if (local == null || !local.clusterWide()) {
                continue;
            }
            for (String name : e.getValue()) {
                renamed |= reconcileEndpoint(e.getKey(), name);
            }
        }
        if (renamed) {
            namesChanged.run();
        }
    }

    private void reconcileAll() {
        for (ClusterNetwork n : view.networks.values()) {
            final NetworkRecord local = service.networkOrNull(n.name());
            if (local == null) {
                try {
                    service.adoptGlobalNetwork(recordOf(n));
                } catch (RuntimeException e) {
                    conflicts.accept("global network " + n.name() + " cannot be built here: " + e.getMessage());
                }
            } else if (!local.clusterWide() || !local.id().equals(n.id())) {
                conflicts.accept("the local network " + n.name() + " hides the global network of that name");
            }
        }
        for (NetworkRecord local : service.networks()) {
            final ClusterNetwork stored = view.networks.get(local.name());
            if (local.clusterWide() && (stored == null || !stored.id().equals(local.id()))) {
                forget(local.name());
                if (service.dropGlobalNetwork(local.name())) {
                    appliedPeers.remove(local.name());
                    LOG.log(System.Logger.Level.INFO, "global network {0} was removed from the cluster", local.name());
                } else {
                    conflicts.accept("global network " + local.name()
                            + " was removed from the cluster store while this host has endpoints on it");
                }
            }
        }
        final Set<String> peers = new TreeSet<>();
        for (HostAdvert h : view.hosts.values()) {
            if (h.name().equals(options.hostName()) || h.address().equals(options.advertiseAddress())) {
                continue;
            }
            if (sameFamily(h)) {
                peers.add(h.address());
            } else {
                conflicts.accept("host " + h.name() + " advertises " + h.address() + " ("
                        + UnderlayFamily.name(h.address()) + ") but this host's underlay is "
                        + UnderlayFamily.name(options.advertiseAddress()) + ": left out of the peers");
            }
        }
        boolean renamed = false;
        for (NetworkRecord local : service.networks()) {
            if (local.clusterWide()) {
                reconcilePeers(local.name(), peers);
                renamed |= reconcileRemotes(local.name());
            }
        }
        if (renamed) {
            namesChanged.run();
        }
    }

    private boolean sameFamily(HostAdvert h) {
        return UnderlayFamily.isIpv6(h.address()) == UnderlayFamily.isIpv6(options.advertiseAddress());
    }

    private void reconcilePeers(String network, Set<String> peers) {
        final Set<String> applied = appliedPeers.computeIfAbsent(network, k -> new HashSet<>());
        for (String peer : peers) {
            if (!applied.contains(peer) && service.overlayPeer(network, UnderlayFamily.parse(peer), true)) {
                applied.add(peer);
                LOG.log(System.Logger.Level.INFO, "network {0}: peer {1}", network, peer);
            }
        }
        for (String peer : List.copyOf(applied)) {
            if (!peers.contains(peer)) {
                service.overlayPeer(network, UnderlayFamily.parse(peer), false);
                applied.remove(peer);
                LOG.log(
                        System.Logger.Level.INFO,
                        "network {0}: peer {1} gone (its host left the cluster store)",
                        network,
                        peer);
            }
        }
    }

    /** Every remote endpoint of one network against what the dataplane has; true when any changed. */
    private boolean reconcileRemotes(String network) {
        boolean renamed = false;
        final Map<String, Remote> wanted = new HashMap<>();
        for (EndpointAdvert e : view.endpointsOf(network).values()) {
            final Remote r = wanted(e);
            if (r != null) {
                wanted.put(r.key(), r);
            }
        }
        final Map<String, Remote> have = appliedRemotes.computeIfAbsent(network, k -> new HashMap<>());
        for (Remote old : List.copyOf(have.values())) {
            final Remote next = wanted.get(old.key());
            if (next == null || next.mac() != old.mac() || !Objects.equals(next.ip6(), old.ip6())) {
                withdraw(network, old);
                renamed = true;
            }
        }
        for (Remote next : wanted.values()) {
            final Remote old = have.get(next.key());
            if (old == null || !old.equals(next)) {
                renamed |= program(network, next);
            }
        }
        return renamed;
    }

    /** One remote endpoint against what the dataplane has; true when it changed. */
    private boolean reconcileEndpoint(String network, String name) {
        final Remote next = wanted(view.endpointsOf(network).get(name));
        final Map<String, Remote> have = appliedRemotes.computeIfAbsent(network, k -> new HashMap<>());
        final String oldIp = ipByName.getOrDefault(network, Map.of()).get(name);
        final Remote old = oldIp == null ? null : have.get(oldIp);
        if (old != null && old.equals(next)) {
            return false;
        }
        if (old != null
                && (next == null
                        || !old.key().equals(next.key())
                        || old.ip() != next.ip()
                        || old.mac() != next.mac()
                        || !Objects.equals(old.ip6(), next.ip6()))) {
            withdraw(network, old);
        }
        if (next == null) {
            return old != null;
        }
        final Remote displaced = have.get(next.key());
        if (displaced != null && displaced.mac() != next.mac()) {
            withdraw(network, displaced);
        }
        program(network, next);
        return true;
    }

    /** What the dataplane should have for an advert: null for this host's own, or one whose host is not alive. */
    private Remote wanted(EndpointAdvert e) {
        if (e == null || e.host().equals(options.hostName())) {
            return null;
        }
        final HostAdvert host = view.hosts.get(e.host());
        if (host == null || !sameFamily(host)) {
            return null;
        }
        try {
            return new Remote(
                    e.ip() == null ? 0 : Cidr.parseAddress(e.ip()),
                    e.ip6() == null ? null : Ipv6Cidr.parseAddress(e.ip6(), "ip6"),
                    MacAddress.parse(e.mac()),
                    host.address(),
                    e);
        } catch (IllegalArgumentException bad) {
            view.ignoredTotal++;
            return null;
        }
    }

    /** Programs a remote endpoint; refused (and counted) beyond {@link #MAX_REMOTES} of a network. */
    private boolean program(String network, Remote r) {
        final Map<String, Remote> have = appliedRemotes.computeIfAbsent(network, k -> new HashMap<>());
        if (!have.containsKey(r.key()) && have.size() >= MAX_REMOTES) {
            if (refusedTotal++ == 0) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "network {0}: more than {1} remote endpoints, the rest are not programmed",
                        network,
                        MAX_REMOTES);
            }
            return false;
        }
        service.remoteEndpoint(network, r.ip(), r.ip6(), r.mac(), UnderlayFamily.parse(r.vtep()));
        final Remote before = have.put(r.key(), r);
        final Map<String, String> names = ipByName.computeIfAbsent(network, k -> new HashMap<>());
        if (before != null && !before.advert().name().equals(r.advert().name())) {
            names.remove(before.advert().name(), r.key());
        }
        names.put(r.advert().name(), r.key());
        return true;
    }

    private void withdraw(String network, Remote r) {
        service.remoteEndpoint(network, r.ip(), r.ip6(), r.mac(), null);
        appliedRemotes.getOrDefault(network, new HashMap<>()).remove(r.key());
        ipByName.getOrDefault(network, new HashMap<>()).remove(r.advert().name(), r.key());
    }

    /** Takes a network's remote endpoints back out (it left the store), and forgets its peers. */
    void forget(String network) {
        appliedPeers.remove(network);
        ipByName.remove(network);
        final Map<String, Remote> have = appliedRemotes.remove(network);
        if (have != null) {
            have.values().forEach(r -> service.remoteEndpoint(network, r.ip(), r.ip6(), r.mac(), null));
            namesChanged.run();
        }
    }

    /** How many remote endpoints the dataplane was given, on every global network. */
    int remoteCount() {
        int n = 0;
        for (Map<String, Remote> m : appliedRemotes.values()) {
            n += m.size();
        }
        return n;
    }

    /** Remote endpoints of global networks, for the DNS names: network -> adverts. Control thread. */
    Map<String, List<EndpointAdvert>> remoteEndpoints() {
        final Map<String, List<EndpointAdvert>> out = new TreeMap<>();
        appliedRemotes.forEach((network, remotes) ->
                out.put(network, remotes.values().stream().map(Remote::advert).toList()));
        return out;
    }

    private NetworkRecord recordOf(ClusterNetwork n) {
        final NetworkRecord v4 = new NetworkRecord(
                n.id(),
                0,
                n.name(),
                "overlay",
                n.subnet(),
                n.gateway(),
                null,
                Map.of(),
                n.internal(),
                n.mtu(),
                n.created(),
                n.dns(),
                n.masquerade(),
                new OverlayRecord(n.vni(), options.advertiseAddress(), n.vxlanPort(), n.ttl(), List.of(), true));
        return n.subnet6() == null ? v4 : v4.withIpv6(new NetworkIpv6(n.subnet6(), n.gateway6(), null, Map.of()));
    }
}
