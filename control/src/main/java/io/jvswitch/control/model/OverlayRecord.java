package io.jvswitch.control.model;

import java.util.List;

/**
 * The VXLAN side of an overlay network: its VNI, this host's underlay address and its peers.
 * {@code global} true: a network of the cluster store, whose peers are the store's live hosts
 * (never saved here); null or false (older state files): peers given by hand ({@code --peer}).
 */
public record OverlayRecord(int vni, String local, int udpPort, int ttl, List<String> peers, Boolean global) {
    public OverlayRecord {
        peers = peers == null ? List.of() : List.copyOf(peers);
    }

    public OverlayRecord(int vni, String local, int udpPort, int ttl, List<String> peers) {
        this(vni, local, udpPort, ttl, peers, null);
    }

    public boolean clusterWide() {
        return Boolean.TRUE.equals(global);
    }

    public OverlayRecord withPeers(List<String> next) {
        return new OverlayRecord(vni, local, udpPort, ttl, next, global);
    }
}
