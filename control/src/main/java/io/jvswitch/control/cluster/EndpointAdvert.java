package io.jvswitch.control.cluster;

import java.util.List;

/**
 * {@code endpoints/<network>/<name>}, under the owning host's lease: an endpoint as the other hosts
 * see it (DNS names, proxy-ARP, the VTEP its MAC sits behind). Created only if absent, so it is
 * also the cluster-wide claim on the name.
 */
public record EndpointAdvert(String name, List<String> aliases, String ip, String mac, String host) {
    public EndpointAdvert {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
    }
}
