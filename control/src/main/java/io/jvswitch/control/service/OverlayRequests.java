package io.jvswitch.control.service;

import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.OverlayRecord;
import io.jvswitch.packet.VxlanHeader;
import io.jvswitch.vtep.VtepContext;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The VXLAN side of a network request, checked without touching anything: the VNI, the underlay
 * addresses, the port and TTL, the peers. Pure: every fact it needs is passed in.
 */
final class OverlayRequests {
    /** Docker's overlay driver allocates VNIs from 4096 up; so does jvs. */
    static final int FIRST_VNI = 4096;

    static final int DEFAULT_TTL = 64;

    private OverlayRequests() {}

    /** A local overlay's VXLAN side: {@code --local}, {@code --peer}s, a VNI no other network here uses. */
    static OverlayRecord local(CreateNetworkRequest request, Collection<NetworkRecord> existing) {
        if (request.local() == null) {
            throw ControlException.invalid("--local (this host's underlay address) is required for --driver overlay");
        }
        final String local = UnderlayAddress.canonical(request.local(), "local address"); // either family
        final int vni;
        if (request.vni() == null) {
            int candidate = FIRST_VNI;
            while (vniOwner(existing, candidate) != null) {
                candidate++;
            }
            vni = candidate;
        } else {
            vni = requireVni(request.vni());
            final String owner = vniOwner(existing, vni);
            if (owner != null) {
                throw ControlException.conflict("VNI " + vni + " is already used by network " + owner);
            }
        }
        final int port = request.vxlanPort() == null ? VxlanHeader.DEFAULT_PORT : request.vxlanPort();
        if (port < 1 || port > 65_535) {
            throw ControlException.invalid("invalid VXLAN port " + port + ": must be within 1..65535");
        }
        final int ttl = requireTtl(request.ttl());
        final List<String> peers = new ArrayList<>();
        for (String text : request.peers() == null ? List.<String>of() : request.peers()) {
            final String peer = UnderlayAddress.canonical(text, "peer"); // either family
            UnderlayAddress.requireSameFamily(local, peer);
            if (peer.equals(local)) {
                throw ControlException.invalid("peer " + peer + " is this host's own underlay address (--local)");
            }
            if (peers.contains(peer)) {
                throw ControlException.invalid("peer " + peer + " is given twice");
            }
            peers.add(peer);
        }
        if (peers.size() > VtepContext.MAX_PEER_LIMIT) {
            throw ControlException.invalid(peers.size() + " peers: at most " + VtepContext.MAX_PEER_LIMIT);
        }
        return new OverlayRecord(vni, local, port, ttl, peers);
    }

    /** A global network's VXLAN side: this host's advertised address, the cluster's port; VNI chosen by the store. */
    static OverlayRecord global(CreateNetworkRequest request, ClusterScope cluster) {
        if (request.ipRange() != null || request.auxAddresses() != null) {
            throw ControlException.invalid("--ip-range and --aux-address do not apply to a global network:"
                    + " each host takes addresses from its own blocks of the subnet");
        }
        if (request.vxlanPort() != null && request.vxlanPort() != cluster.vxlanPort()) {
            throw ControlException.invalid("a global network uses the cluster's VXLAN port " + cluster.vxlanPort()
                    + " (--cluster-advertise ADDRESS:PORT sets it)");
        }
        if (request.vni() != null) {
            requireVni(request.vni());
        }
        final int ttl = requireTtl(request.ttl());
        return new OverlayRecord(0, cluster.advertiseAddress(), cluster.vxlanPort(), ttl, List.of(), true);
    }

    private static int requireVni(int vni) {
        if (vni < 1 || vni > VxlanHeader.MAX_VNI) {
            throw ControlException.invalid("invalid VNI " + vni + ": must be within 1.." + VxlanHeader.MAX_VNI);
        }
        return vni;
    }

    private static int requireTtl(Integer requested) {
        final int ttl = requested == null ? DEFAULT_TTL : requested;
        if (ttl < 1 || ttl > 255) {
            throw ControlException.invalid("invalid TTL " + ttl + ": must be within 1..255");
        }
        return ttl;
    }

    private static String vniOwner(Collection<NetworkRecord> existing, int vni) {
        for (NetworkRecord other : existing) {
            if (other.spansHosts() && other.overlay().vni() == vni) {
                return other.name();
            }
        }
        return null;
    }
}
