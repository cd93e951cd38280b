package io.jvswitch.control.cluster;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.EndpointMac;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.service.ApiException;
import io.jvswitch.control.service.NetworkScope.EndpointClaim;
import io.jvswitch.packet.MacAddress;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * An endpoint's cluster-wide claims on a global network: its address (durable, inside an address
 * block this host owns, claiming the next free block when its blocks are full), on a dual-stack
 * network its IPv6 address too (the same, from this host's IPv6 blocks), and its name (under the
 * lease), all in one transaction; and their withdrawal at detach, kept until the store answers
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
    private final AddressBlocks6 blocks6;
    /** Endpoints whose withdrawal waits for the store: endpoint key -> [network, name, ip or null, ip6 or null]. */
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
        this.blocks6 = new AddressBlocks6(writer, view, keys, options.hostName());
    }

    /**
     * The IPv6 address an endpoint will claim with its name ({@link #claim}), marked taken in {@code
     * pool6}: {@code requested} ({@code --ip6}) when no host holds it, else the lowest free one of
     * this host's IPv6 blocks (claiming the next block when they are full).
     */
    BigInteger chooseIpv6(NetworkRecord network, Ipv6Pool pool6, BigInteger requested) {
        final String what = "attach to global network " + network.name();
        membership.requireReachable(what);
        final long before = membership.totalRequests();
        try {
            if (requested != null) {
                reserve6(pool6, requested);
                final OwnerClaim owner = view.addresses6Of(network.name()).get(Ipv6Cidr.format(requested));
                if (owner != null) {
                    pool6.release(requested);
                    throw addressTaken(network, Ipv6Cidr.format(requested), owner);
                }
                return requested;
            }
            for (int attempt = 0; attempt < 256; attempt++) {
                final BigInteger candidate = blocks6.freeAddress(network, pool6);
                if (candidate != null) {
                    reserve6(pool6, candidate);
                    return candidate;
                }
                blocks6.claimBlock(network, pool6);
            }
        } catch (StoreUnavailableException e) {
            throw membership.unavailable(e, what);
        } finally {
            requestsInAttaches += membership.totalRequests() - before; // a block claimed: part of the attach
        }
        throw ApiException.conflict("no IPv6 address could be claimed on " + network.name() + " after 256 blocks");
    }

    private static void reserve6(Ipv6Pool pool6, BigInteger ip6) {
        try {
            pool6.reserve(ip6);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (IllegalStateException e) {
            throw ApiException.conflict(e.getMessage());
        }
    }

    int claim(NetworkRecord network, AddressPool pool, EndpointClaim claim) {
        final String what = "attach to global network " + network.name();
        membership.requireReachable(what);
        final long before = membership.totalRequests();
        try {
            return network.hasIpv4() ? claimInStore(network, pool, claim) : claimIpv6OnlyInStore(network, claim);
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
        return offer(network, "address", () -> blocks.freeAddress(network, heldHere), () -> blocks.claimBlock(network));
    }

    /** {@link #offer} for the IPv6 side of a dual-stack global network: from this host's IPv6 blocks. */
    BigInteger offer6(NetworkRecord network, Ipv6Pool heldHere) {
        return offer(
                network,
                "IPv6 address",
                () -> blocks6.freeAddress(network, heldHere),
                () -> blocks6.claimBlock(network, heldHere));
    }

    /**
     * The lowest free address of this host's blocks ({@code free}: null when they are full), claiming
     * the next block ({@code claimBlock}) when they are: one loop for both families.
     */
    private <A> A offer(NetworkRecord network, String which, Supplier<A> free, Runnable claimBlock) {
        final String what = "hand out an " + which + " on global network " + network.name();
        membership.requireReachable(what);
        try {
            for (int attempt = 0; attempt < 256; attempt++) {
                final A candidate = free.get();
                if (candidate != null) {
                    return candidate;
                }
                claimBlock.run();
            }
        } catch (StoreUnavailableException e) {
            throw membership.unavailable(e, what);
        }
        throw ApiException.conflict("no " + which + " could be offered on " + network.name() + " after 256 blocks");
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

    /**
     * One transaction: the address (durable; none on an IPv6-only network, {@code ip} null), the
     * IPv6 one when the claim has it (durable) and the name (under the lease), each only if absent.
     */
    private boolean tryClaim(NetworkRecord network, Integer ip, EndpointClaim claim) {
        final String text = ip == null ? null : Cidr.format(ip);
        final String text6 = claim.ip6() == null ? null : Ipv6Cidr.format(claim.ip6());
        final String endpointKey = keys.endpoint(network.name(), claim.name());
        final long mac = claim.requestedMac() != null
                ? claim.requestedMac()
                : ip != null ? EndpointMac.derive(ip) : EndpointMac.derive(claim.ip6());
        final OwnerClaim owner = new OwnerClaim(options.hostName(), claim.name());
        final EndpointAdvert advert = new EndpointAdvert(
                claim.name(), claim.aliases(), text, MacAddress.format(mac), options.hostName(), text6);
        final List<KeyValueStore.Compare> compares =
                new ArrayList<>(List.of(KeyValueStore.Compare.absent(endpointKey)));
        final List<KeyValueStore.Op> puts = new ArrayList<>(
                List.of(new KeyValueStore.Op.Put(endpointKey, StoreWriter.json(advert), membership.lease())));
        final List<KeyValueStore.Op> reads = new ArrayList<>(List.of(new KeyValueStore.Op.Get(endpointKey)));
        for (String addressKey : new String[] {
            text == null ? null : keys.address(network.name(), text),
            text6 == null ? null : keys.address6(network.name(), text6)
        }) {
            if (addressKey != null) {
                compares.add(KeyValueStore.Compare.absent(addressKey));
                puts.add(new KeyValueStore.Op.Put(addressKey, StoreWriter.json(owner), 0));
                reads.add(new KeyValueStore.Op.Get(addressKey));
            }
        }
        final KeyValueStore.TxnResult result = writer.txn(compares, puts, reads);
        if (result.succeeded()) {
            return true;
        }
        final EndpointAdvert other = StoreWriter.read(result.ranges().get(0), EndpointAdvert.class);
        if (other != null) {
            throw nameTaken(network, other);
        }
        if (text6 != null) {
            final OwnerClaim owner6 = StoreWriter.read(result.ranges().getLast(), OwnerClaim.class);
            if (owner6 != null) {
                throw addressTaken(network, text6, owner6);
            }
        }
        return false;
    }

    /**
     * The claim of an endpoint of an IPv6-only global network: its name and its IPv6 address (chosen
     * by {@link #chooseIpv6}) in one transaction; there is no IPv4 address, so it returns 0.
     */
    private int claimIpv6OnlyInStore(NetworkRecord network, EndpointClaim claim) {
        final EndpointAdvert taken = view.endpointsOf(network.name()).get(claim.name());
        if (taken != null && !taken.host().equals(options.hostName())) {
            throw nameTaken(network, taken);
        }
        if (claim.ip6() == null) {
            throw ApiException.badRequest(
                    "network " + network.name() + " is IPv6-only: the endpoint needs an IPv6 address");
        }
        if (!tryClaim(network, null, claim)) {
            throw ApiException.conflict("the name or IPv6 address of " + claim.name() + " on global network "
                    + network.name() + " was claimed by another host at the same moment: attach again");
        }
        return 0;
    }

    /**
     * Withdraws the name and the addresses (the IPv6 one as the advert or the store's claims name
     * it); when the store does not answer, later ({@link #flushReleases}).
     */
    void release(NetworkRecord network, AddressPool pool, String name, String ip) {
        if (ip != null) {
            pool.release(Cidr.parseAddress(ip));
        }
        final String endpointKey = keys.endpoint(network.name(), name);
        final String addressKey = ip == null ? null : keys.address(network.name(), ip);
        final EndpointAdvert advert = view.endpointsOf(network.name()).get(name);
        final OwnerClaim owner =
                ip == null ? null : view.addressesOf(network.name()).get(ip);
        final String ip6 = ipv6Of(network, name, advert);
        final List<KeyValueStore.Op> ops = new ArrayList<>();
        if (advert == null || advert.host().equals(options.hostName())) {
            ops.add(new KeyValueStore.Op.Delete(endpointKey, false));
            view.forget(endpointKey);
        }
        if (addressKey != null && (owner == null || owner.host().equals(options.hostName()))) {
            ops.add(new KeyValueStore.Op.Delete(addressKey, false));
            view.forget(addressKey);
        }
        if (ip6 != null) {
            final String address6Key = keys.address6(network.name(), ip6);
            ops.add(new KeyValueStore.Op.Delete(address6Key, false));
            view.forget(address6Key);
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
            pendingReleases.put(endpointKey, new String[] {network.name(), name, ip, ip6});
            LOG.log(
                    System.Logger.Level.WARNING,
                    "endpoint {0} on {1}: withdrawn when the cluster store answers again ({2})",
                    name,
                    network.name(),
                    e.getMessage());
        }
    }

    /** This host's IPv6 claim for the endpoint: as its advert says, else as the store's claims do. */
    private String ipv6Of(NetworkRecord network, String name, EndpointAdvert advert) {
        final Map<String, OwnerClaim> claims = view.addresses6Of(network.name());
        if (advert != null && advert.ip6() != null) {
            final OwnerClaim owner = claims.get(advert.ip6());
            return owner == null || owner.host().equals(options.hostName()) ? advert.ip6() : null;
        }
        for (Map.Entry<String, OwnerClaim> e : claims.entrySet()) {
            if (e.getValue().host().equals(options.hostName())
                    && name.equals(e.getValue().endpoint())) {
                return e.getKey();
            }
        }
        return null;
    }

    /** Sends the withdrawals that waited for the store. */
    void flushReleases() {
        for (Map.Entry<String, String[]> e : List.copyOf(pendingReleases.entrySet())) {
            final String[] r = e.getValue();
            final EndpointAdvert current = view.endpointsOf(r[0]).get(r[1]);
            final List<KeyValueStore.Op> ops = new ArrayList<>();
            if (r[2] != null) {
                ops.add(new KeyValueStore.Op.Delete(keys.address(r[0], r[2]), false));
            }
            if (r[3] != null) {
                ops.add(new KeyValueStore.Op.Delete(keys.address6(r[0], r[3]), false));
            }
            if (current == null || current.host().equals(options.hostName()) && Objects.equals(current.ip(), r[2])) {
                ops.add(new KeyValueStore.Op.Delete(e.getKey(), false));
            }
            writer.txn(List.of(), ops, List.of());
            pendingReleases.remove(e.getKey());
        }
    }

    private static ApiException nameTaken(NetworkRecord network, EndpointAdvert other) {
        return ApiException.conflict("an endpoint named " + other.name() + " is already on global network "
                + network.name() + " (host " + other.host() + ", " + other.address() + ")");
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
