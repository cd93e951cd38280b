package io.jvswitch.control.ipam;

import java.math.BigInteger;
import java.util.Collection;

/**
 * The IPv6 subnet a network gets when {@code --ipv6} comes without an IPv6 {@code --subnet}: the
 * first free /64 of the unique local prefix {@code fd4a:7673:7769::/48} (RFC 4193; the 40-bit
 * global ID is "Jvswi" in ASCII, fixed rather than random so every jvs host picks the same,
 * predictable subnets, as Docker's default pools are predictable): {@code fd4a:7673:7769:1::/64},
 * {@code fd4a:7673:7769:2::/64}, ... Subnet 0 is left out, as people write it by hand.
 */
public final class DefaultIpv6Pools {
    /** The /48 the defaults come from. */
    public static final Ipv6Cidr PREFIX = Ipv6Cidr.parse("fd4a:7673:7769::/48", "default IPv6 pool");

    /** How many /64s are tried before giving up (a host with more networks gives --subnet). */
    static final int CANDIDATES = 4096;

    private DefaultIpv6Pools() {}

    /**
     * The first default /64 that overlaps none of {@code inUse}.
     *
     * @throws IllegalStateException when all of them are taken
     */
    public static Ipv6Cidr pick(Collection<Ipv6Cidr> inUse) {
        outer:
        for (int n = 1; n <= CANDIDATES; n++) {
            final Ipv6Cidr candidate =
                    new Ipv6Cidr(PREFIX.address().or(BigInteger.valueOf(n).shiftLeft(64)), 64);
            for (Ipv6Cidr used : inUse) {
                if (candidate.overlaps(used)) {
                    continue outer;
                }
            }
            return candidate;
        }
        throw new IllegalStateException("all default IPv6 pools are in use; give an IPv6 --subnet");
    }
}
