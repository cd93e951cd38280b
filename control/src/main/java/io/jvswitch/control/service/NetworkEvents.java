package io.jvswitch.control.service;

import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;

/**
 * What other parts of the daemon learn from the network service as it changes: the host link's
 * routes, the DNS responder's names. Called on the control thread, inside the service's operation:
 * a listener that throws from {@link #networkAdded} makes the network's creation fail and be undone.
 */
public interface NetworkEvents {
    default void networkAdded(NetworkRecord network) {}

    default void networkRemoved(NetworkRecord network) {}

    default void endpointAdded(NetworkRecord network, EndpointRecord endpoint) {}

    default void endpointRemoved(EndpointRecord endpoint) {}
}
