package io.jvswitch.control.cluster;

import io.jvswitch.control.service.ApiException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * The hosts the store knows of ({@code jvs cluster hosts}): alive by their lease, or dead and still
 * holding durable blocks and addresses, which {@code jvs cluster host rm} reclaims (with the host's
 * saved state). Control thread.
 */
final class ClusterRoster {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    private final StoreWriter writer;
    private final ClusterView view;
    private final ClusterKeys keys;
    private final ClusterAgent.Options options;
    private final ClusterMembership membership;

    ClusterRoster(ClusterContext context) {
        this.writer = context.writer();
        this.view = context.view();
        this.keys = context.keys();
        this.options = context.options();
        this.membership = context.membership();
    }

    /** Every host the store knows of, alive or holding blocks. */
    List<Map<String, Object>> hosts() {
        final Set<String> names = new TreeSet<>(view.hosts.keySet());
        view.blocks.values().forEach(m -> m.values().forEach(c -> names.add(c.host())));
        view.addresses.values().forEach(m -> m.values().forEach(c -> names.add(c.host())));
        view.blocks6.values().forEach(m -> m.values().forEach(c -> names.add(c.host())));
        view.addresses6.values().forEach(m -> m.values().forEach(c -> names.add(c.host())));
        final List<Map<String, Object>> out = new ArrayList<>();
        for (String name : names) {
            final HostAdvert h = view.hosts.get(name);
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", name);
            row.put("address", h == null ? null : h.address());
            row.put("alive", h != null);
            row.put("since", h == null ? null : h.since());
            row.put("self", name.equals(options.hostName()));
            int endpoints = 0;
            for (Map<String, EndpointAdvert> m : view.endpoints.values()) {
                endpoints += (int)
                        m.values().stream().filter(e -> e.host().equals(name)).count();
            }
            row.put("endpoints", endpoints);
            final List<String> blocks = new ArrayList<>();
            view.blocks.forEach((network, m) -> m.forEach((cidr, c) -> {
                if (c.host().equals(name)) {
                    blocks.add(network + ":" + cidr);
                }
            }));
            view.blocks6.forEach((network, m) -> m.forEach((cidr, c) -> {
                if (c.host().equals(name)) {
                    blocks.add(network + ":" + cidr);
                }
            }));
            row.put("blocks", blocks);
            row.put("addresses", count(view.addresses, name));
            row.put("addresses6", count(view.addresses6, name)); // an IPv6-only network's endpoints have only these
            out.add(row);
        }
        return out;
    }

    private static int count(Map<String, Map<String, OwnerClaim>> claims, String host) {
        int n = 0;
        for (Map<String, OwnerClaim> m : claims.values()) {
            n += (int) m.values().stream().filter(c -> c.host().equals(host)).count();
        }
        return n;
    }

    /** Reclaims a dead host's blocks and addresses and removes its saved state; refused while it is alive. */
    Map<String, Object> remove(String name) {
        final String what = "remove host " + name;
        membership.requireReachable(what);
        try {
            return removeFromStore(name);
        } catch (StoreUnavailableException e) {
            throw membership.unavailable(e, what);
        }
    }

    /** The keys of the claims (network -> what -> owner) that {@code host} holds, added to {@code out}. */
    private static void held(
            Map<String, Map<String, OwnerClaim>> claims,
            String host,
            BiFunction<String, String, String> key,
            List<String> out) {
        claims.forEach((network, m) -> m.forEach((what, c) -> {
            if (c.host().equals(host)) {
                out.add(key.apply(network, what));
            }
        }));
    }

    private Map<String, Object> removeFromStore(String name) {
        if (view.hosts.containsKey(name)) {
            throw ApiException.conflict("host " + name + " is alive (its lease is held): stop its daemon first, "
                    + "then wait one TTL (" + options.ttlSeconds() + " s)");
        }
        final List<String> doomed = new ArrayList<>();
        held(view.blocks, name, keys::block, doomed);
        held(view.addresses, name, keys::address, doomed);
        held(view.blocks6, name, keys::block6, doomed);
        held(view.addresses6, name, keys::address6, doomed);
        final boolean savedState = writer.exists(keys.hostState(name));
        if (doomed.isEmpty() && !savedState) {
            throw ApiException.notFound("the cluster store has nothing of a host named " + name);
        }
        if (savedState) {
            doomed.add(keys.hostState(name)); // gone for good: nothing to restore it from
        }
        writer.deleteAll(doomed);
        LOG.log(
                System.Logger.Level.INFO,
                "host {0} removed: {1} keys reclaimed (its saved state {2})",
                name,
                doomed.size(),
                savedState ? "too" : "was not there");
        return Map.of("removed", name, "keys", doomed.size(), "stateRecord", savedState);
    }
}
