package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.EndpointRecord;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Endpoints of Docker containers kept while their container is away (stopped, restarting, the
 * engine not answering, at a restore or later), with why and when to look again: with backoff,
 * from {@link #FIRST_RETRY_NANOS} up to {@link #MAX_RETRY_NANOS}.
 */
final class WaitingEndpoints {
    /** First and shortest wait before looking again for a Docker container that is away. */
    static final long FIRST_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final System.Logger LOG = System.getLogger("jvs.control");

    /** Why an endpoint waits for its container, and when it is looked for again. */
    private record Waiting(String reason, long nextTryNanos, long backoffNanos) {}

    /** By endpoint id. */
    private final Map<String, Waiting> waiting = new LinkedHashMap<>();

    /** Docker containers come back (restart, restart policy); a netns or process does not. */
    static boolean comesBack(EndpointRecord endpoint) {
        return endpoint.target().kind() == ContainerRef.Kind.DOCKER;
    }

    void park(EndpointRecord endpoint, String reason) {
        waiting.put(endpoint.id(), new Waiting(reason, System.nanoTime() + FIRST_RETRY_NANOS, FIRST_RETRY_NANOS));
        LOG.log(
                System.Logger.Level.WARNING,
                "endpoint {0} on {1} waits for {2}: {3}",
                endpoint.name(),
                endpoint.network(),
                endpoint.target(),
                reason);
    }

    void remove(String endpointId) {
        waiting.remove(endpointId);
    }

    int size() {
        return waiting.size();
    }

    List<String> ids() {
        return List.copyOf(waiting.keySet());
    }

    boolean isDue(String endpointId, long now) {
        final Waiting w = waiting.get(endpointId);
        return w != null && now - w.nextTryNanos() >= 0;
    }

    /** Another try failed: wait longer, and say so when the reason changed. */
    void failedAgain(EndpointRecord endpoint, String reason, long now) {
        final Waiting w = waiting.get(endpoint.id());
        final long backoff = Math.min(w.backoffNanos() * 2, MAX_RETRY_NANOS);
        waiting.put(endpoint.id(), new Waiting(reason, now + backoff, backoff));
        if (!Objects.equals(reason, w.reason())) {
            LOG.log(
                    System.Logger.Level.INFO,
                    "endpoint {0} on {1} still waits: {2}",
                    endpoint.name(),
                    endpoint.network(),
                    reason);
        }
    }

    /** Makes the waiting endpoints of the container named {@code name} (or with id {@code id}) due now. */
    boolean dueNow(Map<String, EndpointRecord> endpoints, String name, String id) {
        boolean any = false;
        for (Map.Entry<String, Waiting> entry : waiting.entrySet()) {
            final EndpointRecord endpoint = endpoints.get(entry.getKey());
            final String ref = endpoint == null ? "" : endpoint.target().value();
            if (!ref.isEmpty() && (ref.equals(name) || id.startsWith(ref))) {
                entry.setValue(new Waiting(entry.getValue().reason(), System.nanoTime(), FIRST_RETRY_NANOS));
                any = true;
            }
        }
        return any;
    }

    Map<String, String> reasons() {
        final Map<String, String> out = new LinkedHashMap<>();
        waiting.forEach((id, w) -> out.put(id, w.reason()));
        return out;
    }
}
