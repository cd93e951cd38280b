package io.jvswitch.packet;

/**
 * IPv6 addresses as the dataplane holds them: two big-endian {@code long}s, the first 8 bytes
 * ({@code high}) and the last 8 ({@code low}), compared and hashed without allocation.
 */
public final class Ipv6Address {
    /** fe80::/64: the first 8 bytes of a link-local address formed from an interface identifier. */
    public static final long LINK_LOCAL_HIGH = 0xFE80_0000_0000_0000L;

    private Ipv6Address() {}

    /**
     * The modified EUI-64 interface identifier of a MAC (RFC 4291 appendix A): ff:fe in the middle,
     * the universal/local bit flipped. {@code fe80::} plus this is the link-local address Linux
     * gives an interface with that MAC.
     */
    public static long interfaceId(final long mac) {
        final long upper = (mac >>> 24) & 0xFF_FFFFL;
        final long lower = mac & 0xFF_FFFFL;
        return ((upper << 40) | 0xFF_FE00_0000L | lower) ^ 0x0200_0000_0000_0000L;
    }

    /** RFC 5952 text (lowercase, the longest run of two or more zero groups as ::), for traces and logs. */
    public static String format(final long high, final long low) {
        final int[] groups = new int[8];
        for (int i = 0; i < 4; i++) {
            groups[i] = (int) (high >>> (48 - 16 * i)) & 0xFFFF;
            groups[4 + i] = (int) (low >>> (48 - 16 * i)) & 0xFFFF;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        final StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    /** Whether the address is link-local (fe80::/10). */
    public static boolean isLinkLocal(final long high) {
        return (high >>> 54) == (0xFE80L >>> 6);
    }

    /** Whether the address is multicast (ff00::/8). */
    public static boolean isMulticast(final long high) {
        return (high >>> 56) == 0xFF;
    }
}
