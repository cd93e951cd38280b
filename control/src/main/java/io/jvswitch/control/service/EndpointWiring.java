package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.netns.ResolvedNamespace;
import io.jvswitch.switching.port.Port;

import java.util.Set;

/**
 * Creates the device behind an endpoint and finds it again. The daemon uses TAP devices inside
 * the container's namespace ({@link TapWiring}); tests of the control logic may use memory ports.
 */
public interface EndpointWiring {
    /** The container's network namespace; fails clearly when the container does not exist. */
    ResolvedNamespace namespaceOf(ContainerRef container);

    /** The first free ethN in the container, skipping {@code reserved}. */
    String nextInterfaceName(ResolvedNamespace namespace, Set<String> reserved);

    /** Creates and configures a new interface in the container; nothing is left behind on failure. */
    Port create(EndpointPlan plan);

    /** After a daemon restart: takes back the interface that survived, or recreates it if it did not. */
    Port reopen(EndpointPlan plan);

    /**
     * Routes the container by default via the plan's gateway and interface, unless it already has a
     * default route: after a detach took the interface its default route used.
     */
    default void ensureDefaultRoute(EndpointPlan plan) {}

    /** Marks the port's device to disappear when the port is closed (detach), instead of persisting. */
    void release(Port port);

    /**
     * Removes whatever exists of the plan's interface, made whole or half-way by a daemon that was
     * killed while attaching or detaching it; nothing when none exists. Fails when it cannot tell.
     */
    default void remove(EndpointPlan plan) {
        final Port port = reopen(plan);
        release(port);
        port.close();
    }
}
