package io.jvswitch.control.service;

import java.util.List;
import java.util.Map;

/**
 * {@code jvs network create}: everything but the name is optional; {@code dns}: its upstream DNS
 * servers; {@code masquerade}: false for a routed network without source NAT.
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
    Boolean masquerade) {

    public CreateNetworkRequest(String name, String driver, String subnet, String gateway, String ipRange,
                                Map<String, String> auxAddresses, Boolean internal, Integer mtu) {
        this(name, driver, subnet, gateway, ipRange, auxAddresses, internal, mtu, null, null);
    }
}
