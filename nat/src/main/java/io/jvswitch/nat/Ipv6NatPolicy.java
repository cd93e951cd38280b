package io.jvswitch.nat;

import java.util.List;

/**
 * What the IPv6 translator is told by the control plane, as one immutable snapshot (the IPv6 half of
 * {@link NatPolicy}): the masquerade address, which networks masquerade, and the host's IPv6
 * addresses (what goes to them is not masqueraded; the gateways are among them). Handed over with
 * {@link NatEngine#ipv6Policy}; read on the dataplane thread without locks or allocation.
 */
public final class Ipv6NatPolicy {
    private final long masqueradeHigh;
    private final long masqueradeLow;
    private final boolean[] masquerade;
    /** High and low halves, in pairs. */
    private final long[] hostAddresses;

    /**
     * @param masqueradeHigh with {@code masqueradeLow}: the source given to connections leaving by the
     *     host link; :: for none (nothing is masqueraded)
     * @param masqueradingNetworks the ids of the networks whose IPv6 traffic to the host link is masqueraded
     * @param hostAddresses the host's IPv6 addresses as high/low pairs, the gateways included
     */
    public Ipv6NatPolicy(
            long masqueradeHigh, long masqueradeLow, List<Integer> masqueradingNetworks, long[] hostAddresses) {
        if ((hostAddresses.length & 1) != 0) {
            throw new IllegalArgumentException("host addresses come in high/low pairs");
        }
        this.masqueradeHigh = masqueradeHigh;
        this.masqueradeLow = masqueradeLow;
        int size = 0;
        for (int id : masqueradingNetworks) {
            if (id < 0 || id >= NatPolicy.MAX_NETWORKS) {
                throw new IllegalArgumentException("network id out of range: " + id);
            }
            size = Math.max(size, id + 1);
        }
        this.masquerade = new boolean[size];
        masqueradingNetworks.forEach(id -> masquerade[id] = true);
        this.hostAddresses = hostAddresses.clone();
    }

    /** A policy that translates nothing. */
    public static Ipv6NatPolicy empty() {
        return new Ipv6NatPolicy(0, 0, List.of(), new long[0]);
    }

    long masqueradeHigh() {
        return masqueradeHigh;
    }

    long masqueradeLow() {
        return masqueradeLow;
    }

    boolean hasMasqueradeAddress() {
        return (masqueradeHigh | masqueradeLow) != 0;
    }

    boolean isMasqueradeAddress(long high, long low) {
        return hasMasqueradeAddress() && high == masqueradeHigh && low == masqueradeLow;
    }

    boolean masquerades(int network) {
        return network >= 0 && network < masquerade.length && masquerade[network] && hasMasqueradeAddress();
    }

    /** A linear scan: the host has a few addresses, and this is asked on a connection's first packet only. */
    boolean isHostAddress(long high, long low) {
        for (int i = 0; i < hostAddresses.length; i += 2) {
            if (hostAddresses[i] == high && hostAddresses[i + 1] == low) {
                return true;
            }
        }
        return false;
    }
}
