package io.jvswitch.control.cluster;

import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.service.NetworkService;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Publishes this host's endpoints on global networks with their addresses and names, as after a
 * restart or an expired lease, and frees the claims of endpoints that are gone. One held by another
 * host meanwhile is a conflict, reported, not taken over. Control thread only.
 */
final class ClusterPublication {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    private final StoreWriter writer;
    private final ClusterView view;
    private final ClusterKeys keys;
    private final ClusterAgent.Options options;
    private final ClusterMembership membership;
    private final Consumer<String> conflicts;

    ClusterPublication(ClusterContext context, Consumer<String> conflicts) {
        this.writer = context.writer();
        this.view = context.view();
        this.keys = context.keys();
        this.options = context.options();
        this.membership = context.membership();
        this.conflicts = conflicts;
    }

    void republish(NetworkService service) {
        for (EndpointRecord e : service.endpoints()) {
            final NetworkRecord network = service.networkOrNull(e.network());
            if (network == null || !network.clusterWide()) {
                continue;
            }
            if ((e.hasIpv4() && !claimAgain(keys.address(e.network(), e.ipv4()), "address " + e.ipv4(), e))
                    || (e.ipv6() != null
                            && !claimAgain(keys.address6(e.network(), e.ipv6()), "IPv6 address " + e.ipv6(), e))) {
                continue;
            }
            final String endpointKey = keys.endpoint(e.network(), e.name());
            final EndpointAdvert advert =
                    new EndpointAdvert(e.name(), e.aliases(), e.ipv4(), e.mac(), options.hostName(), e.ipv6());
            final KeyValueStore.TxnResult name = writer.putIfAbsent(endpointKey, advert, membership.lease());
            if (!name.succeeded()) {
                final EndpointAdvert other = StoreWriter.read(name.ranges().getFirst(), EndpointAdvert.class);
                if (other != null && !options.hostName().equals(other.host())) {
                    conflicts.accept("endpoint name " + e.name() + " on " + e.network() + " is taken by host "
                            + other.host() + " (" + other.address() + ")");
                    continue;
                }
                // ours, from before: under the new lease
                writer.put(endpointKey, advert, membership.lease());
            }
        }
        releaseOrphans(service);
    }

    /** One of the endpoint's addresses claimed again; false (a conflict, reported) when another host holds it. */
    private boolean claimAgain(String key, String what, EndpointRecord e) {
        final KeyValueStore.TxnResult address =
                writer.putIfAbsent(key, new OwnerClaim(options.hostName(), e.name()), 0);
        if (!address.succeeded()) {
            final OwnerClaim owner = StoreWriter.read(address.ranges().getFirst(), OwnerClaim.class);
            if (owner != null && !options.hostName().equals(owner.host())) {
                conflicts.accept(what + " of endpoint " + e.name() + " on " + e.network() + " is held by host "
                        + owner.host() + " (endpoint " + owner.endpoint() + ")");
                return false;
            }
        }
        return true;
    }

    /**
     * Frees what the store says this host holds on global networks and no endpoint here uses any
     * more: addresses of containers that went while the daemon was down (its restore forgot them),
     * name claims left from before a restart. This host is the only one that frees its own.
     */
    private void releaseOrphans(NetworkService service) {
        final Set<String> used = new HashSet<>();
        for (EndpointRecord e : service.endpoints()) {
            if (e.hasIpv4()) {
                used.add(keys.address(e.network(), e.ipv4()));
            }
            used.add(keys.endpoint(e.network(), e.name()));
            if (e.ipv6() != null) {
                used.add(keys.address6(e.network(), e.ipv6()));
            }
        }
        final List<String> doomed = new ArrayList<>();
        for (NetworkRecord network : service.networks()) {
            if (!network.clusterWide()) {
                continue;
            }
            view.addressesOf(network.name()).forEach((ip, owner) -> {
                final String key = keys.address(network.name(), ip);
                if (owner.host().equals(options.hostName()) && !used.contains(key)) {
                    doomed.add(key);
                }
            });
            view.addresses6Of(network.name()).forEach((ip, owner) -> {
                final String key = keys.address6(network.name(), ip);
                if (owner.host().equals(options.hostName()) && !used.contains(key)) {
                    doomed.add(key);
                }
            });
            view.endpointsOf(network.name()).forEach((name, advert) -> {
                final String key = keys.endpoint(network.name(), name);
                if (advert.host().equals(options.hostName()) && !used.contains(key)) {
                    doomed.add(key);
                }
            });
        }
        if (writer.deleteAll(doomed) > 0) {
            LOG.log(System.Logger.Level.INFO, "freed {0} claims no endpoint here uses any more", doomed.size());
        }
    }
}
