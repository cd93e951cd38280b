package io.jvswitch.control.cluster;

import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.service.ApiException;

import java.math.BigInteger;
import java.util.Map;

/**
 * The IPv6 address blocks of dual-stack global networks, as {@link AddressBlocks} keeps the IPv4
 * ones: each host claims whole blocks of the IPv6 subnet with a transaction and hands out IPv6
 * addresses only inside its own, so hosts never race for one address. A /64 is cut into /112s
 * (65,536 addresses each); a smaller subnet into four. Control thread only.
 */
final class AddressBlocks6 {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");
    /** Largest IPv6 block a host claims at once. */
    static final int BLOCK_PREFIX = 112;
    /** Blocks tried past those the view shows owned, before a claim gives up (others racing for them). */
    private static final int CLAIM_ATTEMPTS = 64;

    private final StoreWriter writer;
    private final ClusterView view;
    private final ClusterKeys keys;
    private final String hostName;

    AddressBlocks6(StoreWriter writer, ClusterView view, ClusterKeys keys, String hostName) {
        this.writer = writer;
        this.view = view;
        this.keys = keys;
        this.hostName = hostName;
    }

    /** The prefix length of the blocks of {@code subnet}. */
    static int blockPrefix(Ipv6Cidr subnet) {
        return Math.max(BLOCK_PREFIX, Math.min(subnet.prefixLength() + 2, 126));
    }

    /**
     * The lowest IPv6 address of this host's blocks that neither {@code pool} (this host's) nor the
     * store has taken, and that is not the subnet's anycast, gateway or aux address; null when the
     * blocks are full.
     */
    BigInteger freeAddress(NetworkRecord network, Ipv6Pool pool) {
        final Map<String, OwnerClaim> used = view.addresses6Of(network.name());
        for (Map.Entry<String, OwnerClaim> block :
                view.blocks6Of(network.name()).entrySet()) {
            if (!block.getValue().host().equals(hostName)) {
                continue;
            }
            final Ipv6Cidr cidr = Ipv6Cidr.parse(block.getKey(), "block");
            for (BigInteger a = cidr.address(); a.compareTo(cidr.last()) <= 0; a = a.add(BigInteger.ONE)) {
                if (assignable(pool, a) && !pool.inUse(a) && !used.containsKey(Ipv6Cidr.format(a))) {
                    return a;
                }
            }
        }
        return null;
    }

    /** Whether {@code a} may be an endpoint's at all (the pool's own checks, without marking it). */
    static boolean assignable(Ipv6Pool pool, BigInteger a) {
        return !a.equals(pool.subnet().address())
                && !a.equals(pool.gateway())
                && !pool.auxAddresses().containsValue(a);
    }

    /** Claims the first IPv6 block of the subnet no host owns; 409 when there is none to be had. */
    void claimBlock(NetworkRecord network, Ipv6Pool pool) {
        final Ipv6Cidr subnet = pool.subnet();
        final int prefix = blockPrefix(subnet);
        final BigInteger size = BigInteger.ONE.shiftLeft(128 - prefix);
        final Map<String, OwnerClaim> owned = view.blocks6Of(network.name());
        int tried = 0;
        for (BigInteger a = subnet.address();
                a.compareTo(subnet.last()) <= 0 && tried < owned.size() + CLAIM_ATTEMPTS;
                a = a.add(size), tried++) {
            final String cidr = new Ipv6Cidr(a, prefix).toString();
            if (owned.containsKey(cidr)) {
                continue;
            }
            if (writer.putIfAbsent(keys.block6(network.name(), cidr), new OwnerClaim(hostName, null), 0)
                    .succeeded()) {
                LOG.log(System.Logger.Level.INFO, "network {0}: claimed IPv6 address block {1}", network.name(), cidr);
                return;
            }
        }
        throw ApiException.conflict("no free IPv6 address left on " + network.name() + ": every block of " + subnet
                + " that could be claimed is owned (" + owned.size()
                + " blocks; jvs cluster host rm reclaims a dead host's)");
    }
}
