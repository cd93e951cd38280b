package io.jvswitch.control.service;

import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.nat.PortMapping;

import java.util.List;

/**
 * Replaces the published ports of an attached endpoint (Docker's {@code -p}, which arrives after
 * the join): a change refused by NAT or by the state file leaves the old ports as they were.
 */
final class PortPublishing {
    private static final System.Logger LOG = System.getLogger("jvs.control");

    private final LiveState state;
    private final EventFanOut events;
    /** Null when the daemon has no host link. */
    private final NatService nat;

    PortPublishing(LiveState state, EventFanOut events, NatService nat) {
        this.state = state;
        this.events = events;
        this.nat = nat;
    }

    EndpointRecord publish(EndpointRecord endpoint, List<String> specs) {
        if (nat == null) {
            if (specs.isEmpty()) {
                return endpoint;
            }
            throw ControlException.invalid("this daemon publishes no ports (it runs without a host link)");
        }
        final NetworkRecord network = state.requireNetwork(endpoint.network());
        nat.unpublish(endpoint.id());
        final List<PortMapping> ports;
        try {
            ports = nat.publish(endpoint.id(), endpoint.ipv4(), endpoint.ipv6(), specs);
        } catch (RuntimeException e) {
            republishOld(endpoint);
            throw e;
        }
        final EndpointRecord updated = endpoint.withPorts(ports);
        try {
            state.persist(state.networks.values(), state.withEndpoint(updated));
        } catch (ControlException e) {
            nat.unpublish(endpoint.id());
            republishOld(endpoint);
            throw e;
        }
        state.endpoints.put(updated.id(), updated);
        nat.endpointAdded(network, updated);
        events.published(state);
        LOG.log(System.Logger.Level.INFO, "endpoint {0} on {1}: published {2}", endpoint.name(), network.name(), ports);
        return updated;
    }

    /** The old ports come back, so a refused change changes nothing (each as it was: no second IPv6 half). */
    private void republishOld(EndpointRecord endpoint) {
        nat.publish(
                endpoint.id(),
                endpoint.ipv4(),
                endpoint.ipv6(),
                endpoint.ports().stream().map(PortMapping::pinnedSpec).toList());
    }
}
