package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.netns.ResolvedNamespace;

/**
 * Everything needed to create (or find again) a container's interface on a network; {@code target}
 * says how the container was named, which decides who moves the device into it.
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
        ContainerRef target) {}
