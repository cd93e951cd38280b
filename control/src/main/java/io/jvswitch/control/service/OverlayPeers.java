package io.jvswitch.control.service;

import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.vtep.TunnelPort;
import io.jvswitch.vtep.VtepContext;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The peers of overlay networks: a local overlay's peers as {@code network peer add/rm} sets them
 * (saved, then given to the open tunnel), a global one's as the cluster store says, and the remote
 * endpoints the store programs; plus the tunnels' live views.
 */
final class OverlayPeers {
    private static final System.Logger LOG = System.getLogger("jvs.control");

    private final LiveState state;
    private final Dataplane dataplane;
    private final OverlayNetworks overlays;
    private final EventFanOut events;

    OverlayPeers(LiveState state, Dataplane dataplane, OverlayNetworks overlays, EventFanOut events) {
        this.state = state;
        this.dataplane = dataplane;
        this.overlays = overlays;
        this.events = events;
    }

    NetworkRecord add(String name, String peerText) {
        final NetworkRecord network = requireOverlay(name);
        final String peer = UnderlayAddress.canonical(peerText, "peer"); // either family
        UnderlayAddress.requireSameFamily(network.overlay().local(), peer);
        if (network.overlay().peers().contains(peer)) {
            throw ControlException.conflict(peer + " is already a peer of network " + name);
        }
        if (peer.equals(network.overlay().local())) {
            throw ControlException.invalid(peer + " is this host's own underlay address (--local), not a peer");
        }
        if (network.overlay().peers().size() >= VtepContext.MAX_PEER_LIMIT) {
            throw ControlException.conflict(
                    "network " + name + " has " + network.overlay().peers().size() + " peers, the limit");
        }
        final List<String> peers = new ArrayList<>(network.overlay().peers());
        peers.add(peer);
        final NetworkRecord updated = network.withOverlay(network.overlay().withPeers(peers));
        state.persist(state.withNetwork(updated), state.endpoints.values());
        if (overlays.isOpen(name)) {
            try {
                overlays.addPeer(name, UnderlayAddress.parse(peer));
            } catch (IllegalStateException | IllegalArgumentException e) {
                state.saveLive();
                throw ControlException.conflict(e.getMessage());
            }
        }
        state.networks.put(name, updated);
        events.published(state);
        LOG.log(System.Logger.Level.INFO, "network {0}: peer {1} added", name, peer);
        return updated;
    }

    NetworkRecord remove(String name, String peerText) {
        final NetworkRecord network = requireOverlay(name);
        final String peer = UnderlayAddress.canonical(peerText, "peer"); // either family
        if (!network.overlay().peers().contains(peer)) {
            throw ControlException.notFound(peer + " is not a peer of network " + name
                    + (network.overlay().peers().isEmpty()
                            ? " (it has none)"
                            : " (peers: " + String.join(", ", network.overlay().peers()) + ")"));
        }
        final List<String> peers = new ArrayList<>(network.overlay().peers());
        peers.remove(peer);
        final NetworkRecord updated = network.withOverlay(network.overlay().withPeers(peers));
        state.persist(state.withNetwork(updated), state.endpoints.values());
        if (overlays.isOpen(name)) {
            overlays.removePeer(name, UnderlayAddress.parse(peer));
        }
        state.networks.put(name, updated);
        events.published(state);
        LOG.log(System.Logger.Level.INFO, "network {0}: peer {1} removed", name, peer);
        return updated;
    }

    /** The tunnel's live figures, or null for a network that is not an overlay. */
    OverlayView view(NetworkRecord network) {
        return network.spansHosts() ? overlays.view(network) : null;
    }

    /** Remote MACs of an overlay network with the VTEP each sits behind. */
    List<TunnelPort.RemoteMac> remoteMacs(String name) {
        return overlays.remoteMacs(name);
    }

    /** The dataplane slot of an overlay network's tunnel port (jvs capture vxlan:NETWORK). */
    int tunnelSlotOf(String networkName) {
        final NetworkRecord network = state.requireNetwork(networkName);
        if (!network.spansHosts()) {
            throw ControlException.invalid(
                    "network " + networkName + " has no tunnel port: it is not an overlay network");
        }
        final int slot = overlays.slotOf(networkName);
        if (slot < 0) {
            throw ControlException.conflict("the tunnel port of network " + networkName + " is not open");
        }
        return slot;
    }

    /** Live peer change on a global network's tunnel (a peer of its underlay's family); false when the tunnel is not open. */
    boolean clusterPeer(String networkName, InetAddress vtep, boolean present) {
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
     * proxy-ARP here ({@code ip}, 0 on an IPv6-only network) and its IPv6 address ({@code ip6}, null
     * without) by proxy-NDP, its MAC sent to
     * the VTEP at {@code vtep} without waiting to learn it. {@code vtep} null removes them.
     */
    void remoteEndpoint(String networkName, int ip, BigInteger ip6, long mac, InetAddress vtep) {
        final NetworkRecord network = state.networks.get(networkName);
        if (network == null) {
            return;
        }
        final int id = network.dataplaneId();
        if (vtep != null) {
            if (ip != 0) { // 0: an IPv6-only network's endpoint, answered by proxy-NDP alone
                Dataplane.await(dataplane.programRemoteAddress(id, ip, mac));
            }
            if (ip6 != null) {
                Dataplane.await(dataplane.programRemoteAddress6(id, Ipv6Cidr.high(ip6), Ipv6Cidr.low(ip6), mac));
            }
        } else {
            if (ip != 0) {
                Dataplane.await(dataplane.forgetRemoteAddress(id, ip, mac));
            }
            if (ip6 != null) {
                Dataplane.await(dataplane.forgetRemoteAddress6(id, Ipv6Cidr.high(ip6), Ipv6Cidr.low(ip6)));
            }
        }
        overlays.programMac(networkName, mac, vtep == null ? 0 : overlays.peerId(networkName, vtep));
    }

    void closeAll() {
        overlays.close();
    }

    private NetworkRecord requireOverlay(String name) {
        final NetworkRecord network = state.requireNetwork(name);
        if (!network.spansHosts()) {
            throw ControlException.invalid("network " + name + " is not an overlay network (--driver overlay)");
        }
        if (network.clusterWide()) {
            throw ControlException.invalid("network " + name
                    + " is global: its peers are the cluster store's live hosts (see jvs cluster hosts)");
        }
        return network;
    }
}
