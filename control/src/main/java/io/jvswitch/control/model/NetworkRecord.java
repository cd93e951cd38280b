package io.jvswitch.control.model;

import java.util.List;
import java.util.Map;

/**
 * A network as the daemon keeps it in its state directory. Immutable; replaced on change.
 * {@code dns} are its own upstream DNS servers ({@code --dns}), empty for the daemon's defaults.
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
    List<String> dns) {

    public NetworkRecord {
        auxAddresses = auxAddresses == null ? Map.of() : Map.copyOf(auxAddresses);
        dns = dns == null ? List.of() : List.copyOf(dns);
    }

    public NetworkRecord(String id, int dataplaneId, String name, String driver, String subnet, String gateway,
                         String ipRange, Map<String, String> auxAddresses, boolean internal, int mtu, String created) {
        this(id, dataplaneId, name, driver, subnet, gateway, ipRange, auxAddresses, internal, mtu, created, List.of());
    }

    public String shortId() {
        return id.substring(0, 12);
    }
}
