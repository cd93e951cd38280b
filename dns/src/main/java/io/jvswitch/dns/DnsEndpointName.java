package io.jvswitch.dns;

import java.util.List;

/**
 * What the name store knows of one endpoint (a container's interface on one network).
 *
 * @param networkId the network's dataplane id
 * @param networkName the network's name ({@code name.network} resolves too)
 * @param container identifies the container: endpoints of one container share it, and a query is
 *     answered from the names of every network the asking container is on
 * @param name the endpoint's name
 * @param aliases more names for it ({@code --alias}); several endpoints may share one
 * @param ipv4 its IPv4 address, 0 for none (an IPv6-only network: its names have no A record)
 * @param ipv6 its IPv6 address (16 bytes), or null
 */
public record DnsEndpointName(
        int networkId, String networkName, String container, String name, List<String> aliases, int ipv4, byte[] ipv6) {
    public DnsEndpointName {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        if (ipv6 != null && ipv6.length != 16) {
            throw new IllegalArgumentException("an IPv6 address has 16 bytes, not " + ipv6.length);
        }
    }
}
