package io.jvswitch.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A network as the responder sees it.
 *
 * @param networkId the network's dataplane id
 * @param name its name
 * @param gateway its IPv4 gateway address (where TCP port 53 is served), 0 for an IPv6-only network
 * @param internal an internal network never forwards: names that are not local get REFUSED
 * @param upstreams its own upstream servers ({@code --dns}); empty to use the daemon's defaults
 * @param gateway6 its IPv6 gateway address (TCP port 53 is served there too), null without IPv6
 */
public record DnsNetwork(
        int networkId,
        String name,
        int gateway,
        boolean internal,
        List<InetSocketAddress> upstreams,
        InetAddress gateway6) {
    public DnsNetwork {
        upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
    }

    /** An IPv4-only network. */
    public DnsNetwork(int networkId, String name, int gateway, boolean internal, List<InetSocketAddress> upstreams) {
        this(networkId, name, gateway, internal, upstreams, null);
    }
}
