package io.jvswitch.control.service;

import java.util.List;
import java.util.Map;

/**
 * {@code jvs network create}: everything but the name is optional; {@code dns}: its upstream DNS
 * servers; {@code masquerade}: false for a routed network without source NAT. The last five apply
 * to {@code --driver overlay} only.
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
        Integer ttl) {

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
