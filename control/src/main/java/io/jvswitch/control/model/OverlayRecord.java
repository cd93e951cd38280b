package io.jvswitch.control.model;

import java.util.List;

/** The VXLAN side of an overlay network: its VNI, this host's underlay address and its peers. */
public record OverlayRecord(int vni, String local, int udpPort, int ttl, List<String> peers) {
    public OverlayRecord {
        peers = peers == null ? List.of() : List.copyOf(peers);
    }

    public OverlayRecord withPeers(List<String> next) {
        return new OverlayRecord(vni, local, udpPort, ttl, next);
    }
}
