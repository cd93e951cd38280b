package io.jvswitch.control.ipam;

import java.math.BigInteger;

/**
 * Deterministic endpoint MAC addresses: {@code 02:4a} followed by the endpoint's IPv4 address, like
 * Docker's {@code 02:42:ac:11:00:02} scheme but with jvswitch's own prefix. {@code 0x02} in the first
 * octet marks a locally administered unicast address. Without an IPv4 address, from the IPv6 one.
 */
public final class EndpointMac {

    /** The 16-bit prefix, in the top bits of the 48-bit MAC. */
    public static final long PREFIX = 0x024AL << 32;

    private EndpointMac() {}

    /** The MAC for {@code ipv4} as the low 48 bits of a long, first octet most significant. */
    public static long derive(int ipv4) {
        return PREFIX | Ipv4.unsigned(ipv4);
    }

    /**
     * The MAC for an endpoint (or gateway) with no IPv4 address, on an IPv6-only network: the same
     * prefix, then the IPv6 address folded to 32 bits (its four 32-bit words XORed), so addresses of
     * one /64 that differ in their low 32 bits never share a MAC, and neither do two networks'
     * gateways.
     */
    public static long derive(BigInteger ipv6) {
        final long high = Ipv6Cidr.high(ipv6);
        final long low = Ipv6Cidr.low(ipv6);
        final long folded = high ^ (high >>> 32) ^ low ^ (low >>> 32);
        return PREFIX | (folded & 0xFFFF_FFFFL);
    }

    /** {@code 02:4a:ac:11:00:02} form of a 48-bit MAC. */
    public static String format(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            if (shift != 40) {
                sb.append(':');
            }
            int b = (int) (mac >>> shift) & 0xFF;
            sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }
}
