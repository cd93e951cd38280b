package io.jvswitch.control.ipam;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv6 network in CIDR form, e.g. {@code fd00:20::/64}. Control-plane only: addresses are
 * {@link BigInteger}s 0 .. 2^128-1, which keeps the arithmetic of ranges and pools obvious; the
 * dataplane gets them as two {@code long}s ({@link #high(BigInteger)}, {@link #low(BigInteger)}).
 *
 * @param address network address, host bits zero
 * @param prefixLength 0-128
 */
public record Ipv6Cidr(BigInteger address, int prefixLength) {
    private static final BigInteger ALL_ONES = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    private static final BigInteger LOW_64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    public Ipv6Cidr {
        if (prefixLength < 0 || prefixLength > 128) {
            throw new IllegalArgumentException("prefix length must be 0-128: " + prefixLength);
        }
        if (!address.and(hostMask(prefixLength)).equals(BigInteger.ZERO)) {
            throw new IllegalArgumentException("host bits are set in " + format(address) + "/" + prefixLength);
        }
    }

    /** Whether the text looks like an IPv6 address or network (has a colon): how the CLI sorts a --subnet. */
    public static boolean looksLikeIpv6(String text) {
        return text != null && text.indexOf(':') >= 0;
    }

    /**
     * Parses {@code fd00:20::/64} strictly: an IPv6 literal (no zone, not IPv4-mapped), '/', a
     * decimal prefix length 0-128, no host bits.
     *
     * @param what what the user gave, for messages: "subnet", "ip-range", ...
     * @throws IllegalArgumentException e.g. "invalid subnet 'fd00::1/64': host bits are set (did you mean fd00::/64?)"
     */
    public static Ipv6Cidr parse(String text, String what) {
        final String input = String.valueOf(text);
        final int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0) {
            throw invalid(what, input, "missing prefix length (expected an IPv6 network like fd00:20::/64)");
        }
        final BigInteger address = parseAddress(text.substring(0, slash), what, input);
        final String p = text.substring(slash + 1);
        int prefix = -1;
        if (!p.isEmpty()
                && p.length() <= 3
                && p.chars().allMatch(Character::isDigit)
                && !(p.length() > 1 && p.charAt(0) == '0')) {
            prefix = Integer.parseInt(p);
        }
        if (prefix < 0 || prefix > 128) {
            throw invalid(what, input, "prefix length must be 0-128");
        }
        final BigInteger network = address.andNot(hostMask(prefix));
        if (!network.equals(address)) {
            throw invalid(what, input, "host bits are set (did you mean " + format(network) + "/" + prefix + "?)");
        }
        return new Ipv6Cidr(network, prefix);
    }

    /** Parses one IPv6 address ({@code fd00:20::5}); errors name the input as {@code what}. */
    public static BigInteger parseAddress(String text, String what) {
        return parseAddress(text, what, String.valueOf(text));
    }

    private static BigInteger parseAddress(String text, String what, String input) {
        if (text == null || text.isEmpty() || !looksLikeIpv6(text)) {
            throw invalid(what, input, "not an IPv6 address");
        }
        if (text.indexOf('%') >= 0) {
            throw invalid(what, input, "a zone (%...) has no place here");
        }
        final InetAddress parsed;
        try {
            parsed = InetAddress.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            throw invalid(what, input, "not an IPv6 address");
        }
        if (!(parsed instanceof Inet6Address)) {
            throw invalid(what, input, "an IPv4-mapped address is not an IPv6 network address");
        }
        return new BigInteger(1, parsed.getAddress());
    }

    static IllegalArgumentException invalid(String what, String input, String reason) {
        return new IllegalArgumentException("invalid " + what + " '" + input + "': " + reason);
    }

    /** RFC 5952 text form (lowercase, longest zero run as ::). */
    public static String format(BigInteger address) {
        try {
            return compress(InetAddress.getByAddress(bytes(address)).getHostAddress());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The 16 network-order bytes of an address. */
    public static byte[] bytes(BigInteger address) {
        final byte[] raw = address.toByteArray();
        final byte[] out = new byte[16];
        final int n = Math.min(raw.length, 16);
        System.arraycopy(raw, raw.length - n, out, 16 - n, n);
        return out;
    }

    /** The first 8 bytes, as the dataplane keeps them. */
    public static long high(BigInteger address) {
        return address.shiftRight(64).longValue();
    }

    /** The last 8 bytes, as the dataplane keeps them. */
    public static long low(BigInteger address) {
        return address.and(LOW_64).longValue();
    }

    /** Java prints full groups with zeros ("fd00:20:0:0:0:0:0:1"); RFC 5952 wants the longest zero run as "::". */
    private static String compress(String full) {
        final String[] groups = full.split(":");
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < groups.length; ) {
            if (groups[i].equals("0")) {
                int j = i;
                while (j < groups.length && groups[j].equals("0")) {
                    j++;
                }
                if (j - i > bestLength) {
                    bestStart = i;
                    bestLength = j - i;
                }
                i = j;
            } else {
                i++;
            }
        }
        if (bestStart < 0) {
            return String.join(":", groups);
        }
        final String head = String.join(":", Arrays.copyOfRange(groups, 0, bestStart));
        final String tail = String.join(":", Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
        return head + "::" + tail;
    }

    private static BigInteger hostMask(int prefixLength) {
        return prefixLength == 128 ? BigInteger.ZERO : ALL_ONES.shiftRight(prefixLength);
    }

    public BigInteger last() {
        return address.or(hostMask(prefixLength));
    }

    public boolean contains(BigInteger ip) {
        return ip.andNot(hostMask(prefixLength)).equals(address);
    }

    public boolean contains(Ipv6Cidr other) {
        return other.prefixLength >= prefixLength && contains(other.address);
    }

    public boolean overlaps(Ipv6Cidr other) {
        return contains(other.address) || other.contains(address);
    }

    @Override
    public String toString() {
        return format(address) + "/" + prefixLength;
    }
}
