package io.jvswitch.dns;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * A network as the responder sees it.
 *
 * @param networkId the network's dataplane id
 * @param name its name
 * @param gateway its gateway address (where TCP port 53 is served)
 * @param internal an internal network never forwards: names that are not local get REFUSED
 * @param upstreams its own upstream servers ({@code --dns}); empty to use the daemon's defaults
 */
public record DnsNetwork(int networkId, String name, int gateway, boolean internal, List<InetSocketAddress> upstreams) {
    public DnsNetwork {
        upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
    }
}
