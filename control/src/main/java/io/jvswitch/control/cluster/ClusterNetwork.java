package io.jvswitch.control.cluster;

import java.util.List;

/**
 * {@code networks/<name>}, durable: a global overlay network as every host builds it (one id, one
 * VNI, one subnet and gateway everywhere). {@code createdBy} is the host that created it. {@code
 * subnet6} and {@code gateway6} are its IPv6 side ({@code --ipv6}), null for an IPv4-only network
 * and in records written before IPv6. {@code subnet} and {@code gateway} are its IPv4 side, null on
 * an IPv6-only network ({@code --ipv4=false}); a record has at least one side (the view ignores one
 * with neither).
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
        String createdBy,
        String subnet6,
        String gateway6) {
    public ClusterNetwork {
        dns = dns == null ? List.of() : List.copyOf(dns);
    }

    /** An IPv4-only network. */
    public ClusterNetwork(
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
        this(
                id,
                name,
                vni,
                subnet,
                gateway,
                mtu,
                internal,
                dns,
                masquerade,
                vxlanPort,
                ttl,
                created,
                createdBy,
                null,
                null);
    }
}
