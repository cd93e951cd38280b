package io.jvswitch.control.debug;

import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.service.ControlException;
import io.jvswitch.control.service.HostLink;
import io.jvswitch.control.service.NetworkService;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The ports a capture can name, beyond endpoints: the host link as {@code host:NAME} (jvs0 by
 * default) and an overlay network's tunnel port as {@code vxlan:NETWORK}. Resolves those names to
 * dataplane slots, and slots back to names for the captured records.
 */
public final class CaptureTargets {
    public static final String HOST_PREFIX = "host:";
    public static final String TUNNEL_PREFIX = "vxlan:";

    private static final long TUNNEL_NAMES_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final NetworkService service;
    private final HostLink hostLink;
    private volatile Map<Integer, String> tunnels;
    private volatile long tunnelsAt;

    /** {@code hostLink} may be null: a daemon without one. */
    public CaptureTargets(NetworkService service, HostLink hostLink) {
        this.service = service;
        this.hostLink = hostLink;
    }

    /** The slots a capture target names; {@code network} narrows an endpoint name to one network. */
    public int[] slotsOf(String target, String network) {
        if (target.startsWith(HOST_PREFIX)) {
            final String name = target.substring(HOST_PREFIX.length());
            if (hostLink == null || !hostLink.name().equals(name) || hostLink.slot() < 0) {
                throw ControlException.notFound("no host link named " + name
                        + (hostLink == null ? " (this daemon runs without one)" : " (it is " + hostLink.name() + ")"));
            }
            return new int[] {hostLink.slot()};
        }
        if (target.startsWith(TUNNEL_PREFIX)) {
            return new int[] {service.tunnelSlotOf(target.substring(TUNNEL_PREFIX.length()))};
        }
        return service.slotsOf(target, network);
    }

    /**
     * The name of the port in {@code slot}, or null. Any thread; called per captured record, so the
     * tunnel ports' names are looked up at most once a second (a slot is reused only after its port
     * was unplugged: a name can lag that by a second, never the frames).
     */
    public String nameOfSlot(int slot) {
        final String endpoint = service.nameOfSlot(slot);
        if (endpoint != null) {
            return endpoint;
        }
        if (hostLink != null && hostLink.slot() == slot) {
            return HOST_PREFIX + hostLink.name();
        }
        return tunnelNames().get(slot);
    }

    private Map<Integer, String> tunnelNames() {
        final long now = System.nanoTime();
        Map<Integer, String> names = tunnels;
        if (names == null || now - tunnelsAt > TUNNEL_NAMES_TTL_NANOS) {
            final Map<Integer, String> fresh = new HashMap<>();
            for (NetworkRecord network : service.networks()) {
                if (network.spansHosts()) {
                    try {
                        fresh.put(service.tunnelSlotOf(network.name()), TUNNEL_PREFIX + network.name());
                    } catch (ControlException gone) {
                        // removed meanwhile
                    }
                }
            }
            names = Map.copyOf(fresh);
            tunnels = names;
            tunnelsAt = now;
        }
        return names;
    }
}
