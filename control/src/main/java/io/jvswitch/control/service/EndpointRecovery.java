package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.DaemonState;
import io.jvswitch.control.model.EndpointIntent;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.netns.ResolvedNamespace;
import io.jvswitch.switching.port.Port;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Endpoints coming back: at a restart (their TAPs taken back, the attaches and detaches a {@code
 * kill -9} interrupted undone or finished), and Docker containers' endpoints when their container
 * returns.
 */
final class EndpointRecovery {
    private static final System.Logger LOG = System.getLogger("jvs.control");

    private final LiveState state;
    private final WaitingEndpoints waiting;
    private final EndpointWiring wiring;
    private final EndpointLifecycle lifecycle;
    private final EventFanOut events;

    EndpointRecovery(
            LiveState state,
            WaitingEndpoints waiting,
            EndpointWiring wiring,
            EndpointLifecycle lifecycle,
            EventFanOut events) {
        this.state = state;
        this.waiting = waiting;
        this.wiring = wiring;
        this.lifecycle = lifecycle;
        this.events = events;
    }

    /**
     * Brings back the saved endpoints whose containers still exist, taking back their persistent
     * TAPs. Endpoints whose container is gone are forgotten, their addresses freed, except a Docker
     * container's, which waits for it; so does one whose namespace is there but whose interface
     * could not be taken back (it may still hold its address). An endpoint with an intent has its change undone (an
     * attach) or finished (a detach): its interface removed, then it is forgotten.
     *
     * @return how many were restored
     */
    int restore(DaemonState saved) {
        final Map<String, EndpointIntent> intents =
                saved.intents().stream().collect(Collectors.toMap(EndpointIntent::endpoint, i -> i, (a, b) -> b));
        int restored = 0;
        for (EndpointRecord endpoint : saved.endpoints()) {
            final NetworkRecord network = state.networks.get(endpoint.network());
            if (network == null) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "forgetting endpoint {0}: network {1} is not in the state",
                        endpoint.name(),
                        endpoint.network());
                continue;
            }
            final EndpointIntent intent = intents.get(endpoint.id());
            if (intent != null) {
                state.reserveAddresses(endpoint);
                state.endpoints.put(endpoint.id(), endpoint);
                state.intents.put(endpoint.id(), intent);
                settle(network, endpoint, intent);
                continue;
            }
            try {
                final ResolvedNamespace namespace = wiring.namespaceOf(endpoint.target());
                final Port port = wiring.reopen(EndpointLifecycle.planFor(network, endpoint, namespace));
                state.reserveAddresses(endpoint);
                lifecycle.plug(network, endpoint, port, namespace);
                state.endpoints.put(endpoint.id(), endpoint);
                events.endpointAdded(network, endpoint);
                restored++;
            } catch (RuntimeException e) {
                // Its interface may still be in a namespace that is still there: it keeps its
                // addresses and is tried again, like a Docker container's that may come back. (A
                // Docker sandbox's namespace is the daemon's own until Docker mounts one: it says
                // nothing, and Docker's reconciliation settles those.)
                if ((WaitingEndpoints.comesBack(endpoint) || inNamespaceStillThere(endpoint))
                        && keepWaiting(endpoint, e.getMessage())) {
                    continue;
                }
                LOG.log(
                        System.Logger.Level.WARNING,
                        "forgetting endpoint {0} on {1}: {2}",
                        endpoint.name(),
                        endpoint.network(),
                        e.getMessage());
            }
        }
        return restored;
    }

    /**
     * Undoes an interrupted attach or finishes an interrupted detach: removes whatever of the
     * endpoint's interface exists (in its container, or half-made in the daemon's namespace), then
     * forgets it. While that cannot be done (a Docker container away: its namespace cannot be
     * entered, yet may come back with the interface), the endpoint keeps its addresses and its
     * intent, and waits for its container like the other endpoints of Docker containers.
     */
    private void settle(NetworkRecord network, EndpointRecord endpoint, EndpointIntent intent) {
        final String unsettled = trySettle(network, endpoint, intent);
        if (unsettled != null) {
            waiting.park(endpoint, what(intent) + " was interrupted and is not undone yet: " + unsettled);
        }
    }

    /** Settles the endpoint's intent: null when done, else why not. */
    private String trySettle(NetworkRecord network, EndpointRecord endpoint, EndpointIntent intent) {
        try {
            final ResolvedNamespace namespace = wiring.namespaceOf(endpoint.target());
            wiring.remove(EndpointLifecycle.planFor(network, endpoint, namespace));
        } catch (RuntimeException e) {
            if (WaitingEndpoints.comesBack(endpoint) || !namespaceGone(endpoint)) {
                return e.getMessage();
            }
            // a netns or process that is gone took its interfaces with it
        }
        lifecycle.forget(endpoint);
        LOG.log(
                System.Logger.Level.INFO,
                "{0} of {1} on {2} was interrupted: {3}, {4} free again",
                what(intent),
                endpoint.name(),
                endpoint.network(),
                intent.step() == EndpointIntent.Step.ATTACH ? "undone" : "finished",
                endpoint.addresses());
        return null;
    }

    /**
     * Looks again for the containers of waiting endpoints whose time has come, and attaches each one
     * found with its recorded options (name, address, MAC, aliases, published ports), or settles its
     * interrupted change.
     *
     * @return how many came back
     */
    int retryWaiting() {
        final long now = System.nanoTime();
        int back = 0;
        for (String id : waiting.ids()) {
            final EndpointRecord endpoint = state.endpoints.get(id);
            final NetworkRecord network = endpoint == null ? null : state.networks.get(endpoint.network());
            if (network == null) {
                waiting.remove(id);
                continue;
            }
            if (!waiting.isDue(id, now)) {
                continue;
            }
            final EndpointIntent intent = state.intents.get(id);
            if (intent != null) {
                final String unsettled = trySettle(network, endpoint, intent);
                if (unsettled == null) {
                    state.saveLive();
                    events.published(state);
                } else {
                    waiting.failedAgain(endpoint, unsettled, now);
                }
                continue;
            }
            try {
                final ResolvedNamespace namespace = wiring.namespaceOf(endpoint.target());
                final Port port = wiring.reopen(EndpointLifecycle.planFor(network, endpoint, namespace));
                try {
                    lifecycle.plug(network, endpoint, port, namespace);
                } catch (RuntimeException e) {
                    port.close();
                    throw e;
                }
                waiting.remove(id);
                events.endpointAdded(network, endpoint);
                back++;
                LOG.log(
                        System.Logger.Level.INFO,
                        "endpoint {0} on {1} is back: {2} attached again as {3} {4}",
                        endpoint.name(),
                        network.name(),
                        endpoint.target(),
                        endpoint.ifname(),
                        endpoint.addresses());
            } catch (RuntimeException e) {
                if (!WaitingEndpoints.comesBack(endpoint) && namespaceGone(endpoint)) {
                    // a netns or process that is gone took its interface with it
                    lifecycle.forget(endpoint);
                    state.saveLive();
                    events.published(state);
                    LOG.log(
                            System.Logger.Level.INFO,
                            "endpoint {0} on {1} is gone (its namespace was deleted): removed",
                            endpoint.name(),
                            endpoint.network());
                    continue;
                }
                waiting.failedAgain(endpoint, e.getMessage(), now);
            }
        }
        return back;
    }

    /** The engines of the Docker containers endpoints are attached to (null: the docker CLI's default). */
    Set<String> dockerEngines() {
        final Set<String> engines = new HashSet<>();
        state.endpoints.values().stream()
                .filter(WaitingEndpoints::comesBack)
                .forEach(e -> engines.add(e.target().engine()));
        return engines;
    }

    /**
     * A Docker container's endpoint whose container cannot be found now (the engine is not up yet,
     * the container is stopped or renamed): kept with its address, looked for again with backoff,
     * instead of being forgotten while its interface may still be in the container.
     */
    private boolean keepWaiting(EndpointRecord endpoint, String reason) {
        try {
            state.reserveAddresses(endpoint);
        } catch (RuntimeException e) {
            return false;
        }
        state.endpoints.put(endpoint.id(), endpoint);
        waiting.park(endpoint, reason);
        return true;
    }

    private boolean inNamespaceStillThere(EndpointRecord endpoint) {
        return endpoint.target().kind() != ContainerRef.Kind.DOCKER_SANDBOX && !namespaceGone(endpoint);
    }

    private boolean namespaceGone(EndpointRecord endpoint) {
        try {
            wiring.namespaceOf(endpoint.target());
            return false;
        } catch (RuntimeException e) {
            return true;
        }
    }

    private static String what(EndpointIntent intent) {
        return intent.step() == EndpointIntent.Step.ATTACH ? "the attach" : "the detach";
    }
}
