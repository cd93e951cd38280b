package io.jvswitch.control.cluster;

import java.util.List;

/**
 * {@code endpoints/<network>/<name>}, under the owning host's lease: an endpoint as the other hosts
 * see it (DNS names, proxy-ARP and proxy-NDP, the VTEP its MAC sits behind). Created only if
 * absent, so it is also the cluster-wide claim on the name. {@code ip6} is its IPv6 address on a
 * dual-stack network, else null (and in records written before IPv6, which still parse). {@code ip}
 * is null on an IPv6-only network, where {@code ip6} is the endpoint's only address.
 */
public record EndpointAdvert(String name, List<String> aliases, String ip, String mac, String host, String ip6) {
    public EndpointAdvert {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
    }

    /** An endpoint without an IPv6 address. */
    public EndpointAdvert(String name, List<String> aliases, String ip, String mac, String host) {
        this(name, aliases, ip, mac, host, null);
    }

    /** The address that identifies the endpoint among its network's: the IPv4 one, else (IPv6-only) the IPv6 one. */
    String address() {
        return ip != null ? ip : ip6;
    }
}
