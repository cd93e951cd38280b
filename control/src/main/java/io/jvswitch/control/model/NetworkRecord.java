package io.jvswitch.control.model;

import java.util.Map;

/** A network as the daemon keeps it in its state directory. Immutable; replaced on change. */
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
    String created) {

    public NetworkRecord {
        auxAddresses = auxAddresses == null ? Map.of() : Map.copyOf(auxAddresses);
    }

    public String shortId() {
        return id.substring(0, 12);
    }
}
