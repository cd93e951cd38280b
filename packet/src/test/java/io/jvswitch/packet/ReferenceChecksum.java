package io.jvswitch.packet;

/**
 * The Internet checksum the slow, obvious way (one 16-bit word per step, as RFC 1071 describes it), so the
 * optimised code under test is checked against something independent of it.
 */
final class ReferenceChecksum {
    private ReferenceChecksum() {}

    /**
     * @return folded (not complemented) ones' complement sum of {@code data[from, to)}.
     */
    static int foldedSum(final byte[] data, final int from, final int to) {
        return foldedSum(data, from, to, 0);
    }

    static int foldedSum(final byte[] data, final int from, final int to, final long initial) {
        long sum = initial;
        for (int i = from; i < to; i += 2) {
            final int high = data[i] & 0xFF;
            final int low = i + 1 < to ? data[i + 1] & 0xFF : 0;
            sum += (high << 8) | low;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    /**
     * @return the checksum of {@code data[from, to)}: complement of the folded sum.
     */
    static int checksum(final byte[] data, final int from, final int to) {
        return ~foldedSum(data, from, to) & 0xFFFF;
    }

    /**
     * @return the 12 bytes of the IPv4 TCP/UDP pseudo-header.
     */
    static byte[] ipv4PseudoHeader(final int source, final int destination, final int protocol, final int length) {
        return new byte[] {
            (byte) (source >>> 24),
            (byte) (source >>> 16),
            (byte) (source >>> 8),
            (byte) source,
            (byte) (destination >>> 24),
            (byte) (destination >>> 16),
            (byte) (destination >>> 8),
            (byte) destination,
            0,
            (byte) protocol,
            (byte) (length >>> 8),
            (byte) length
        };
    }

    /**
     * @return checksum over a pseudo-header followed by the segment {@code data[from, to)}, with the checksum
     *         field at {@code data[fieldIndex]} taken as zero.
     */
    static int checksumWithPseudoHeader(
            final byte[] pseudoHeader, final byte[] data, final int from, final int to, final int fieldIndex) {
        final byte[] joined = new byte[pseudoHeader.length + to - from];
        System.arraycopy(pseudoHeader, 0, joined, 0, pseudoHeader.length);
        System.arraycopy(data, from, joined, pseudoHeader.length, to - from);
        joined[pseudoHeader.length + fieldIndex - from] = 0;
        joined[pseudoHeader.length + fieldIndex - from + 1] = 0;
        return checksum(joined, 0, joined.length);
    }
}
