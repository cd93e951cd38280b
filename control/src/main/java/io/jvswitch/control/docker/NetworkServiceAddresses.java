package io.jvswitch.control.docker;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.service.NetworkService;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@link JvsNetworkAddresses} over the daemon's networks: a local network's free address is the
 * lowest its endpoints and Docker do not hold; a global network's is the cluster's to offer
 * ({@link ClusterBlocks}), from this host's address blocks.
 */
public final class NetworkServiceAddresses implements JvsNetworkAddresses {
    /** The cluster store's side: a free address of this host's blocks of a global network. */
    @FunctionalInterface
    public interface ClusterBlocks {
        int offerAddress(NetworkRecord network, AddressPool heldHere);
    }

    /** The same for the IPv6 side of a dual-stack global network: from this host's IPv6 blocks. */
    @FunctionalInterface
    public interface ClusterBlocks6 {
        BigInteger offerAddress6(NetworkRecord network, Ipv6Pool heldHere);
    }

    private final Supplier<NetworkService> service;
    /** Null without --cluster-store. */
    private final ClusterBlocks cluster;
    /** Null without --cluster-store. */
    private final ClusterBlocks6 cluster6;

    public NetworkServiceAddresses(Supplier<NetworkService> service, ClusterBlocks cluster, ClusterBlocks6 cluster6) {
        this.service = service;
        this.cluster = cluster;
        this.cluster6 = cluster6;
    }

    @Override
    public NetworkRecord byName(String name) {
        return service.get().networkOrNull(name);
    }

    @Override
    public NetworkRecord bySubnet(Cidr subnet) {
        return service.get().networks().stream()
                .filter(n ->
                        n.subnet() != null && Cidr.parse(n.subnet()).toString().equals(subnet.toString()))
                .findFirst()
                .orElse(null);
    }

    @Override
    public NetworkRecord byIpv6Subnet(Ipv6Cidr subnet) {
        return service.get().networks().stream()
                .filter(n -> n.ipv6() != null
                        && Ipv6Cidr.parse(n.ipv6().subnet(), "subnet").equals(subnet))
                .findFirst()
                .orElse(null);
    }

    @Override
    public Set<BigInteger> ipv6Held(NetworkRecord network) {
        final Set<BigInteger> held = new HashSet<>();
        for (EndpointRecord e : service.get().endpointsOn(network.name())) {
            if (e.ipv6() != null) {
                held.add(Ipv6Cidr.parseAddress(e.ipv6(), "address"));
            }
        }
        return held;
    }

    @Override
    public BigInteger offerIpv6(NetworkRecord network, Ipv6Pool heldByDocker) {
        if (cluster6 == null) {
            return JvsNetworkAddresses.super.offerIpv6(network, heldByDocker);
        }
        return cluster6.offerAddress6(network, heldByDocker);
    }

    @Override
    public int offer(NetworkRecord network, AddressPool heldByDocker) {
        if (network.clusterWide()) {
            if (cluster == null) {
                throw new PluginException(
                        "network " + network.name() + " is global, and this daemon runs without --cluster-store");
            }
            return cluster.offerAddress(network, heldByDocker);
        }
        final Set<Integer> endpoints = new HashSet<>();
        for (EndpointRecord e : service.get().endpointsOn(network.name())) {
            endpoints.add(Cidr.parseAddress(e.ipv4()));
        }
        final Cidr subnet = heldByDocker.subnet();
        for (long a = Integer.toUnsignedLong(subnet.network()); a <= Integer.toUnsignedLong(subnet.broadcast()); a++) {
            final int ip = (int) a;
            if (ip != subnet.network()
                    && ip != subnet.broadcast()
                    && heldByDocker.isFree(ip)
                    && !endpoints.contains(ip)) {
                return ip;
            }
        }
        throw new PluginException("no free address left on jvs network " + network.name());
    }
}
