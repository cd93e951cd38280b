package io.jvswitch.control.ipam;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Docker's default address pools, used when {@code network create} gives no {@code --subnet}:
 * 172.17.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/16 split into /20s
 * (192.168.0.0/20, 192.168.16.0/20, ..., 192.168.240.0/20) — 31 subnets in this order.
 */
public final class DefaultPools {

    private static final List<Cidr> POOLS = build();

    private DefaultPools() {}

    private static List<Cidr> build() {
        List<Cidr> pools = new ArrayList<>();
        for (int second = 17; second <= 31; second++) {
            pools.add(new Cidr((172 << 24) | (second << 16), 16));
        }
        for (int third = 0; third < 256; third += 16) {
            pools.add(new Cidr((192 << 24) | (168 << 16) | (third << 8), 20));
        }
        return List.copyOf(pools);
    }

    /** The candidate subnets, in the order they are tried. */
    public static List<Cidr> pools() {
        return POOLS;
    }

    /**
     * The first default pool subnet that overlaps none of {@code inUse}.
     *
     * @param inUse subnets of existing networks plus the host's routes ({@link HostRoutes#read()})
     * @throws IllegalStateException "all default address pools are in use; give --subnet"
     */
    public static Cidr pick(Collection<Cidr> inUse) {
        return pick(POOLS, inUse);
    }

    /** Like {@link #pick(Collection)} but choosing from {@code candidates}, in order. */
    public static Cidr pick(List<Cidr> candidates, Collection<Cidr> inUse) {
        outer:
        for (Cidr candidate : candidates) {
            for (Cidr used : inUse) {
                if (candidate.overlaps(used)) {
                    continue outer;
                }
            }
            return candidate;
        }
        throw new IllegalStateException("all default address pools are in use; give --subnet");
    }
}
