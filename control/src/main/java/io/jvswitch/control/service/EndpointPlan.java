package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.netns.ResolvedNamespace;

/**
 * Everything needed to create (or find again) a container's interface on a network; {@code target}
 * says how the container was named, which decides who moves the device into it.
 * {@code ipv6WithPrefix} and {@code gateway6} are null on a network without IPv6.
 */
public record EndpointPlan(
        String portName,
        ResolvedNamespace namespace,
        String ifname,
        String mac,
        String addressWithPrefix,
        String gateway,
        int mtu,
        boolean defaultRoute,
        ContainerRef target,
        String ipv6WithPrefix,
        String gateway6) {

    /** A plan without IPv6. */
    public EndpointPlan(
            String portName,
            ResolvedNamespace namespace,
            String ifname,
            String mac,
            String addressWithPrefix,
            String gateway,
            int mtu,
            boolean defaultRoute,
            ContainerRef target) {
        this(portName, namespace, ifname, mac, addressWithPrefix, gateway, mtu, defaultRoute, target, null, null);
    }
}
