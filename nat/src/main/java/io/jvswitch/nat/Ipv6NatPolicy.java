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

    private final PublishedPort[] published;

    /**
     * @param masqueradeHigh with {@code masqueradeLow}: the source given to connections leaving by the
     *     host link; :: for none (nothing is masqueraded)
     * @param masqueradingNetworks the ids of the networks whose IPv6 traffic to the host link is masqueraded
     * @param hostAddresses the host's IPv6 addresses as high/low pairs, the gateways included
     */
    public Ipv6NatPolicy(
            long masqueradeHigh, long masqueradeLow, List<Integer> masqueradingNetworks, long[] hostAddresses) {
        this(masqueradeHigh, masqueradeLow, masqueradingNetworks, hostAddresses, List.of());
    }

    /** @param published the IPv6 published ports the dataplane translates (DNAT) */
    public Ipv6NatPolicy(
            long masqueradeHigh,
            long masqueradeLow,
            List<Integer> masqueradingNetworks,
            long[] hostAddresses,
            List<PublishedPort> published) {
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
        this.published = published.toArray(new PublishedPort[0]);
    }

    /**
     * One IPv6 published port as the dataplane translates it.
     *
     * @param hostHigh with {@code hostLow}: the host address it is published on, :: for any of the host's
     */
    public record PublishedPort(
            int protocol,
            long hostHigh,
            long hostLow,
            int hostPort,
            int network,
            long containerHigh,
            long containerLow,
            int containerPort) {}

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

    /**
     * The published port a first packet is addressed to, or null. A linear scan: asked on a
     * connection's first packet only, over the IPv6 published ports (few).
     */
    PublishedPort published(int protocol, long high, long low, int port) {
        for (PublishedPort rule : published) {
            if (rule.protocol() == protocol
                    && rule.hostPort() == port
                    && ((rule.hostHigh() == high && rule.hostLow() == low)
                            || ((rule.hostHigh() | rule.hostLow()) == 0 && isHostAddress(high, low)))) {
                return rule;
            }
        }
        return null;
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
