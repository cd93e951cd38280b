package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;

import java.util.List;

/**
 * {@code jvs attach}: the network and the container are required; the rest is chosen if absent.
 * Port security is on unless {@code allowSpoofing} is true. {@code aliases}: more DNS names.
 * {@code ports} are {@code -p} arguments. {@code ip6}: the IPv6 address on a dual-stack network
 * ({@code --ip6}; default: the lowest free one).
 */
public record AttachRequest(
        String network,
        ContainerRef container,
        String name,
        String ip,
        String mac,
        String ifname,
        Boolean allowSpoofing,
        List<String> aliases,
        List<String> ports,
        String ip6) {

    public AttachRequest(
            String network,
            ContainerRef container,
            String name,
            String ip,
            String mac,
            String ifname,
            Boolean allowSpoofing,
            List<String> aliases,
            List<String> ports) {
        this(network, container, name, ip, mac, ifname, allowSpoofing, aliases, ports, null);
    }

    public AttachRequest(
            String network,
            ContainerRef container,
            String name,
            String ip,
            String mac,
            String ifname,
            Boolean allowSpoofing) {
        this(network, container, name, ip, mac, ifname, allowSpoofing, null, null);
    }
}
