package io.jvswitch.control.service;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.model.NetworkRecord;

import java.util.List;

/**
 * What the network service asks of the cluster for networks of scope "global": the cluster-wide
 * claims (network name and VNI, address, endpoint name) that a host's own state cannot decide.
 * Implemented over the cluster store ({@code io.jvswitch.control.cluster.ClusterAgent}); absent
 * on a daemon without {@code --cluster-store}, where every network is local. Every method runs on
 * the control thread and fails at once with an {@link ApiException} (503) when the store does not
 * answer; nothing here touches the dataplane.
 */
public interface ClusterScope {
    /** This host's underlay address (its VTEP binds it) and VXLAN port. */
    String advertiseAddress();

    int vxlanPort();

    /**
     * Claims the network's name and a VNI ({@code requestedVni}, or the lowest free from 4096) in
     * the store; returns the network with that VNI. Another host's network of that name: 409.
     */
    NetworkRecord createNetwork(NetworkRecord proposed, Integer requestedVni);

    /**
     * Deletes the network everywhere; refused (409, naming the hosts) while any host has endpoints
     * on it: those the store knows, and {@code localEndpoints}, this host's own.
     */
    void removeNetwork(NetworkRecord network, List<String> localEndpoints);

    /** An endpoint about to be attached: its name, requested address and MAC (null: chosen), aliases. */
    record EndpointClaim(String name, Integer requestedIp, Long requestedMac, List<String> aliases) {}

    /**
     * Claims the endpoint's name and its address (the requested one, checked cluster-wide, or a
     * free one inside this host's blocks, claiming a new block when they are full) in one
     * transaction, and advertises the endpoint; returns the address. {@code pool} is the
     * network's local pool: addresses it holds are not offered.
     */
    int claimEndpoint(NetworkRecord network, AddressPool pool, EndpointClaim claim);

    /** Withdraws the endpoint and frees its address; retried later if the store does not answer now. */
    void releaseEndpoint(NetworkRecord network, String name, String ip);
}
