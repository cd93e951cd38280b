package io.jvswitch.control.service;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.model.NetworkRecord;

import java.util.List;

/**
 * Claims on this host alone: addresses from the network's own pool (its ip-range, aux addresses),
 * names unique among this daemon's endpoints (checked by the service), a network's name and VNI
 * unique among this daemon's networks (checked while its request is validated). Nothing to give
 * up beyond the pool.
 */
final class LocalScope implements NetworkScope {
    @Override
    public String name() {
        return "local";
    }

    @Override
    public NetworkRecord createNetwork(NetworkRecord proposed, Integer requestedVni) {
        return proposed;
    }

    @Override
    public void removeNetwork(NetworkRecord network, List<String> localEndpoints) {
        // the service refuses while this host's endpoints are on it; nobody else has any
    }

    @Override
    public int claimEndpoint(NetworkRecord network, AddressPool pool, EndpointClaim claim) {
        if (!network.hasIpv4()) {
            return 0; // IPv6-only: the IPv6 address chooseIpv6 gave is the endpoint's only one, and names are per host
        }
        try {
            if (claim.requestedIp() == null) {
                return pool.allocate();
            }
            pool.reserve(claim.requestedIp());
            return claim.requestedIp();
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        } catch (IllegalStateException e) {
            throw ControlException.conflict(e.getMessage());
        }
    }

    @Override
    public void releaseEndpoint(NetworkRecord network, AddressPool pool, String name, String ip) {
        if (ip != null) {
            pool.release(Cidr.parseAddress(ip));
        }
    }
}
