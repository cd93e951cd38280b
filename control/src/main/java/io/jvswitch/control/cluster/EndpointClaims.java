package io.jvswitch.control.cluster;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.EndpointMac;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.service.ApiException;
import io.jvswitch.control.service.NetworkScope.EndpointClaim;
import io.jvswitch.packet.MacAddress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An endpoint's cluster-wide claims on a global network: its address (durable, inside an address
 * block this host owns, claiming the next free block when its blocks are full) and its name (under
 * the lease), both in one transaction; and their withdrawal at detach, kept until the store answers
 * when it does not. Control thread only.
 */
final class EndpointClaims {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    private final StoreWriter writer;
    private final ClusterView view;
    private final ClusterKeys keys;
    private final ClusterAgent.Options options;
    private final ClusterMembership membership;
    private final AddressBlocks blocks;
    /** Endpoints whose withdrawal waits for the store: endpoint key -> [network, name, ip]. */
    private final Map<String, String[]> pendingReleases = new LinkedHashMap<>();

    private long attaches;
    private long requestsInAttaches;

    EndpointClaims(ClusterContext context) {
        this.writer = context.writer();
        this.view = context.view();
        this.keys = context.keys();
        this.options = context.options();
        this.membership = context.membership();
        this.blocks = new AddressBlocks(writer, view, keys, options.hostName());
    }

    int claim(NetworkRecord network, AddressPool pool, EndpointClaim claim) {
        final String what = "attach to global network " + network.name();
        membership.requireReachable(what);
        final long before = membership.totalRequests();
        try {
            return claimInStore(network, pool, claim);
        } catch (StoreUnavailableException e) {
            throw membership.unavailable(e, what);
        } finally {
            attaches++;
            requestsInAttaches += membership.totalRequests() - before;
        }
    }

    /**
     * A free address of this host's blocks of a global network (claiming the next block when they are
     * full) that {@code heldHere} does not hold either. The address itself is not claimed: the
     * endpoint's attach claims it with its name, and no other host hands out addresses of this host's
     * blocks.
     */
    int offer(NetworkRecord network, AddressPool heldHere) {
        final String what = "hand out an address on global network " + network.name();
        membership.requireReachable(what);
        try {
            for (int attempt = 0; attempt < 256; attempt++) {
                final Integer candidate = blocks.freeAddress(network, heldHere);
                if (candidate != null) {
                    return candidate;
                }
                blocks.claimBlock(network);
            }
        } catch (StoreUnavailableException e) {
            throw membership.unavailable(e, what);
        }
        throw ApiException.conflict("no address could be offered on " + network.name() + " after 256 blocks");
    }

    /** The store's claim first, then the local pool's mark; a requested address is checked here first. */
    private int claimInStore(NetworkRecord network, AddressPool pool, EndpointClaim claim) {
        if (claim.requestedIp() != null) {
            try {
                pool.reserve(claim.requestedIp()); // valid in this subnet, and not taken here
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(e.getMessage());
            } catch (IllegalStateException e) {
                throw ApiException.conflict(e.getMessage());
            }
            try {
                return claimAddressInStore(network, pool, claim);
            } catch (RuntimeException e) {
                pool.release(claim.requestedIp());
                throw e;
            }
        }
        final int ip = claimAddressInStore(network, pool, claim);
        pool.reserve(ip);
        return ip;
    }

    private int claimAddressInStore(NetworkRecord network, AddressPool pool, EndpointClaim claim) {
        final EndpointAdvert taken = view.endpointsOf(network.name()).get(claim.name());
        if (taken != null && !taken.host().equals(options.hostName())) {
            throw nameTaken(network, taken);
        }
        if (claim.requestedIp() != null) {
            final OwnerClaim owner = view.addressesOf(network.name()).get(Cidr.format(claim.requestedIp()));
            if (owner != null) {
                throw addressTaken(network, Cidr.format(claim.requestedIp()), owner);
            }
            if (!tryClaim(network, claim.requestedIp(), claim)) {
                final OwnerClaim now = view.addressesOf(network.name()).get(Cidr.format(claim.requestedIp()));
                throw addressTaken(
                        network, Cidr.format(claim.requestedIp()), now == null ? new OwnerClaim("?", "?") : now);
            }
            return claim.requestedIp();
        }
        for (int attempt = 0; attempt < 256; attempt++) {
            final Integer candidate = blocks.freeAddress(network, pool);
            if (candidate == null) {
                blocks.claimBlock(network);
                continue;
            }
            if (tryClaim(network, candidate, claim)) {
                return candidate;
            }
        }
        throw ApiException.conflict("no address could be claimed on " + network.name() + " after 256 attempts");
    }

    /** One transaction: the address (durable) and the name (under the lease), both only if absent. */
    private boolean tryClaim(NetworkRecord network, int ip, EndpointClaim claim) {
        final String text = Cidr.format(ip);
        final String addressKey = keys.address(network.name(), text);
        final String endpointKey = keys.endpoint(network.name(), claim.name());
        final long mac = claim.requestedMac() != null ? claim.requestedMac() : EndpointMac.derive(ip);
        final OwnerClaim owner = new OwnerClaim(options.hostName(), claim.name());
        final EndpointAdvert advert =
                new EndpointAdvert(claim.name(), claim.aliases(), text, MacAddress.format(mac), options.hostName());
        final KeyValueStore.TxnResult result = writer.txn(
                List.of(KeyValueStore.Compare.absent(addressKey), KeyValueStore.Compare.absent(endpointKey)),
                List.of(
                        new KeyValueStore.Op.Put(addressKey, StoreWriter.json(owner), 0),
                        new KeyValueStore.Op.Put(endpointKey, StoreWriter.json(advert), membership.lease())),
                List.of(new KeyValueStore.Op.Get(addressKey), new KeyValueStore.Op.Get(endpointKey)));
        if (result.succeeded()) {
            return true;
        }
        final EndpointAdvert other = StoreWriter.read(result.ranges().get(1), EndpointAdvert.class);
        if (other != null) {
            throw nameTaken(network, other);
        }
        return false;
    }

    /** Withdraws the name and the address; when the store does not answer, later ({@link #flushReleases}). */
    void release(NetworkRecord network, AddressPool pool, String name, String ip) {
        pool.release(Cidr.parseAddress(ip));
        final String endpointKey = keys.endpoint(network.name(), name);
        final String addressKey = keys.address(network.name(), ip);
        final EndpointAdvert advert = view.endpointsOf(network.name()).get(name);
        final OwnerClaim owner = view.addressesOf(network.name()).get(ip);
        final List<KeyValueStore.Op> ops = new ArrayList<>();
        if (advert == null || advert.host().equals(options.hostName())) {
            ops.add(new KeyValueStore.Op.Delete(endpointKey, false));
            view.forget(endpointKey);
        }
        if (owner == null || owner.host().equals(options.hostName())) {
            ops.add(new KeyValueStore.Op.Delete(addressKey, false));
            view.forget(addressKey);
        }
        if (ops.isEmpty()) {
            return;
        }
        try {
            if (!membership.reachable()) {
                throw new StoreUnavailableException("unreachable", null);
            }
            writer.txn(List.of(), ops, List.of());
        } catch (RuntimeException e) {
            pendingReleases.put(endpointKey, new String[] {network.name(), name, ip});
            LOG.log(
                    System.Logger.Level.WARNING,
                    "endpoint {0} on {1}: withdrawn when the cluster store answers again ({2})",
                    name,
                    network.name(),
                    e.getMessage());
        }
    }

    /** Sends the withdrawals that waited for the store. */
    void flushReleases() {
        for (Map.Entry<String, String[]> e : List.copyOf(pendingReleases.entrySet())) {
            final String[] r = e.getValue();
            final EndpointAdvert current = view.endpointsOf(r[0]).get(r[1]);
            final List<KeyValueStore.Op> ops = new ArrayList<>();
            ops.add(new KeyValueStore.Op.Delete(keys.address(r[0], r[2]), false));
            if (current == null
                    || current.host().equals(options.hostName()) && current.ip().equals(r[2])) {
                ops.add(new KeyValueStore.Op.Delete(e.getKey(), false));
            }
            writer.txn(List.of(), ops, List.of());
            pendingReleases.remove(e.getKey());
        }
    }

    private static ApiException nameTaken(NetworkRecord network, EndpointAdvert other) {
        return ApiException.conflict("an endpoint named " + other.name() + " is already on global network "
                + network.name() + " (host " + other.host() + ", " + other.ip() + ")");
    }

    private static ApiException addressTaken(NetworkRecord network, String ip, OwnerClaim owner) {
        return ApiException.conflict("address " + ip + " on global network " + network.name() + " is in use by host "
                + owner.host() + (owner.endpoint() == null ? "" : " (endpoint " + owner.endpoint() + ")"));
    }

    /** The claims' part of {@code jvs cluster status}. */
    void status(Map<String, Object> out) {
        out.put("attaches", attaches);
        out.put("requestsPerAttach", attaches == 0 ? null : Math.round(10.0 * requestsInAttaches / attaches) / 10.0);
        out.put("pendingWithdrawals", pendingReleases.size());
    }
}
