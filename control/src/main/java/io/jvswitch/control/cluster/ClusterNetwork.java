package io.jvswitch.control.cluster;

import java.util.List;

/**
 * {@code networks/<name>}, durable: a global overlay network as every host builds it (one id, one
 * VNI, one subnet and gateway everywhere). {@code createdBy} is the host that created it.
 */
public record ClusterNetwork(
        String id,
        String name,
        int vni,
        String subnet,
        String gateway,
        int mtu,
        boolean internal,
        List<String> dns,
        Boolean masquerade,
        int vxlanPort,
        int ttl,
        String created,
        String createdBy) {
    public ClusterNetwork {
        dns = dns == null ? List.of() : List.copyOf(dns);
    }
}
