package io.jvswitch.control.cluster;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.OverlayRecord;
import io.jvswitch.control.service.NetworkService;
import io.jvswitch.packet.MacAddress;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Applies the cluster store's view to this host: global networks built or removed, VXLAN peers
 * from the live hosts, other hosts' endpoints as proxy-ARP answers and tunnel MAC entries (through
 * the network service, which hands them to the dataplane's command queue), and their DNS names.
 * Keeps what it gave the dataplane and changes only the difference; never flushes anything for
 * lack of news. Control thread only.
 */
final class ClusterDataplane {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    private final ClusterView view;
    private final NetworkService service;
    private final ClusterAgent.Options options;
    private final Runnable namesChanged;
    private final Consumer<String> conflicts;

    /** What the dataplane was given: network -> peers; network -> ip -> remote endpoint. */
    private final Map<String, Set<Integer>> appliedPeers = new HashMap<>();

    private final Map<String, Map<Integer, Remote>> appliedRemotes = new HashMap<>();

    private record Remote(long mac, int vtep, EndpointAdvert advert) {}

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
     * Makes the dataplane match the view: global networks built or removed, peers, remote
     * endpoints. Only ever called with a view the store gave: an unreachable store changes nothing.
     */
    void reconcile() {
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
        final Set<Integer> peers = new TreeSet<>();
        final Map<String, Integer> vtepOf = new HashMap<>();
        for (HostAdvert h : view.hosts.values()) {
            final int address = Cidr.parseAddress(h.address());
            vtepOf.put(h.name(), address);
            if (!h.name().equals(options.hostName()) && !h.address().equals(options.advertiseAddress())) {
                peers.add(address);
            }
        }
        boolean renamed = false;
        for (NetworkRecord local : service.networks()) {
            if (!local.clusterWide()) {
                continue;
            }
            final Set<Integer> applied = appliedPeers.computeIfAbsent(local.name(), k -> new HashSet<>());
            for (int peer : peers) {
                if (!applied.contains(peer) && service.overlayPeer(local.name(), peer, true)) {
                    applied.add(peer);
                    LOG.log(System.Logger.Level.INFO, "network {0}: peer {1}", local.name(), Cidr.format(peer));
                }
            }
            for (int peer : List.copyOf(applied)) {
                if (!peers.contains(peer)) {
                    service.overlayPeer(local.name(), peer, false);
                    applied.remove(peer);
                    LOG.log(
                            System.Logger.Level.INFO,
                            "network {0}: peer {1} gone (its host left the cluster store)",
                            local.name(),
                            Cidr.format(peer));
                }
            }
            final Map<Integer, Remote> wanted = new HashMap<>();
            for (EndpointAdvert e : view.endpointsOf(local.name()).values()) {
                final Integer vtep = vtepOf.get(e.host());
                if (e.host().equals(options.hostName()) || vtep == null) {
                    continue;
                }
                try {
                    wanted.put(Cidr.parseAddress(e.ip()), new Remote(MacAddress.parse(e.mac()), vtep, e));
                } catch (IllegalArgumentException bad) {
                    view.ignoredTotal++;
                }
            }
            final Map<Integer, Remote> have = appliedRemotes.computeIfAbsent(local.name(), k -> new HashMap<>());
            for (Map.Entry<Integer, Remote> e : List.copyOf(have.entrySet())) {
                final Remote next = wanted.get(e.getKey());
                if (next == null || next.mac() != e.getValue().mac()) {
                    service.remoteEndpoint(
                            local.name(), e.getKey(), e.getValue().mac(), 0);
                    have.remove(e.getKey());
                    renamed = true;
                }
            }
            for (Map.Entry<Integer, Remote> e : wanted.entrySet()) {
                final Remote old = have.get(e.getKey());
                if (old == null
                        || old.vtep() != e.getValue().vtep()
                        || !old.advert().equals(e.getValue().advert())) {
                    service.remoteEndpoint(
                            local.name(),
                            e.getKey(),
                            e.getValue().mac(),
                            e.getValue().vtep());
                    have.put(e.getKey(), e.getValue());
                    renamed = true;
                }
            }
        }
        if (renamed) {
            namesChanged.run();
        }
    }

    /** Takes a network's remote endpoints back out (it left the store), and forgets its peers. */
    void forget(String network) {
        appliedPeers.remove(network);
        final Map<Integer, Remote> have = appliedRemotes.remove(network);
        if (have != null) {
            have.forEach((ip, r) -> service.remoteEndpoint(network, ip, r.mac(), 0));
            namesChanged.run();
        }
    }

    /** How many remote endpoints the dataplane was given, on every global network. */
    int remoteCount() {
        int n = 0;
        for (Map<Integer, Remote> m : appliedRemotes.values()) {
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
        return new NetworkRecord(
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
    }
}
