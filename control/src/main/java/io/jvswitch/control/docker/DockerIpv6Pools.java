package io.jvswitch.control.docker;

import io.jvswitch.control.ipam.DefaultIpv6Pools;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.NetworkRecord;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The IPv6 side of the jvs IPAM driver ({@code docker network create --ipv6}): pools asked for by
 * an IPv6 subnet, or without one the first free /64 of jvs's default IPv6 pools, with the gateway
 * and each endpoint's address handed out from them. As for IPv4, a pool's id is its subnet (an
 * identical request shares the pool, counted) and an overlapping one is refused. {@link DockerIpam}
 * owns the file and the bound on pools; this class only keeps the IPv6 pools. Called on the control
 * thread only.
 *
 * <p>A pool can stand for the IPv6 side of an existing dual-stack jvs network (a Docker network
 * made with {@code -o jvs.network=NAME}, as {@link DockerIpam}'s IPv4 pools can): its subnet and
 * gateway are the network's, and its addresses ones that no endpoint of the network holds; on a
 * global network they come from this host's IPv6 blocks in the cluster store, as the IPv4 ones do.
 */
final class DockerIpv6Pools {
    /** IPv6 subnets Docker's pools must not overlap: jvs's own networks' and the host's routes. */
    private final Supplier<List<Ipv6Cidr>> subnetsInUse;
    /** A jvs network by name (refused when there is none). */
    private final Function<String, NetworkRecord> networkNamed;
    /** The IPv6 addresses a jvs network's endpoints hold; a global network's from the cluster store. */
    private final JvsNetworkAddresses networks;

    private final Map<String, Pool> pools = new LinkedHashMap<>();

    private static final class Pool {
        final Ipv6Cidr subnet;
        /** The existing jvs network the pool stands for; null for a pool of its own. */
        final String network;
        /** The addresses handed out to Docker, and the gateway. */
        Ipv6Pool addresses;

        int references;

        Pool(Ipv6Cidr subnet, String network, Ipv6Pool addresses, int references) {
            this.subnet = subnet;
            this.network = network;
            this.addresses = addresses;
            this.references = references;
        }
    }

    DockerIpv6Pools(
            Supplier<List<Ipv6Cidr>> subnetsInUse,
            Function<String, NetworkRecord> networkNamed,
            JvsNetworkAddresses networks) {
        this.subnetsInUse = subnetsInUse;
        this.networkNamed = networkNamed;
        this.networks = networks;
    }

    /** Whether a pool id or a saved subnet is of this family. */
    static boolean isIpv6(String poolIdOrSubnet) {
        return Ipv6Cidr.looksLikeIpv6(poolIdOrSubnet);
    }

    void load(DockerIpam.SavedPool saved) {
        final Ipv6Cidr subnet = Ipv6Cidr.parse(saved.subnet(), "subnet");
        final Ipv6Pool addresses =
                new Ipv6Pool(subnet, Ipv6Cidr.parseAddress(saved.gateway(), "gateway"), null, Map.of());
        saved.addresses().forEach(a -> addresses.reserve(Ipv6Cidr.parseAddress(a, "address")));
        pools.put(subnet.toString(), new Pool(subnet, saved.network(), addresses, saved.references()));
    }

    int size() {
        return pools.size();
    }

    List<String> poolIds() {
        return List.copyOf(pools.keySet());
    }

    /**
     * @param subnet the IPv6 subnet asked for, or empty for the first free default /64
     * @param network the dual-stack jvs network the pool stands for (its subnet checked by the
     *     caller), or null for a pool of its own
     * @param room whether the driver may hold one more pool
     * @return the pool's id, which is its subnet
     */
    Ipv6Cidr requestPool(String subnet, NetworkRecord network, boolean room) {
        final Ipv6Cidr wanted;
        try {
            if (network != null) {
                wanted = Ipv6Cidr.parse(network.ipv6().subnet(), "subnet");
            } else if (subnet == null || subnet.isEmpty()) {
                final List<Ipv6Cidr> inUse = new ArrayList<>(subnetsInUse.get());
                pools.values().forEach(p -> inUse.add(p.subnet));
                wanted = DefaultIpv6Pools.pick(inUse);
            } else {
                wanted = Ipv6Cidr.parse(subnet, "subnet");
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new PluginException(e.getMessage());
        }
        final Pool same = pools.get(wanted.toString());
        if (same != null && network != null && !network.name().equals(same.network)) {
            throw new PluginException("subnet " + wanted + " is already a pool of the jvs IPAM driver"
                    + (same.network == null ? "" : ", for jvs network " + same.network));
        }
        if (same != null) {
            same.references++;
            return wanted;
        }
        for (Pool other : pools.values()) {
            if (other.subnet.overlaps(wanted)) {
                throw new PluginException(
                        "subnet " + wanted + " overlaps " + other.subnet + ", already a pool of the jvs IPAM driver");
            }
        }
        for (Ipv6Cidr other : subnetsInUse.get()) {
            if (network == null && other.overlaps(wanted)) {
                throw new PluginException("subnet " + wanted + " overlaps " + other + ", already in use on this host");
            }
        }
        if (!room) {
            throw new PluginException("the jvs IPAM driver holds " + DockerIpam.MAX_POOLS + " pools, its limit");
        }
        try {
            final BigInteger gateway = network == null
                    ? null
                    : Ipv6Cidr.parseAddress(network.ipv6().gateway(), "gateway");
            pools.put(
                    wanted.toString(),
                    new Pool(
                            wanted,
                            network == null ? null : network.name(),
                            new Ipv6Pool(wanted, gateway, null, Map.of()),
                            1));
        } catch (IllegalArgumentException e) {
            throw new PluginException(e.getMessage());
        }
        return wanted;
    }

    /** @return whether the pool was held here (a repeated release finds none) */
    boolean releasePool(String poolId) {
        final Pool pool = pools.get(poolId);
        if (pool == null) {
            return false;
        }
        if (--pool.references <= 0) {
            pools.remove(poolId);
        }
        return true;
    }

    /**
     * @param address {@code --ip6} or the IPv6 {@code --gateway}, or empty for the lowest free one
     * @return the address with the pool's prefix length, e.g. {@code fd00:30::2/64}
     */
    String requestAddress(String poolId, String address, boolean gateway) {
        final Pool pool = pools.get(poolId);
        if (pool == null) {
            throw new PluginException("no pool " + poolId + " in the jvs IPAM driver");
        }
        final BigInteger ip;
        try {
            if (gateway) {
                ip = pool.network == null ? gateway(pool, address) : networkGateway(pool, address);
            } else if ((address == null || address.isEmpty()) && pool.network != null) {
                ip = offer(pool);
            } else if (address == null || address.isEmpty()) {
                ip = pool.addresses.allocate();
            } else {
                ip = Ipv6Cidr.parseAddress(address, "address");
                pool.addresses.reserve(ip);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new PluginException(e.getMessage() + " (pool " + pool.subnet + " of the jvs IPAM driver)");
        }
        return Ipv6Cidr.format(ip) + "/" + pool.subnet.prefixLength();
    }

    /** @return whether an endpoint's address was released (false: no such pool, or the gateway) */
    boolean releaseAddress(String poolId, String address) {
        final Pool pool = pools.get(poolId);
        if (pool == null || address == null || address.isEmpty()) {
            return false;
        }
        final BigInteger ip;
        try {
            ip = Ipv6Cidr.parseAddress(address.replaceAll("/.*", ""), "address");
        } catch (IllegalArgumentException e) {
            return false; // not an IPv6 address: nothing of this pool's was handed out
        }
        if (ip.equals(pool.addresses.gateway()) || !pool.addresses.inUse(ip)) {
            return false; // the gateway stays the pool's until the pool goes
        }
        pool.addresses.release(ip);
        return true;
    }

    /** The endpoints' addresses held in a pool (not its gateway), ascending; null for no such pool. */
    List<String> addresses(String poolId) {
        final Pool pool = pools.get(poolId);
        return pool == null
                ? null
                : pool.addresses.allocated().stream().map(Ipv6Cidr::format).toList();
    }

    List<DockerIpam.SavedPool> saved() {
        final List<DockerIpam.SavedPool> saved = new ArrayList<>();
        for (Pool p : pools.values()) {
            saved.add(new DockerIpam.SavedPool(
                    p.subnet.toString(),
                    Ipv6Cidr.format(p.addresses.gateway()),
                    p.references,
                    p.addresses.allocated().stream().map(Ipv6Cidr::format).toList(),
                    p.network));
        }
        return saved;
    }

    /** The jvs network a pool stands for, or null for a pool of its own (or no such pool). */
    String networkOfPool(String poolId) {
        final Pool pool = pools.get(poolId);
        return pool == null ? null : pool.network;
    }

    /**
     * An address of a jvs network's pool that neither Docker nor the network's endpoints hold, taken:
     * on a global network one of this host's IPv6 blocks offers (as for IPv4), else the lowest.
     */
    private BigInteger offer(Pool pool) {
        final NetworkRecord network = networkNamed.apply(pool.network);
        if (network.clusterWide()) {
            final BigInteger ip = networks.offerIpv6(network, pool.addresses);
            pool.addresses.reserve(ip);
            return ip;
        }
        final Set<BigInteger> held = networks.ipv6Held(network);
        final List<BigInteger> skipped = new ArrayList<>();
        try {
            while (true) {
                final BigInteger ip = pool.addresses.allocate();
                if (!held.contains(ip)) {
                    return ip;
                }
                skipped.add(ip); // bounded: each is one of the network's endpoints
            }
        } finally {
            skipped.forEach(pool.addresses::release);
        }
    }

    /** A pool that is a jvs network's has that network's gateway, and no other. */
    private static BigInteger networkGateway(Pool pool, String address) {
        if (address != null
                && !address.isEmpty()
                && !Ipv6Cidr.parseAddress(address, "gateway").equals(pool.addresses.gateway())) {
            throw new IllegalArgumentException("the IPv6 gateway of jvs network " + pool.network + " is "
                    + Ipv6Cidr.format(pool.addresses.gateway()) + ", not " + address);
        }
        return pool.addresses.gateway();
    }

    /** The gateway: the pool's first address after the anycast one, or the one asked for while no endpoint holds one. */
    private static BigInteger gateway(Pool pool, String address) {
        if (address == null || address.isEmpty()) {
            return pool.addresses.gateway();
        }
        final BigInteger ip = Ipv6Cidr.parseAddress(address, "gateway");
        if (!ip.equals(pool.addresses.gateway())) {
            if (pool.addresses.allocatedCount() > 0) {
                throw new IllegalStateException("the pool's gateway is " + Ipv6Cidr.format(pool.addresses.gateway())
                        + " and endpoints hold addresses: cannot move it to " + address);
            }
            pool.addresses = new Ipv6Pool(pool.subnet, ip, null, Map.of());
        }
        return ip;
    }
}
