package io.jvswitch.control.ipam;

/**
 * Strict dotted-quad IPv4 parsing and formatting.
 *
 * <p>Addresses are plain {@code int}s holding the network-order value: {@code 10.0.0.1 == 0x0A000001}.
 * Comparisons and arithmetic that must respect ordering go through {@link #unsigned(int)}.
 */
final class Ipv4 {

    private Ipv4() {}

    /** The address as an unsigned value 0 .. 2^32-1. */
    static long unsigned(int address) {
        return address & 0xFFFF_FFFFL;
    }

    static String format(int address) {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "."
                + (address & 0xFF);
    }

    /**
     * Parses exactly four dot-separated decimal octets, each 0-255 and without leading zeros
     * (which other tools read as octal). No surrounding whitespace is accepted.
     *
     * @param text  the address text to parse
     * @param what  what the user gave, for the message ("address", "gateway", "subnet", ...)
     * @param input the whole user input, quoted in the message (may be longer than {@code text})
     * @throws IllegalArgumentException "invalid WHAT 'INPUT': REASON"
     */
    static int parse(String text, String what, String input) {
        if (text == null || text.isEmpty()) {
            throw invalid(what, input, "no IPv4 address given");
        }
        int value = 0;
        int octets = 0;
        int start = 0;
        while (true) {
            int dot = text.indexOf('.', start);
            int end = dot < 0 ? text.length() : dot;
            if (octets == 4) {
                throw invalid(what, input, "expected 4 dot-separated octets (like 10.0.0.1)");
            }
            value = (value << 8) | octet(text.substring(start, end), what, input);
            octets++;
            if (dot < 0) {
                break;
            }
            start = dot + 1;
        }
        if (octets != 4) {
            throw invalid(what, input, "expected 4 dot-separated octets (like 10.0.0.1)");
        }
        return value;
    }

    private static int octet(String part, String what, String input) {
        if (part.isEmpty()) {
            throw invalid(what, input, "empty octet (expected 4 dot-separated octets, like 10.0.0.1)");
        }
        if (part.length() > 3) {
            throw invalid(what, input, "'" + part + "' is not an IPv4 octet (0-255)");
        }
        int v = 0;
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c < '0' || c > '9') {
                throw invalid(what, input, "'" + part + "' is not an IPv4 octet (0-255)");
            }
            v = v * 10 + (c - '0');
        }
        if (v > 255) {
            throw invalid(what, input, "'" + part + "' is not an IPv4 octet (0-255)");
        }
        if (part.length() > 1 && part.charAt(0) == '0') {
            throw invalid(what, input, "octet '" + part + "' has a leading zero (write " + v + ")");
        }
        return v;
    }

    static IllegalArgumentException invalid(String what, String input, String reason) {
        return new IllegalArgumentException("invalid " + what + " '" + input + "': " + reason);
    }
}
