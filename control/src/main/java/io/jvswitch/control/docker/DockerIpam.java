package io.jvswitch.control.docker;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.DefaultPools;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.NetworkRecord;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Docker's remote IPAM driver as jvs runs it on one host: pools of addresses Docker asks for by
 * subnet, with the gateway and each endpoint's address handed out from them. A pool's id is its
 * subnet, so an identical request gets the same pool back (counted); an overlapping one is
 * refused. Kept in its own file beside the daemon's state, written whole and renamed over the old
 * one, so a restarted daemon hands out no address twice. Called on the control thread only.
 *
 * <p>A pool can also stand for an existing jvs network ({@code --ipam-opt jvs.network=NAME}, or a
 * {@code --subnet} that is exactly a jvs network's), for a Docker network attached onto it with
 * {@code -o jvs.network=NAME}: its gateway is the network's, and its addresses are ones no endpoint
 * of the network holds; on a global network they come from this host's blocks in the cluster store
 * ({@link JvsNetworkAddresses}), so no two hosts hand out the same one; its IPv6 side's ({@code
 * --ipv6}) from this host's IPv6 blocks, the same way.
 *
 * <p>IPv6 pools ({@code --ipv6}) are {@link DockerIpv6Pools}'s, kept in the same file; their ids
 * are IPv6 subnets, so every call after RequestPool finds its family by the pool id.
 */
public final class DockerIpam {
    public static final String LOCAL_ADDRESS_SPACE = "jvs-local";
    public static final String GLOBAL_ADDRESS_SPACE = "jvs-global";
    /** Docker's option that marks a RequestAddress for the network's gateway. */
    static final String REQUEST_ADDRESS_TYPE = "RequestAddressType";

    static final String GATEWAY_REQUEST = "com.docker.network.gateway";
    /** Most pools at once: a table bound; Docker asks for one per network. */
    static final int MAX_POOLS = 1024;
    /** The IPAM option ({@code --ipam-opt}) that makes a pool an existing jvs network's. */
    static final String JVS_NETWORK = "jvs.network";

    private final JsonStateFile<Saved> file;
    /** Subnets Docker's pools must not overlap: jvs's own networks and this host's routes. */
    private final Supplier<List<Cidr>> subnetsInUse;

    private final JvsNetworkAddresses networks;

    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final DockerIpv6Pools pools6;

    /**
     * A pool as saved: its subnet, gateway, how many networks hold it, its endpoints' addresses, and
     * the jvs network it stands for (null: a pool of its own).
     */
    public record SavedPool(String subnet, String gateway, int references, List<String> addresses, String network) {}

    /** The file's content. */
    public record Saved(int version, List<SavedPool> pools) {}

    private static final class Pool {
        final Cidr subnet;
        /** The existing jvs network the pool stands for; null for a pool of its own. */
        final String network;
        /** The addresses handed out to Docker (and for a pool of its own, its gateway). */
        AddressPool addresses;

        int references;

        Pool(Cidr subnet, String network, AddressPool addresses, int references) {
            this.subnet = subnet;
            this.network = network;
            this.addresses = addresses;
            this.references = references;
        }
    }

    public DockerIpam(Path stateDir, ObjectMapper json, Supplier<List<Cidr>> subnetsInUse) {
        this(stateDir, json, subnetsInUse, List::of, JvsNetworkAddresses.NONE);
    }

    public DockerIpam(
            Path stateDir, ObjectMapper json, Supplier<List<Cidr>> subnetsInUse, JvsNetworkAddresses networks) {
        this(stateDir, json, subnetsInUse, List::of, networks);
    }

    /**
     * @param subnetsInUse IPv4 subnets a pool must not overlap (jvs networks, the host's routes)
     * @param subnets6InUse IPv6 subnets a pool must not overlap (jvs networks')
     */
    public DockerIpam(
            Path stateDir,
            ObjectMapper json,
            Supplier<List<Cidr>> subnetsInUse,
            Supplier<List<Ipv6Cidr>> subnets6InUse,
            JvsNetworkAddresses networks) {
        this.file = new JsonStateFile<>(stateDir, "docker-ipam.json", json, Saved.class);
        this.subnetsInUse = subnetsInUse;
        this.networks = networks;
        this.pools6 = new DockerIpv6Pools(subnets6InUse, this::requireNetwork, networks);
    }

    /** Reads the saved pools; a corrupt file stops the daemon rather than hand out addresses twice. */
    public void load() {
        final Saved saved = file.read();
        if (saved == null) {
            return;
        }
        for (SavedPool p : saved.pools()) {
            if (DockerIpv6Pools.isIpv6(p.subnet())) {
                pools6.load(p);
                continue;
            }
            final Cidr subnet = Cidr.parse(p.subnet());
            final AddressPool addresses = AddressPool.builder(subnet)
                    .gateway(Cidr.parseAddress(p.gateway()))
                    .build();
            p.addresses().forEach(a -> addresses.reserve(Cidr.parseAddress(a)));
            pools.put(subnet.toString(), new Pool(subnet, p.network(), addresses, p.references()));
        }
    }

    public List<String> poolIds() {
        final List<String> ids = new ArrayList<>(pools.keySet());
        ids.addAll(pools6.poolIds());
        return ids;
    }

    /**
     * @param subnet the subnet asked for ({@code --subnet}), or empty for one jvs picks
     * @return the pool's id and subnet
     */
    public Map<String, Object> requestPool(
            String addressSpace, String subnet, String subPool, boolean v6, Map<String, String> options) {
        if (subPool != null && !subPool.isEmpty()) {
            throw new PluginException("the jvs IPAM driver does not support --ip-range (" + subPool
                    + "): give the network its own --subnet");
        }
        if (v6) {
            return requestPool6(subnet, options);
        }
        final NetworkRecord network = jvsNetwork(subnet, options);
        final Cidr wanted;
        if (network != null) {
            wanted = Cidr.parse(network.subnet());
        } else if (subnet == null || subnet.isEmpty()) {
            final List<Cidr> inUse = new ArrayList<>(subnetsInUse.get());
            pools.values().forEach(p -> inUse.add(p.subnet));
            try {
                wanted = DefaultPools.pick(inUse);
            } catch (IllegalStateException e) {
                throw new PluginException(e.getMessage());
            }
        } else {
            try {
                wanted = Cidr.parse(subnet, "subnet");
            } catch (IllegalArgumentException e) {
                throw new PluginException(e.getMessage());
            }
        }
        final String id = wanted.toString();
        final Pool same = pools.get(id);
        if (same != null && network != null && !network.name().equals(same.network)) {
            throw new PluginException("subnet " + wanted + " is already a pool of the jvs IPAM driver"
                    + (same.network == null ? "" : ", for jvs network " + same.network));
        }
        if (same != null) {
            same.references++;
            save();
            return poolAnswer(id, wanted);
        }
        for (Pool other : pools.values()) {
            if (other.subnet.overlaps(wanted)) {
                throw new PluginException(
                        "subnet " + wanted + " overlaps " + other.subnet + ", already a pool of the jvs IPAM driver");
            }
        }
        for (Cidr other : subnetsInUse.get()) {
            if (network == null && other.overlaps(wanted)) {
                throw new PluginException("subnet " + wanted + " overlaps " + other + ", already in use on this host");
            }
        }
        if (pools.size() >= MAX_POOLS) {
            throw new PluginException("the jvs IPAM driver holds " + MAX_POOLS + " pools, its limit");
        }
        final AddressPool addresses;
        try {
            addresses = network == null
                    ? AddressPool.of(wanted)
                    : AddressPool.builder(wanted)
                            .gateway(Cidr.parseAddress(network.gateway()))
                            .build();
        } catch (IllegalArgumentException e) {
            throw new PluginException(e.getMessage());
        }
        pools.put(id, new Pool(wanted, network == null ? null : network.name(), addresses, 1));
        save();
        return poolAnswer(id, wanted);
    }

    /** An IPv6 pool: of its own, or the IPv6 side of a dual-stack jvs network, as for IPv4. */
    private Map<String, Object> requestPool6(String subnet, Map<String, String> options) {
        final NetworkRecord network = jvsNetwork6(subnet, options);
        final Ipv6Cidr wanted = pools6.requestPool(subnet, network, pools.size() + pools6.size() < MAX_POOLS);
        save();
        return poolAnswer(wanted.toString(), wanted.toString());
    }

    public void releasePool(String poolId) {
        if (pools6.releasePool(poolId)) {
            save();
            return;
        }
        final Pool pool = pools.get(poolId);
        if (pool == null) {
            return; // released already: Docker may repeat a release after an error
        }
        if (--pool.references <= 0) {
            pools.remove(poolId);
        }
        save();
    }

    /**
     * @param address the address asked for ({@code --ip}, {@code --gateway}), or empty for any
     * @return the address with the pool's prefix length, e.g. {@code 172.30.0.2/24}
     */
    public String requestAddress(String poolId, String address, Map<String, String> options) {
        final boolean gateway = GATEWAY_REQUEST.equals(options.get(REQUEST_ADDRESS_TYPE));
        if (DockerIpv6Pools.isIpv6(poolId)) {
            final String answer = pools6.requestAddress(poolId, address, gateway);
            save();
            return answer;
        }
        final Pool pool = requirePool(poolId);
        final int ip;
        try {
            if (gateway) {
                ip = pool.network == null ? gateway(pool, address) : networkGateway(pool, address);
            } else if ((address == null || address.isEmpty()) && pool.network != null) {
                ip = networks.offer(requireNetwork(pool.network), pool.addresses);
                pool.addresses.reserve(ip);
            } else if (address == null || address.isEmpty()) {
                ip = pool.addresses.allocate();
            } else {
                ip = Cidr.parseAddress(address, "address");
                pool.addresses.reserve(ip);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new PluginException(e.getMessage() + " (pool " + pool.subnet + " of the jvs IPAM driver)");
        }
        save();
        return Cidr.format(ip) + "/" + pool.subnet.prefixLength();
    }

    public void releaseAddress(String poolId, String address) {
        if (DockerIpv6Pools.isIpv6(poolId)) {
            if (pools6.releaseAddress(poolId, address)) {
                save();
            }
            return;
        }
        final Pool pool = pools.get(poolId);
        if (pool == null || address == null || address.isEmpty()) {
            return;
        }
        final int ip = Cidr.parseAddress(address.replaceAll("/.*", ""), "address");
        if (ip == pool.addresses.gateway()) {
            return; // the gateway stays the pool's until the pool goes
        }
        try {
            pool.addresses.release(ip);
        } catch (IllegalArgumentException e) {
            return; // not an endpoint's address (outside, network, broadcast): nothing was handed out
        }
        save();
    }

    /** The endpoints' addresses held in a pool (not its gateway), ascending. */
    public List<String> addresses(String poolId) {
        if (DockerIpv6Pools.isIpv6(poolId)) {
            final List<String> held = pools6.addresses(poolId);
            return held == null ? List.of() : held;
        }
        final Pool pool = pools.get(poolId);
        return pool == null
                ? List.of()
                : pool.addresses.allocated().stream().map(Cidr::format).toList();
    }

    /** Whether an endpoint holds this address in the pool (for reconciliation and tests). */
    public boolean inUse(String poolId, String address) {
        if (DockerIpv6Pools.isIpv6(poolId)) {
            return addresses(poolId).contains(Ipv6Cidr.format(Ipv6Cidr.parseAddress(address, "address")));
        }
        final Pool pool = pools.get(poolId);
        return pool != null && pool.addresses.inUse(Cidr.parseAddress(address));
    }

    /** The jvs network a pool is asked for, by {@code --ipam-opt jvs.network} or by its exact subnet; or null. */
    private NetworkRecord jvsNetwork(String subnet, Map<String, String> options) {
        final String name = options.get(JVS_NETWORK);
        final Cidr asked;
        try {
            asked = subnet == null || subnet.isEmpty() ? null : Cidr.parse(subnet, "subnet");
        } catch (IllegalArgumentException e) {
            throw new PluginException(e.getMessage());
        }
        if (name == null) {
            return asked == null ? null : networks.bySubnet(asked);
        }
        final NetworkRecord network = requireNetwork(name);
        if (asked != null && !asked.toString().equals(network.subnet())) {
            throw new PluginException("subnet " + asked + " is not jvs network " + name + "'s (" + network.subnet()
                    + "): leave --subnet out or give " + network.subnet());
        }
        return network;
    }

    /**
     * The dual-stack jvs network an IPv6 pool is asked for, by {@code --ipam-opt jvs.network} or by
     * its exact IPv6 subnet; or null. One with no IPv6 side is refused, and so is an IPv6 subnet
     * other than the network's. A global network's addresses come from this host's IPv6 blocks.
     */
    private NetworkRecord jvsNetwork6(String subnet, Map<String, String> options) {
        final String name = options.get(JVS_NETWORK);
        final Ipv6Cidr asked;
        try {
            asked = subnet == null || subnet.isEmpty() ? null : Ipv6Cidr.parse(subnet, "subnet");
        } catch (IllegalArgumentException e) {
            throw new PluginException(e.getMessage());
        }
        final NetworkRecord network =
                name != null ? requireNetwork(name) : asked == null ? null : networks.byIpv6Subnet(asked);
        if (network == null) {
            return null;
        }
        if (network.ipv6() == null) {
            throw PluginException.noIpv6Side(network.name());
        }
        final Ipv6Cidr own = Ipv6Cidr.parse(network.ipv6().subnet(), "subnet");
        if (asked != null && !asked.equals(own)) {
            throw new PluginException("IPv6 subnet " + asked + " is not jvs network " + network.name() + "'s (" + own
                    + "): leave the IPv6 --subnet out or give " + own);
        }
        return network;
    }

    private NetworkRecord requireNetwork(String name) {
        final NetworkRecord network = networks.byName(name);
        if (network == null) {
            throw PluginException.unknownNetwork(name);
        }
        if (!network.hasIpv4()) {
            throw PluginException.ipv6Only(name);
        }
        return network;
    }

    /** A pool that is a jvs network's has that network's gateway, and no other. */
    private static int networkGateway(Pool pool, String address) {
        if (address != null
                && !address.isEmpty()
                && Cidr.parseAddress(address, "gateway") != pool.addresses.gateway()) {
            throw new IllegalArgumentException("the gateway of jvs network " + pool.network + " is "
                    + Cidr.format(pool.addresses.gateway()) + ", not " + address);
        }
        return pool.addresses.gateway();
    }

    /** The jvs network a pool stands for, or null for a pool of its own (or no such pool). */
    public String networkOfPool(String poolId) {
        if (DockerIpv6Pools.isIpv6(poolId)) {
            return pools6.networkOfPool(poolId);
        }
        final Pool pool = pools.get(poolId);
        return pool == null ? null : pool.network;
    }

    /** The gateway: the pool's first address, or the one asked for while no endpoint holds one. */
    private static int gateway(Pool pool, String address) {
        if (address == null || address.isEmpty()) {
            return pool.addresses.gateway();
        }
        final int ip = Cidr.parseAddress(address, "gateway");
        if (ip != pool.addresses.gateway()) {
            if (pool.addresses.allocatedCount() > 0) {
                throw new IllegalStateException("the pool's gateway is " + Cidr.format(pool.addresses.gateway())
                        + " and endpoints hold addresses: cannot move it to " + address);
            }
            pool.addresses = AddressPool.builder(pool.subnet).gateway(ip).build();
        }
        return ip;
    }

    private Pool requirePool(String poolId) {
        final Pool pool = pools.get(poolId);
        if (pool == null) {
            throw new PluginException("no pool " + poolId + " in the jvs IPAM driver"
                    + (pools.isEmpty() ? "" : " (pools: " + String.join(", ", pools.keySet()) + ")"));
        }
        return pool;
    }

    private static Map<String, Object> poolAnswer(String id, Object subnet) {
        final Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("PoolID", id);
        answer.put("Pool", subnet.toString());
        answer.put("Data", Map.of());
        return answer;
    }

    private void save() {
        final List<SavedPool> saved = new ArrayList<>();
        for (Pool p : pools.values()) {
            saved.add(new SavedPool(
                    p.subnet.toString(),
                    Cidr.format(p.addresses.gateway()),
                    p.references,
                    p.addresses.allocated().stream().map(Cidr::format).toList(),
                    p.network));
        }
        saved.addAll(pools6.saved());
        file.write(new Saved(1, saved));
    }
}
