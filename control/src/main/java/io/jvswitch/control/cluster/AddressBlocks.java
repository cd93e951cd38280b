package io.jvswitch.control.cluster;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.service.ApiException;

import java.util.Map;

/**
 * The address blocks of global networks' subnets (Calico-style): each host claims whole blocks
 * with a transaction and hands out addresses only inside its own, so hosts never race for one
 * address. Control thread only.
 */
final class AddressBlocks {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");
    /** Largest address block a host claims at once (a /26 holds 64 addresses). */
    private static final int BLOCK_PREFIX = 26;

    private final StoreWriter writer;
    private final ClusterView view;
    private final ClusterKeys keys;
    private final String hostName;

    AddressBlocks(StoreWriter writer, ClusterView view, ClusterKeys keys, String hostName) {
        this.writer = writer;
        this.view = view;
        this.keys = keys;
        this.hostName = hostName;
    }

    /** The lowest address of this host's blocks that neither this host's pool nor the store has taken. */
    Integer freeAddress(NetworkRecord network, AddressPool pool) {
        final Map<String, OwnerClaim> used = view.addressesOf(network.name());
        for (Map.Entry<String, OwnerClaim> block : view.blocksOf(network.name()).entrySet()) {
            if (!block.getValue().host().equals(hostName)) {
                continue;
            }
            final Cidr cidr = Cidr.parse(block.getKey());
            for (long a = Integer.toUnsignedLong(cidr.network()); a <= Integer.toUnsignedLong(cidr.broadcast()); a++) {
                final int ip = (int) a;
                if (pool.isFree(ip) && !used.containsKey(Cidr.format(ip)) && assignable(pool, ip)) {
                    return ip;
                }
            }
        }
        return null;
    }

    private static boolean assignable(AddressPool pool, int ip) {
        return ip != pool.subnet().network() && ip != pool.subnet().broadcast() && ip != pool.gateway();
    }

    /** Claims the first block of the subnet no host owns; 409 when every block is owned. */
    void claimBlock(NetworkRecord network) {
        final Cidr subnet = Cidr.parse(network.subnet());
        // a /26 per block; a subnet smaller than a /24 is split in four (at most /30)
        final int blockPrefix = Math.max(BLOCK_PREFIX, Math.min(subnet.prefixLength() + 2, 30));
        final long size = 1L << (32 - blockPrefix);
        final Map<String, OwnerClaim> owned = view.blocksOf(network.name());
        for (long a = Integer.toUnsignedLong(subnet.network());
                a <= Integer.toUnsignedLong(subnet.broadcast());
                a += size) {
            final String cidr = new Cidr((int) a, blockPrefix).toString();
            if (owned.containsKey(cidr)) {
                continue;
            }
            final String key = keys.block(network.name(), cidr);
            if (writer.putIfAbsent(key, new OwnerClaim(hostName, null), 0).succeeded()) {
                LOG.log(System.Logger.Level.INFO, "network {0}: claimed address block {1}", network.name(), cidr);
                return;
            }
        }
        throw ApiException.conflict("no free address left on " + network.name() + ": every block of " + subnet
                + " is owned (" + owned.size() + " blocks; jvs cluster host rm reclaims a dead host's)");
    }
}
