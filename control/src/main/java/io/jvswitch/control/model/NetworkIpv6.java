package io.jvswitch.control.model;

import java.util.Map;

/**
 * A dual-stack network's IPv6 side ({@code --ipv6}), as the state file keeps it. Its MTU,
 * internal flag and DNS are the network's.
 *
 * @param subnet e.g. {@code fd00:20::/64}
 * @param gateway the switch's IPv6 address on the network
 * @param ipRange {@code --ip-range} of this family, or null
 * @param auxAddresses {@code --aux-address} of this family, by name
 */
public record NetworkIpv6(String subnet, String gateway, String ipRange, Map<String, String> auxAddresses) {
    public NetworkIpv6 {
        auxAddresses = auxAddresses == null ? Map.of() : Map.copyOf(auxAddresses);
    }
}
