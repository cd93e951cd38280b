package io.jvswitch.control.model;

import java.util.Map;

/**
 * A network as the daemon keeps it in its state directory. Immutable; replaced on change.
 * {@code overlay} is null for a network that lives on this host only (driver "bridge").
 */
public record NetworkRecord(
    String id,
    int dataplaneId,
    String name,
    String driver,
    String subnet,
    String gateway,
    String ipRange,
    Map<String, String> auxAddresses,
    boolean internal,
    int mtu,
    String created,
    OverlayRecord overlay) {

    public NetworkRecord {
        auxAddresses = auxAddresses == null ? Map.of() : Map.copyOf(auxAddresses);
    }

    public String shortId() {
        return id.substring(0, 12);
    }

    /** An overlay network (VXLAN across hosts); not a property of the state file. */
    public boolean spansHosts() {
        return overlay != null;
    }

    public NetworkRecord withOverlay(OverlayRecord next) {
        return new NetworkRecord(id, dataplaneId, name, driver, subnet, gateway, ipRange, auxAddresses, internal, mtu,
            created, next);
    }
}
