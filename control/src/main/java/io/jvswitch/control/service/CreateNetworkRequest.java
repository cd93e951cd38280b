package io.jvswitch.control.service;

import java.util.List;
import java.util.Map;

/**
 * {@code jvs network create}: everything but the name is optional; {@code dns}: its upstream DNS
 * servers; {@code masquerade}: false for a routed network without source NAT. {@code vni} to
 * {@code ttl} apply to {@code --driver overlay} only. {@code ipv6}: Docker's {@code --ipv6}, a
 * dual-stack network; {@code ipv4} false asks for an IPv6-only one; {@code subnet6},
 * {@code gateway6}, {@code ipRange6} and {@code auxAddresses6} are the IPv6 family's IPAM options
 * (the CLI sorts repeated {@code --subnet}/{@code --gateway}/{@code --ip-range}/{@code --aux-address}
 * into the two families).
 */
public record CreateNetworkRequest(
        String name,
        String driver,
        String subnet,
        String gateway,
        String ipRange,
        Map<String, String> auxAddresses,
        Boolean internal,
        Integer mtu,
        List<String> dns,
        Boolean masquerade,
        Integer vni,
        String local,
        List<String> peers,
        Integer vxlanPort,
        Integer ttl,
        Boolean ipv6,
        Boolean ipv4,
        String subnet6,
        String gateway6,
        String ipRange6,
        Map<String, String> auxAddresses6) {

    /** An IPv4-only network. */
    public CreateNetworkRequest(
            String name,
            String driver,
            String subnet,
            String gateway,
            String ipRange,
            Map<String, String> auxAddresses,
            Boolean internal,
            Integer mtu,
            List<String> dns,
            Boolean masquerade,
            Integer vni,
            String local,
            List<String> peers,
            Integer vxlanPort,
            Integer ttl) {
        this(
                name,
                driver,
                subnet,
                gateway,
                ipRange,
                auxAddresses,
                internal,
                mtu,
                dns,
                masquerade,
                vni,
                local,
                peers,
                vxlanPort,
                ttl,
                null,
                null,
                null,
                null,
                null,
                null);
    }

    /** A network without DNS, NAT or overlay options. */
    public CreateNetworkRequest(
            String name,
            String driver,
            String subnet,
            String gateway,
            String ipRange,
            Map<String, String> auxAddresses,
            Boolean internal,
            Integer mtu) {
        this(
                name,
                driver,
                subnet,
                gateway,
                ipRange,
                auxAddresses,
                internal,
                mtu,
                null,
                null,
                null,
                null,
                null,
                null,
                null);
    }
}
