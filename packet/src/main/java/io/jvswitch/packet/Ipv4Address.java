package io.jvswitch.packet;

/**
 * IPv4 addresses held in an {@code int}, first octet most significant, so {@code 10.0.0.1} is
 * {@code 0x0A00_0001}: the same value {@code getInt(offset, BIG_ENDIAN)} reads off the wire.
 */
public final class Ipv4Address {
    /** 0.0.0.0. */
    public static final int ANY = 0;

    /** 255.255.255.255, the limited broadcast address. */
    public static final int LIMITED_BROADCAST = 0xFFFF_FFFF;

    /** Length of an IPv4 address on the wire. */
    public static final int LENGTH = 4;

    private Ipv4Address() {}

    /**
     * Parse a strict dotted quad: exactly four decimal octets 0..255 separated by dots, no signs, spaces or
     * leading zeros (so {@code 010.0.0.1} is rejected rather than silently read as decimal or octal).
     *
     * @throws IllegalArgumentException if the text is not in that form.
     */
    public static int parse(final String text) {
        if (text == null) {
            throw new IllegalArgumentException("IPv4 address is null");
        }
        final int textLength = text.length();
        if (textLength < 7 || textLength > 15) {
            throw invalid(text, "wrong length");
        }

        int address = 0;
        int octet = 0;
        int digits = 0;
        int dots = 0;
        for (int i = 0; i < textLength; i++) {
            final char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                if (digits > 0 && octet == 0) {
                    throw invalid(text, "leading zero in octet " + (dots + 1));
                }
                octet = octet * 10 + (c - '0');
                digits++;
                if (octet > 255) {
                    throw invalid(text, "octet " + (dots + 1) + " is greater than 255");
                }
            } else if (c == '.') {
                if (digits == 0) {
                    throw invalid(text, "empty octet " + (dots + 1));
                }
                if (++dots > 3) {
                    throw invalid(text, "more than four octets");
                }
                address = (address << 8) | octet;
                octet = 0;
                digits = 0;
            } else {
                throw invalid(text, "unexpected character '" + c + "'");
            }
        }
        if (digits == 0 || dots != 3) {
            throw invalid(text, "expected four octets");
        }
        return (address << 8) | octet;
    }

    public static String format(final int address) {
        return new StringBuilder(15)
                .append(address >>> 24)
                .append('.')
                .append((address >>> 16) & 0xFF)
                .append('.')
                .append((address >>> 8) & 0xFF)
                .append('.')
                .append(address & 0xFF)
                .toString();
    }

    /**
     * @param prefixLength 0..32.
     * @return the mask with the top {@code prefixLength} bits set; {@code netmask(24) == 0xFFFF_FF00}.
     */
    public static int netmask(final int prefixLength) {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("IPv4 prefix length must be 0..32, got " + prefixLength);
        }
        // Java shifts use only the low 5 bits of the count, so -1 << 32 would be -1, not 0: special-case /0.
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /**
     * @return true for 224.0.0.0/4.
     */
    public static boolean isMulticast(final int address) {
        return (address >>> 28) == 0xE;
    }

    private static IllegalArgumentException invalid(final String text, final String reason) {
        return new IllegalArgumentException(
                "invalid IPv4 address '" + text + "': " + reason + " (expected dotted quad like 10.0.0.1)");
    }
}
