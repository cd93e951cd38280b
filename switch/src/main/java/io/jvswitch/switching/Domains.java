package io.jvswitch.switching;

import org.agrona.collections.Int2ObjectHashMap;

import java.util.Comparator;

/**
 * The agent's networks (bridge domains) by id, with the rules for adding one (no routed subnet may
 * overlap another), the host link's domain, the order the MAC tables are aged in, and the routed
 * networks handed to the routers, longest prefix first, each time the set changes.
 */
final class Domains {
    /** The host link's domain id: below any id the control plane hands out. */
    static final int HOST_LINK = Integer.MIN_VALUE;

    private final SwitchContext ctx;
    private final Ipv4Router router;
    private final Ipv6Router router6;
    /** By network id; int keys, so looking a network up on the packet path boxes nothing. */
    private final Int2ObjectHashMap<BridgeDomain> byId = new Int2ObjectHashMap<>();

    private BridgeDomain[] agingOrder = new BridgeDomain[0];
    private int agingCursor;

    Domains(SwitchContext ctx, Ipv4Router router, Ipv6Router router6) {
        this.ctx = ctx;
        this.router = router;
        this.router6 = router6;
    }

    /** The network with {@code id}, or null. */
    BridgeDomain get(int id) {
        return byId.get(id);
    }

    BridgeDomain require(int id) {
        final BridgeDomain domain = byId.get(id);
        if (domain == null) {
            throw new IllegalArgumentException("network " + id + " is not in the dataplane");
        }
        return domain;
    }

    void add(NetworkSpec spec) {
        if (byId.containsKey(spec.id())) {
            throw new IllegalStateException("network " + spec.id() + " exists in the dataplane");
        }
        final BridgeDomain domain = new BridgeDomain(spec, ctx);
        if (domain.subnetMask != 0) {
            final BridgeDomain overlapping = routedOverlapping(domain);
            if (overlapping != null) {
                throw new IllegalStateException("subnet of " + spec.name() + " overlaps network " + overlapping.name);
            }
        }
        byId.put(spec.id(), domain);
        changed();
    }

    void remove(int id) {
        final BridgeDomain domain = require(id);
        if (domain.memberCount() > 0) {
            throw new IllegalStateException("network " + domain.name + " still has " + domain.memberCount() + " ports");
        }
        byId.remove(id);
        changed();
    }

    /** The host link's own domain, of one port at {@code mtu} (clamped to what IPv4 allows). */
    void addHostLink(HostLinkSpec spec, int mtu) {
        final BridgeDomain domain = new BridgeDomain(
                new NetworkSpec(
                        HOST_LINK,
                        "(host)",
                        0,
                        spec.routerMac(),
                        0,
                        Math.max(576, Math.min(65_535, mtu)),
                        false,
                        EtherTypePolicy.FORWARD_ALL),
                true,
                ctx);
        byId.put(HOST_LINK, domain);
    }

    void removeHostLink() {
        byId.remove(HOST_LINK);
        changed();
    }

    /** Gives a network its IPv6 gateway and subnet, unless the subnet overlaps another network's. */
    void addIpv6(int networkId, Ipv6Gateway gateway) {
        final BridgeDomain domain = require(networkId);
        for (BridgeDomain other : byId.values()) {
            final long mask =
                    other.subnet6Mask & (gateway.prefixLength() >= 64 ? -1L : -1L << (64 - gateway.prefixLength()));
            if (other != domain && other.routesIpv6() && (other.subnet6High & mask) == (gateway.high() & mask)) {
                throw new IllegalStateException("IPv6 subnet of " + domain.name + " overlaps network " + other.name);
            }
        }
        domain.setIpv6(gateway);
        changed();
    }

    /** Ages one network's MAC table by at most the budget; the networks take turns. */
    int ageSlice(long nowNanos) {
        if (agingOrder.length == 0) {
            return 0;
        }
        agingCursor = (agingCursor + 1) % agingOrder.length;
        return agingOrder[agingCursor].macs.expireDue(nowNanos, ctx.agingBudgetPerCycle());
    }

    /** Called after any change of the set (the host link's domain added, too). */
    void changed() {
        agingOrder = byId.values().stream().filter(d -> !d.hostLink).toArray(BridgeDomain[]::new);
        agingCursor = 0;
        // Longest prefix first, so lookup's first match is the most specific.
        router.routedNetworks(byId.values().stream()
                .filter(d -> !d.hostLink && d.subnetMask != 0)
                .sorted(Comparator.comparingInt((BridgeDomain d) -> Integer.bitCount(d.subnetMask))
                        .reversed())
                .toArray(BridgeDomain[]::new));
        router6.routedNetworks(byId.values().stream()
                .filter(d -> !d.hostLink && d.routesIpv6())
                .sorted(Comparator.comparingLong((BridgeDomain d) -> Long.bitCount(d.subnet6Mask))
                        .reversed())
                .toArray(BridgeDomain[]::new));
    }

    private BridgeDomain routedOverlapping(BridgeDomain added) {
        for (BridgeDomain d : byId.values()) {
            final int mask = d.subnetMask & added.subnetMask; // the shorter prefix of the two
            if (!d.hostLink && d.subnetMask != 0 && (d.subnet & mask) == (added.subnet & mask)) {
                return d;
            }
        }
        return null;
    }
}
