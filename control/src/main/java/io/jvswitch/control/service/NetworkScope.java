package io.jvswitch.control.service;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.NetworkRecord;

import java.math.BigInteger;
import java.util.List;

/**
 * Where a network's claims are decided: its name and VNI, each endpoint's address and name. Two
 * implementations: {@link LocalScope} (this host alone: its own pools, today's behaviour, kept in
 * the state file) and the cluster store for networks of scope "global"
 * ({@code io.jvswitch.control.cluster.ClusterAgent}, through {@link ClusterScope}), where every
 * host must agree. The network service validates requests, drives the dataplane and the devices,
 * and asks the network's scope for the claims; a Docker IPAM or network driver would ask the same.
 *
 * <p>Every method runs on the control thread and either completes or changes nothing. Failures are
 * {@link ControlException}s: invalid for a request that can never succeed, a conflict, unavailable when the
 * cluster store does not answer.
 */
public interface NetworkScope {
    /** "local" or "global", as {@code network ls} shows it. */
    String name();

    /** Claims the network's name (and for an overlay its VNI); returns it as claimed. */
    NetworkRecord createNetwork(NetworkRecord proposed, Integer requestedVni);

    /**
     * Gives up the network's claims; refused (409) while an endpoint is on it: one of {@code
     * localEndpoints} (this host's own) or, for a global network, any other host's.
     */
    void removeNetwork(NetworkRecord network, List<String> localEndpoints);

    /**
     * An endpoint about to be attached: its name, requested address and MAC (null: chosen), aliases,
     * and on a dual-stack network the IPv6 address {@link #chooseIpv6} gave it (else null).
     */
    record EndpointClaim(String name, Integer requestedIp, Long requestedMac, List<String> aliases, BigInteger ip6) {
        public EndpointClaim(String name, Integer requestedIp, Long requestedMac, List<String> aliases) {
            this(name, requestedIp, requestedMac, aliases, null);
        }
    }

    /**
     * The IPv6 address of an endpoint about to be attached to a dual-stack network, marked taken in
     * {@code pool6} (the network's on this host): {@code requested} ({@code --ip6}) or the scope's
     * choice. {@link #claimEndpoint} then claims it with the name. On this host alone: the pool's
     * lowest free address.
     */
    default BigInteger chooseIpv6(NetworkRecord network, Ipv6Pool pool6, BigInteger requested) {
        try {
            if (requested == null) {
                return pool6.allocate();
            }
            pool6.reserve(requested);
            return requested;
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        } catch (IllegalStateException e) {
            throw ControlException.conflict(e.getMessage());
        }
    }

    /**
     * Claims an address for the endpoint (the requested one, or the scope's choice) and its name,
     * and marks the address taken in {@code pool}, the network's pool on this host. Returns it. On
     * an IPv6-only network ({@code pool} null) only the name and the claim's IPv6 address are
     * claimed, and it returns 0.
     */
    int claimEndpoint(NetworkRecord network, AddressPool pool, EndpointClaim claim);

    /**
     * Gives the endpoint's address (back to {@code pool} too) and name up; {@code ip} null (and
     * {@code pool} null) on an IPv6-only network, whose IPv6 claim goes with the name. Never fails.
     */
    void releaseEndpoint(NetworkRecord network, AddressPool pool, String name, String ip);
}
