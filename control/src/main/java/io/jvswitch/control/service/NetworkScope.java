package io.jvswitch.control.service;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.model.NetworkRecord;

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

    /** An endpoint about to be attached: its name, requested address and MAC (null: chosen), aliases. */
    record EndpointClaim(String name, Integer requestedIp, Long requestedMac, List<String> aliases) {}

    /**
     * Claims an address for the endpoint (the requested one, or the scope's choice) and its name,
     * and marks the address taken in {@code pool}, the network's pool on this host. Returns it.
     */
    int claimEndpoint(NetworkRecord network, AddressPool pool, EndpointClaim claim);

    /** Gives the endpoint's address (back to {@code pool} too) and name up. Never fails. */
    void releaseEndpoint(NetworkRecord network, AddressPool pool, String name, String ip);
}
