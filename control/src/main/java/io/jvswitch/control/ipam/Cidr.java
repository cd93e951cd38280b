package io.jvswitch.control.ipam;

/**
 * An IPv4 network in CIDR form, e.g. {@code 172.19.0.0/16}.
 *
 * <p>{@code address} is the network address as a network-order {@code int}
 * ({@code 10.0.0.0 == 0x0A000000}); its host bits are always zero.
 *
 * @param address      network address
 * @param prefixLength 0-32
 */
public record Cidr(int address, int prefixLength) {

    /** @throws IllegalArgumentException if the prefix length is not 0-32 or host bits are set */
    public Cidr {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException(
                    "invalid subnet " + Ipv4.format(address) + "/" + prefixLength + ": prefix length must be 0-32");
        }
        int mask = mask(prefixLength);
        if ((address & ~mask) != 0) {
            throw new IllegalArgumentException("invalid subnet " + Ipv4.format(address) + "/" + prefixLength
                    + ": host bits are set (did you mean " + Ipv4.format(address & mask) + "/" + prefixLength + "?)");
        }
    }

    /** Parses a subnet such as {@code 172.19.0.0/16}; errors name the input as a "subnet". */
    public static Cidr parse(String text) {
        return parse(text, "subnet");
    }

    /**
     * Parses a CIDR strictly: dotted-quad address, '/', decimal prefix length 0-32, no host bits.
     *
     * @param what what the user gave, used in messages: "subnet", "ip-range", ...
     * @throws IllegalArgumentException e.g. "invalid subnet '172.19.0.1/16': host bits are set
     *                                  (did you mean 172.19.0.0/16?)"
     */
    public static Cidr parse(String text, String what) {
        String input = String.valueOf(text);
        if (text == null || text.isEmpty()) {
            throw Ipv4.invalid(what, input, "empty (expected an IPv4 network like 172.19.0.0/16)");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw Ipv4.invalid(what, input, "missing prefix length (expected an IPv4 network like 172.19.0.0/16)");
        }
        int address = Ipv4.parse(text.substring(0, slash), what, input);
        int prefix = parsePrefix(text.substring(slash + 1), what, input);
        int mask = mask(prefix);
        if ((address & ~mask) != 0) {
            throw Ipv4.invalid(
                    what,
                    input,
                    "host bits are set (did you mean " + Ipv4.format(address & mask) + "/" + prefix + "?)");
        }
        return new Cidr(address, prefix);
    }

    private static int parsePrefix(String s, String what, String input) {
        boolean ok = !s.isEmpty() && s.length() <= 2 && !(s.length() == 2 && s.charAt(0) == '0');
        int v = 0;
        for (int i = 0; ok && i < s.length(); i++) {
            char c = s.charAt(i);
            ok = c >= '0' && c <= '9';
            v = v * 10 + (c - '0');
        }
        if (!ok || v > 32) {
            throw Ipv4.invalid(what, input, "prefix length must be 0-32");
        }
        return v;
    }

    /** Parses a dotted-quad address; errors name the input as an "address". */
    public static int parseAddress(String text) {
        return parseAddress(text, "address");
    }

    /**
     * Parses a dotted-quad IPv4 address strictly (4 decimal octets 0-255, no leading zeros).
     *
     * @param what what the user gave, used in messages: "address", "gateway", "ip", ...
     * @throws IllegalArgumentException e.g. "invalid gateway '10.0.0.256': '256' is not an IPv4 octet (0-255)"
     */
    public static int parseAddress(String text, String what) {
        return Ipv4.parse(text, what, String.valueOf(text));
    }

    /** Dotted-quad form of a network-order address. */
    public static String format(int address) {
        return Ipv4.format(address);
    }

    /** The netmask for a prefix length 0-32, e.g. 24 -> 0xFFFFFF00. */
    static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    public int network() {
        return address;
    }

    public int broadcast() {
        return address | ~netmask();
    }

    public int netmask() {
        return mask(prefixLength);
    }

    /** Number of addresses, network and broadcast included (2^32 for /0). */
    public long size() {
        return 1L << (32 - prefixLength);
    }

    public boolean contains(int ip) {
        return (ip & netmask()) == address;
    }

    /** Whether {@code other} lies entirely within this network. */
    public boolean contains(Cidr other) {
        return other.prefixLength >= prefixLength && contains(other.address);
    }

    /** Whether the two networks share at least one address (for CIDRs: one contains the other). */
    public boolean overlaps(Cidr other) {
        return contains(other.address) || other.contains(address);
    }

    @Override
    public String toString() {
        return Ipv4.format(address) + "/" + prefixLength;
    }
}
