package io.jvswitch.control.docker;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.NetworkRecord;

import java.math.BigInteger;
import java.util.Set;

/**
 * The existing jvs networks a pool of the Docker IPAM driver can stand for (a Docker network made
 * with {@code -o jvs.network=NAME}): found by name or by subnet, and a free address on one. On a
 * global network the address comes from this host's blocks in the cluster store, so two hosts'
 * Docker engines never get the same one.
 */
public interface JvsNetworkAddresses {
    /** No jvs network is ever a pool's: the IPAM driver as it works on its own. */
    JvsNetworkAddresses NONE = new JvsNetworkAddresses() {
        @Override
        public NetworkRecord byName(String name) {
            return null;
        }

        @Override
        public NetworkRecord bySubnet(Cidr subnet) {
            return null;
        }

        @Override
        public int offer(NetworkRecord network, AddressPool heldByDocker) {
            throw new PluginException("no jvs network " + network.name());
        }
    };

    /** The network, or null. */
    NetworkRecord byName(String name);

    /** The network whose subnet is exactly this one, or null. */
    NetworkRecord bySubnet(Cidr subnet);

    /**
     * An address of the network that no endpoint holds and Docker does not hold either ({@code
     * heldByDocker}: handed out to Docker, maybe not joined yet). Not claimed: the endpoint's attach
     * claims it, with its name.
     */
    int offer(NetworkRecord network, AddressPool heldByDocker);

    /** The network whose IPv6 subnet is exactly this one, or null. */
    default NetworkRecord byIpv6Subnet(Ipv6Cidr subnet) {
        return null;
    }

    /** The IPv6 addresses the network's endpoints hold, which Docker must not be given. */
    default Set<BigInteger> ipv6Held(NetworkRecord network) {
        return Set.of();
    }

    /**
     * An IPv6 address of a global network from this host's IPv6 blocks in the cluster store, as
     * {@link #offer} for IPv4: no endpoint holds it and Docker ({@code heldByDocker}) does not hold
     * it either. Not claimed: the endpoint's attach claims it, with its name.
     */
    default BigInteger offerIpv6(NetworkRecord network, Ipv6Pool heldByDocker) {
        throw new PluginException(
                "network " + network.name() + " is global, and this daemon runs without --cluster-store");
    }
}
