package io.jvswitch.control.service;

import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.OverlayRecord;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.PortSecurity;
import io.jvswitch.vtep.TunnelPort;
import io.jvswitch.vtep.Underlay;
import io.jvswitch.vtep.VtepContext;
import io.jvswitch.vtep.VtepCounters;
import io.jvswitch.vtep.VtepPeer;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The live VXLAN side of overlay networks: one {@link Underlay} (socket set, run by the
 * dataplane thread as a duty-cycle work) per local address and port, shared by the networks that use it, and one {@link TunnelPort} per
 * network, plugged into that network's bridge domain like an endpoint that speaks for many MACs.
 * Called by {@link NetworkService} only, under its lock.
 */
public final class OverlayNetworks implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.control");

    private final Dataplane dataplane;
    private final long macAgingNanos;
    private final Map<String, Underlay> underlays = new HashMap<>(); // by local:port
    private final Map<String, Tunnel> tunnels = new HashMap<>(); // by network name

    private record Tunnel(TunnelPort port, int slot, Underlay underlay, String underlayKey) {}

    public OverlayNetworks(Dataplane dataplane, long macAgingNanos) {
        this.dataplane = dataplane;
        this.macAgingNanos = macAgingNanos;
    }

    /** Binds (or shares) the underlay socket, creates the tunnel with its peers and plugs it in. */
    public void open(NetworkRecord network) {
        final OverlayRecord overlay = network.overlay();
        final String key = overlay.local() + ":" + overlay.udpPort();
        Underlay underlay = underlays.get(key);
        final boolean created = underlay == null;
        if (created) {
            final VtepContext context = new VtepContext()
                    .localAddress(UnderlayAddress.parse(overlay.local()))
                    .udpPort(overlay.udpPort())
                    .ttl(overlay.ttl())
                    .macAgingNanos(macAgingNanos)
                    .conclude();
            underlay = Dataplane.await(dataplane.addWork(() -> new Underlay(context)));
        } else if (underlay.context().ttl() != overlay.ttl()) {
            throw ControlException.conflict("the underlay socket " + key + " already sends with TTL "
                    + underlay.context().ttl());
        }
        TunnelPort port = null;
        try {
            port = underlay.openTunnel("vxlan:" + network.name(), overlay.vni(), network.mtu());
            for (String peer : overlay.peers()) {
                port.addPeer(UnderlayAddress.parse(peer));
            }
            final int slot =
                    Dataplane.await(dataplane.plug(network.dataplaneId(), port, 0L, 0, PortSecurity.ALLOW_SPOOFING));
            tunnels.put(network.name(), new Tunnel(port, slot, underlay, key));
            underlays.put(key, underlay);
            LOG.log(
                    System.Logger.Level.INFO,
                    "overlay {0}: VNI {1} on {2}, peers {3}",
                    network.name(),
                    overlay.vni(),
                    key,
                    overlay.peers());
        } catch (RuntimeException e) {
            if (port != null) {
                underlay.closeTunnel(port);
                // never plugged, so the dataplane will not close it, and datagrams it queued since it
                // opened hold netty's buffers: it is closed on the dataplane thread, the queue's owner
                final TunnelPort unplugged = port;
                dataplane.call(() -> {
                    unplugged.close();
                    return null;
                });
            }
            if (created) {
                Dataplane.await(dataplane.removeWork(underlay));
            }
            throw e;
        }
    }

    /** Unplugs the network's tunnel; closes the underlay socket when no network uses it any more. */
    public void close(String networkName) {
        final Tunnel tunnel = tunnels.remove(networkName);
        if (tunnel == null) {
            return;
        }
        Dataplane.await(dataplane.unplug(tunnel.slot()));
        tunnel.underlay().closeTunnel(tunnel.port());
        if (!tunnel.underlay().hasTunnels()) {
            underlays.remove(tunnel.underlayKey());
            Dataplane.await(dataplane.removeWork(tunnel.underlay()));
        }
    }

    public boolean isOpen(String networkName) {
        return tunnels.containsKey(networkName);
    }

    public void addPeer(String networkName, int ip) {
        require(networkName).port().addPeer(ip);
    }

    public void removePeer(String networkName, int ip) {
        require(networkName).port().removePeer(ip);
    }

    /** Adds a peer of either family (the underlay's). */
    public void addPeer(String networkName, InetAddress address) {
        require(networkName).port().addPeer(address);
    }

    /** Removes a peer of either family. */
    public void removePeer(String networkName, InetAddress address) {
        final TunnelPort port = require(networkName).port();
        port.removePeer(
                address instanceof Inet6Address v6
                        ? port.ipv6PeerId(v6)
                        : ByteBuffer.wrap(address.getAddress()).getInt());
    }

    /**
     * The id the network's tunnel names the VTEP at {@code address} by: an IPv4 address is its own;
     * an IPv6 one's is assigned when it becomes a peer (0 before, and when the tunnel is not open).
     */
    public int peerId(String networkName, InetAddress address) {
        if (address instanceof Inet6Address v6) {
            final Tunnel tunnel = tunnels.get(networkName);
            return tunnel == null ? 0 : tunnel.port().ipv6PeerId(v6);
        }
        return ByteBuffer.wrap(address.getAddress()).getInt();
    }

    /** Places a remote MAC behind a VTEP in the network's tunnel (vtep 0: forgets it); on the dataplane thread. */
    public void programMac(String networkName, long mac, int vtep) {
        final Tunnel tunnel = tunnels.get(networkName);
        if (tunnel != null) {
            Dataplane.await(dataplane.call(() -> {
                tunnel.port().programMac(mac, vtep);
                return null;
            }));
        }
    }

    /** The slot of the network's tunnel port, or -1. */
    public int slotOf(String networkName) {
        final Tunnel tunnel = tunnels.get(networkName);
        return tunnel == null ? -1 : tunnel.slot();
    }

    public List<TunnelPort.RemoteMac> remoteMacs(String networkName) {
        final Tunnel tunnel = tunnels.get(networkName);
        return tunnel == null ? List.of() : Dataplane.await(tunnel.port().remoteMacEntries());
    }

    /** Live figures for {@code jvs network inspect}; null when the tunnel is not open. */
    public OverlayView view(NetworkRecord network) {
        final Tunnel tunnel = tunnels.get(network.name());
        final OverlayRecord overlay = network.overlay();
        if (tunnel == null) {
            return new OverlayView(
                    overlay.vni(),
                    overlay.local(),
                    overlay.udpPort(),
                    overlay.ttl(),
                    "down",
                    List.of(),
                    null,
                    Map.of(),
                    overlay.peers().stream()
                            .map(p -> new OverlayView.PeerView(p, null))
                            .toList());
        }
        final List<OverlayView.PeerView> peers = new ArrayList<>();
        for (VtepPeer peer : tunnel.port().peers()) {
            peers.add(new OverlayView.PeerView(peer.ipText(), OverlayView.Counters.of(peer.counters())));
        }
        final VtepCounters underlay = tunnel.underlay().counters();
        final List<Integer> sourcePorts =
                Arrays.stream(tunnel.underlay().sourcePorts()).boxed().toList();
        return new OverlayView(
                overlay.vni(),
                overlay.local(),
                overlay.udpPort(),
                overlay.ttl(),
                "up",
                sourcePorts,
                OverlayView.Counters.of(tunnel.port().counters()),
                underlay.dropsByReason(),
                peers);
    }

    private Tunnel require(String networkName) {
        final Tunnel tunnel = tunnels.get(networkName);
        if (tunnel == null) {
            throw ControlException.conflict(
                    "the tunnel of network " + networkName + " is not open (is its --local address on this host?)");
        }
        return tunnel;
    }

    /** Forgets the tunnels at shutdown: the dataplane closed the underlays and the ports with itself. */
    @Override
    public void close() {
        underlays.clear();
        tunnels.clear();
    }
}
