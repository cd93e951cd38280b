package io.jvswitch.control.service;

import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The one place the rest of the daemon learns of changes: the listeners ({@link NetworkEvents}: the
 * host link's routes, NAT) and the picture of the whole state after each change (the DNS names).
 */
final class EventFanOut {
    private static final System.Logger LOG = System.getLogger("jvs.control");

    private final List<NetworkEvents> listeners;
    private volatile BiConsumer<List<NetworkRecord>, List<EndpointRecord>> changed = (n, e) -> {};

    EventFanOut(List<NetworkEvents> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    void onChange(BiConsumer<List<NetworkRecord>, List<EndpointRecord>> listener) {
        this.changed = listener;
    }

    /** Tells every listener of the network; one that fails undoes the others and the failure is thrown. */
    void networkAdded(NetworkRecord network) {
        final List<NetworkEvents> told = new ArrayList<>();
        try {
            for (NetworkEvents listener : listeners) {
                listener.networkAdded(network);
                told.add(listener);
            }
        } catch (RuntimeException e) {
            for (NetworkEvents listener : told) {
                listener.networkRemoved(network);
            }
            throw e;
        }
    }

    void networkRemoved(NetworkRecord network) {
        for (NetworkEvents listener : listeners) {
            listener.networkRemoved(network);
        }
    }

    /** Listeners learn of an endpoint; one that fails is logged, not allowed to undo the attach. */
    void endpointAdded(NetworkRecord network, EndpointRecord endpoint) {
        for (NetworkEvents listener : listeners) {
            try {
                listener.endpointAdded(network, endpoint);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "after attaching {0}: {1}", endpoint.name(), e.getMessage());
            }
        }
    }

    /** Listeners forget the endpoint (its ports close, its names go) while the service may keep it. */
    void endpointRemoved(EndpointRecord endpoint) {
        for (NetworkEvents listener : listeners) {
            try {
                listener.endpointRemoved(endpoint);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "after removing {0}: {1}", endpoint.name(), e.getMessage());
            }
        }
    }

    /** The whole state after a change: how the DNS names follow it. */
    void published(LiveState state) {
        changed.accept(List.copyOf(state.networks.values()), List.copyOf(state.endpoints.values()));
    }
}
