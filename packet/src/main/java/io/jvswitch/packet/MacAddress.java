package io.jvswitch.packet;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * 48-bit IEEE 802 MAC addresses held in the low 48 bits of a {@code long}, first octet most significant, so
 * {@code 02:42:ac:11:00:02} is {@code 0x0242_ac11_0002L}. A {@code long} is a cheap, allocation-free hash key for
 * the forwarding table.
 */
public final class MacAddress {
    /** ff:ff:ff:ff:ff:ff. */
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    /** Length of a MAC address on the wire. */
    public static final int LENGTH = 6;

    /** Textual length of {@code xx:xx:xx:xx:xx:xx}. */
    private static final int TEXT_LENGTH = 17;

    /** Individual/group bit: the least significant bit of the first octet, which is the first bit on the wire. */
    private static final long GROUP_BIT = 1L << 40;

    /** Universal/local bit: second least significant bit of the first octet. */
    private static final long LOCAL_BIT = 1L << 41;

    private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

    private MacAddress() {}

    /**
     * Parse six colon-separated two-digit hex octets, upper or lower case, e.g. {@code 02:42:AC:11:00:02}.
     *
     * @throws IllegalArgumentException if the text is not exactly in that form.
     */
    public static long parse(final String text) {
        if (text == null) {
            throw new IllegalArgumentException("MAC address is null");
        }
        if (text.length() != TEXT_LENGTH) {
            throw invalid(text, "expected 17 characters");
        }

        long mac = 0;
        for (int octet = 0; octet < LENGTH; octet++) {
            final int position = octet * 3;
            if (octet > 0 && text.charAt(position - 1) != ':') {
                throw invalid(text, "expected ':' at position " + (position - 1));
            }
            final int high = hexValue(text.charAt(position));
            final int low = hexValue(text.charAt(position + 1));
            if ((high | low) < 0) {
                throw invalid(text, "octet " + (octet + 1) + " is not two hex digits");
            }
            mac = (mac << 8) | (high << 4) | low;
        }
        return mac;
    }

    /**
     * @return lower-case {@code xx:xx:xx:xx:xx:xx}; bits above 48 are ignored.
     */
    public static String format(final long mac) {
        final char[] text = new char[TEXT_LENGTH];
        for (int octet = 0; octet < LENGTH; octet++) {
            final int value = (int) (mac >>> (40 - 8 * octet)) & 0xFF;
            final int position = octet * 3;
            text[position] = HEX_DIGITS[value >>> 4];
            text[position + 1] = HEX_DIGITS[value & 0xF];
            if (octet < LENGTH - 1) {
                text[position + 2] = ':';
            }
        }
        return new String(text);
    }

    /**
     * @return true for group addresses (I/G bit set), which includes broadcast; such frames are flooded, never
     *         learned as a source.
     */
    public static boolean isMulticast(final long mac) {
        return (mac & GROUP_BIT) != 0;
    }

    public static boolean isBroadcast(final long mac) {
        return mac == BROADCAST;
    }

    public static boolean isZero(final long mac) {
        return mac == 0;
    }

    /**
     * @return true if the U/L bit is set, as for addresses a container runtime or hypervisor makes up.
     */
    public static boolean isLocallyAdministered(final long mac) {
        return (mac & LOCAL_BIT) != 0;
    }

    /**
     * Read 6 bytes at {@code offset}: one 4-byte and one 2-byte load instead of six byte loads.
     */
    public static long read(final DirectBuffer buffer, final int offset) {
        final long high = buffer.getInt(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
        final long low = buffer.getShort(offset + 4, ByteOrder.BIG_ENDIAN) & 0xFFFFL;
        return (high << 16) | low;
    }

    /**
     * Write the low 48 bits of {@code mac} as 6 bytes at {@code offset}, touching nothing outside them.
     */
    public static void write(final MutableDirectBuffer buffer, final int offset, final long mac) {
        buffer.putInt(offset, (int) (mac >>> 16), ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + 4, (short) mac, ByteOrder.BIG_ENDIAN);
    }

    /**
     * ASCII-only hex digit value; {@link Character#digit} would also accept non-ASCII digits.
     */
    private static int hexValue(final char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static IllegalArgumentException invalid(final String text, final String reason) {
        return new IllegalArgumentException(
                "invalid MAC address '" + text + "': " + reason + " (expected form 02:42:ac:11:00:02)");
    }
}
