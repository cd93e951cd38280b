package io.jvswitch.packet;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement sum of 16-bit big-endian
 * words, plus incremental update (RFC 1624).
 *
 * <p>Partial sums are unsigned 32-bit values carried in an {@code int}. They are not yet folded, so several ranges
 * (pseudo-header, header, payload) can be chained by passing one result as the next {@code initial}. Because
 * 2^16 is congruent to 1 modulo 0xFFFF, end-around carries from any bit position can be added back at the
 * bottom, which lets the hot loop sum wide words and defer folding to the end.
 */
public final class InternetChecksum {
    private static final boolean BIG_ENDIAN_MACHINE = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    private InternetChecksum() {}

    /**
     * Ones' complement sum of {@code length} bytes at {@code offset}, added to {@code initial}.
     *
     * <p>An odd final byte is padded with a zero low byte, as RFC 1071 specifies. When chaining ranges, every
     * range but the last must therefore have even length, or the later words would be summed byte-swapped.
     *
     * @param initial a previous partial sum (unsigned 32-bit), or 0.
     * @return the unfolded partial sum as an unsigned 32-bit value.
     */
    public static int partialSum(final DirectBuffer buffer, final int offset, final int length, final int initial) {
        buffer.boundsCheck(offset, length);
        final int words = length & ~7;
        final long sum = (initial & 0xFFFF_FFFFL)
                + bigEndianOfNative(nativeSum(buffer.byteArray(), buffer.addressOffset() + offset, words));
        return tail(buffer, offset + words, length - words, sum);
    }

    /**
     * Copies {@code length} bytes from {@code src} to {@code dst} and returns their partial sum, as
     * {@link #partialSum} of the copy would (segmenting a TCP super-frame moves and checksums every
     * payload byte).
     *
     * <p>Two passes, the sum and then the copy, and not one loop that loads, stores and adds each
     * word: the JIT vectorizes the load-only sum over off-heap memory ({@link #nativeSum}) and the
     * copy is the JVM's own copy stub, but it leaves a loop that stores to a raw address it cannot
     * prove apart from the loads scalar.
     * Measured on 1,392-byte segments of 2 MiB of rotating sources (JDK 25, AMD EPYC): the single
     * loop 23.5 GB/s, sum then copy 40 to 42 GB/s (before the off-heap sum below was split out).
     */
    public static int copyAndSum(
            final DirectBuffer src,
            final int srcOffset,
            final MutableDirectBuffer dst,
            final int dstOffset,
            final int length,
            final int initial) {
        dst.boundsCheck(dstOffset, length);
        final int sum = partialSum(src, srcOffset, length, initial);
        dst.putBytes(dstOffset, src, srcOffset, length);
        return sum;
    }

    /**
     * Sum of {@code bytes} (a multiple of 8) at a raw location, in 64-bit loads of the machine's own
     * byte order: no byte swap and no bounds check per word, which made this loop several times
     * faster than big-endian reads (the segmenter and coalescer of the VTEP checksum every byte of
     * every TCP segment they build or merge). The caller checks the bounds once.
     *
     * <p>Off-heap memory (the dataplane's buffers) gets a loop of its own, whose base object is
     * the constant null: the JIT vectorizes that one, but not a loop whose base may be an array or
     * null at run time. Measured on 1,392-byte segments of 2 MiB of rotating sources (JDK 25, AMD
     * EPYC): 60 to 70 GB/s against 22 to 23 GB/s.
     */
    private static long nativeSum(final byte[] array, final long address, final int bytes) {
        return array == null ? nativeSumOffHeap(address, bytes) : nativeSumOf(array, address, bytes);
    }

    private static long nativeSumOffHeap(final long address, final int bytes) {
        long sum = 0;
        for (int i = 0; i < bytes; i += 8) {
            final long word = UnsafeApi.getLong(null, address + i);
            sum += (word >>> 32) + (word & 0xFFFF_FFFFL);
        }
        return sum;
    }

    private static long nativeSumOf(final byte[] array, final long address, final int bytes) {
        long sum = 0;
        for (int i = 0; i < bytes; i += 8) {
            final long word = UnsafeApi.getLong(array, address + i);
            sum += (word >>> 32) + (word & 0xFFFF_FFFFL);
        }
        return sum;
    }

    /**
     * A sum of native-order words as a sum of big-endian 16-bit words: the ones' complement sum is
     * independent of byte order up to a swap of its two bytes (RFC 1071, section 2(B)).
     */
    private static long bigEndianOfNative(final long nativeSum) {
        final int folded = fold(nativeSum);
        return BIG_ENDIAN_MACHINE ? folded : ((folded & 0xFF) << 8) | (folded >>> 8);
    }

    /** Adds the last {@code remaining} (fewer than 8) bytes at an even distance from the range's start. */
    private static int tail(final DirectBuffer buffer, final int at, final int remaining, final long partial) {
        long sum = partial;
        int index = at;
        final int end = at + remaining;
        if (end - index >= 4) {
            sum += buffer.getInt(index, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
            index += 4;
        }
        if (end - index >= 2) {
            sum += buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            index += 2;
        }
        if (index < end) {
            sum += (buffer.getByte(index) & 0xFF) << 8;
        }
        // Two end-around-carry folds bring any sum below 2^64 into 32 bits.
        sum = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        sum = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        return (int) sum;
    }

    /**
     * Fold a partial sum, taken as unsigned 32-bit, to 16 bits with end-around carry (not complemented).
     */
    public static int fold(final int sum) {
        return fold(sum & 0xFFFF_FFFFL);
    }

    /**
     * Fold a partial sum, taken as unsigned 64-bit, to 16 bits with end-around carry (not complemented).
     * The result is 0 only if the sum was 0.
     */
    public static int fold(final long sum) {
        long folded = sum;
        while ((folded >>> 16) != 0) {
            folded = (folded & 0xFFFF) + (folded >>> 16);
        }
        return (int) folded;
    }

    /**
     * @return the checksum of the range, ready to store: {@code ~fold(partialSum) & 0xFFFF}. Over a range that
     *         includes a correct checksum field the result is 0.
     */
    public static int compute(final DirectBuffer buffer, final int offset, final int length) {
        return ~fold(partialSum(buffer, offset, length, 0)) & 0xFFFF;
    }

    /**
     * Partial sum of the IPv4 pseudo-header used by TCP and UDP checksums (RFC 793, RFC 768).
     *
     * @param l4Length length of the TCP or UDP header plus payload.
     */
    public static int pseudoHeaderIpv4(
            final int source, final int destination, final int protocol, final int l4Length) {
        // Six 16-bit terms can never overflow 32 bits, so no carry handling is needed here.
        return (source >>> 16)
                + (source & 0xFFFF)
                + (destination >>> 16)
                + (destination & 0xFFFF)
                + (protocol & 0xFF)
                + (l4Length & 0xFFFF);
    }

    /**
     * Partial sum of the IPv6 pseudo-header (RFC 8200 section 8.1), reading the 16-byte addresses in place.
     *
     * @param l4Length upper-layer packet length; a 32-bit field in the pseudo-header.
     */
    public static int pseudoHeaderIpv6(
            final DirectBuffer buffer,
            final int sourceOffset,
            final int destinationOffset,
            final int nextHeader,
            final int l4Length) {
        int sum = partialSum(buffer, sourceOffset, 16, 0);
        sum = partialSum(buffer, destinationOffset, 16, sum);
        final long total = (sum & 0xFFFF_FFFFL) + (l4Length >>> 16) + (l4Length & 0xFFFF) + (nextHeader & 0xFF);
        return (int) ((total & 0xFFFF_FFFFL) + (total >>> 32));
    }

    /**
     * Incremental update after one 16-bit word of the covered data changed, RFC 1624 eqn. 3:
     * {@code HC' = ~(~HC + ~m + m')}. Unlike eqn. 2 this never yields 0xFFFF (negative zero) where a full
     * recomputation would yield 0, so it agrees with {@link #compute} bit for bit, except if the covered data
     * becomes all zeros (it then gives 0x0000, recomputation 0xFFFF; equal in ones' complement), which no real
     * IP/TCP/UDP header can be.
     *
     * @return the new value for the checksum field.
     */
    public static int adjust16(final int checksum, final int oldValue, final int newValue) {
        final int sum = (~checksum & 0xFFFF) + (~oldValue & 0xFFFF) + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * Incremental update after one aligned 32-bit field (e.g. an IPv4 address or TCP sequence number) changed:
     * eqn. 3 applied to both of its 16-bit words at once.
     *
     * @return the new value for the checksum field.
     */
    public static int adjust32(final int checksum, final int oldValue, final int newValue) {
        final int sum = (~checksum & 0xFFFF)
                + (~oldValue >>> 16)
                + (~oldValue & 0xFFFF)
                + (newValue >>> 16)
                + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }
}
