package io.jvswitch.control.service;

import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.netns.ResolvedNamespace;
import io.jvswitch.switching.port.Port;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Which endpoints are plugged into the dataplane: each one's slot, port and namespace, and the
 * endpoint name behind each slot (read without the service's lock by the capture writer).
 */
final class SlotDirectory {
    /** An endpoint's live presence in the dataplane, and the namespace it lives in. */
    record Attached(int slot, Port port, ResolvedNamespace namespace) {}

    /** By endpoint id; guarded by the service's lock. */
    private final Map<String, Attached> attached = new LinkedHashMap<>();
    /** Slot to endpoint name, read by the capture writer thread for every frame it writes. */
    private final Map<Integer, String> slotNames = new ConcurrentHashMap<>();

    void put(EndpointRecord endpoint, Attached live) {
        attached.put(endpoint.id(), live);
        slotNames.put(live.slot(), endpoint.name());
    }

    /** Takes the endpoint out of the directory; null when it was not plugged. */
    Attached remove(String endpointId) {
        final Attached live = attached.remove(endpointId);
        if (live != null) {
            slotNames.remove(live.slot());
        }
        return live;
    }

    Attached get(String endpointId) {
        return attached.get(endpointId);
    }

    /** The endpoint plugged at {@code slot}, or null. */
    String idOfSlot(int slot) {
        return attached.entrySet().stream()
                .filter(e -> e.getValue().slot() == slot)
                .map(Map.Entry::getKey)
                .findFirst()
                .orElse(null);
    }

    /** The endpoints whose container namespace no longer exists. */
    List<String> vanished() {
        return attached.entrySet().stream()
                .filter(e -> !e.getValue().namespace().stillExists())
                .map(Map.Entry::getKey)
                .toList();
    }

    String nameOfSlot(int slot) {
        return slotNames.get(slot);
    }

    int slotOf(EndpointRecord endpoint) {
        final Attached live = attached.get(endpoint.id());
        if (live == null) {
            throw ControlException.conflict("endpoint " + endpoint.name() + " is not plugged into the dataplane");
        }
        return live.slot();
    }

    int[] slotsOf(String name, List<EndpointRecord> matches) {
        requireOneContainer(name, matches);
        final int[] slots = matches.stream()
                .map(e -> attached.get(e.id()))
                .filter(Objects::nonNull)
                .mapToInt(Attached::slot)
                .toArray();
        if (slots.length == 0) {
            throw ControlException.conflict("endpoint " + name + " is not plugged into the dataplane");
        }
        return slots;
    }

    /**
     * An endpoint name is unique per network only: the same name on two networks may be two
     * different containers, and a command acting on "all of them" would hit a container it was not
     * meant for. Several networks of one container are fine (detach NAME leaves all of them).
     */
    void requireOneContainer(String name, List<EndpointRecord> matches) {
        final EndpointRecord first = matches.getFirst();
        final Attached firstLive = attached.get(first.id());
        for (EndpointRecord other : matches) {
            if (!sameContainer(other, first.target(), firstLive == null ? null : firstLive.namespace())) {
                throw ControlException.invalid(
                        "endpoint name " + name + " is ambiguous: it names different containers on networks "
                                + matches.stream().map(EndpointRecord::network).collect(Collectors.joining(", "))
                                + ": say which with --network");
            }
        }
    }

    /** Whether {@code endpoint} is in the container named {@code container}, found as {@code namespace} (may be null). */
    boolean sameContainer(EndpointRecord endpoint, ContainerRef container, ResolvedNamespace namespace) {
        if (endpoint.target().equals(container)) {
            return true;
        }
        if (container.kind() == ContainerRef.Kind.DOCKER_SANDBOX
                || endpoint.target().kind() == ContainerRef.Kind.DOCKER_SANDBOX) {
            // Docker names the sandbox, and its TAP is made in the daemon's own namespace before Docker
            // moves it: the namespace says nothing of which container a sandbox endpoint is in.
            return false;
        }
        final Attached live = attached.get(endpoint.id());
        return namespace != null
                && namespace.inode() >= 0
                && live != null
                && live.namespace().inode() == namespace.inode();
    }
}
