package io.jvswitch.packet;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Accessors for {@code struct virtio_net_hdr}, the 10-byte header a TAP device opened with {@code IFF_VNET_HDR}
 * puts in front of every frame to carry checksum and segmentation offload state.
 *
 * <p>The kernel writes it in the host's byte order (TAP's default without {@code TUNSETVNETBE}), which is
 * little-endian on every platform jvs targets, so unlike the wire formats it is read little-endian.
 *
 * <p>This is the legacy 10-byte layout, TAP's default {@code vnet_hdr_sz}. A device configured for 12 bytes
 * (with {@code num_buffers}) has these same fields first; the caller then skips 12 bytes to reach the frame.
 *
 * <p>Static methods rather than a flyweight: the header is always at a known offset in front of the frame and
 * most packets only need one or two fields read.
 */
public final class VirtioNetHeader {
    public static final int LENGTH = 10;

    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;

    /** L4 checksum is partial: only the pseudo-header sum is in the field at csum_start + csum_offset. */
    public static final int FLAG_NEEDS_CSUM = 1;
    /** The checksum has been verified (or need not be), so the receiver may skip checking it. */
    public static final int FLAG_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    /** Flag OR-ed into gso_type: the TCP super-packet had CWR set, which must go on the first segment only. */
    public static final int GSO_ECN = 0x80;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private VirtioNetHeader() {}

    public static int flags(final DirectBuffer buffer, final int offset) {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    /**
     * @return the GSO type with the {@link #GSO_ECN} bit stripped, so it can be compared with the GSO_* values.
     */
    public static int gsoType(final DirectBuffer buffer, final int offset) {
        return buffer.getByte(offset + GSO_TYPE_OFFSET) & ~GSO_ECN & 0xFF;
    }

    public static boolean hasEcn(final DirectBuffer buffer, final int offset) {
        return (buffer.getByte(offset + GSO_TYPE_OFFSET) & GSO_ECN) != 0;
    }

    /**
     * @return true if the frame is a super-packet that must be segmented (or handed to a GSO-capable port).
     */
    public static boolean isGso(final DirectBuffer buffer, final int offset) {
        return gsoType(buffer, offset) != GSO_NONE;
    }

    public static boolean needsChecksum(final DirectBuffer buffer, final int offset) {
        return (buffer.getByte(offset + FLAGS_OFFSET) & FLAG_NEEDS_CSUM) != 0;
    }

    /**
     * @return hdr_len: a hint for the length of Ethernet + IP + L4 headers of a GSO packet. Guests may leave it
     *         imprecise, so do not trust it as a bound.
     */
    public static int headerLength(final DirectBuffer buffer, final int offset) {
        return buffer.getShort(offset + HDR_LEN_OFFSET, ORDER) & 0xFFFF;
    }

    /**
     * @return gso_size: L4 payload bytes per segment (the MSS for TCP).
     */
    public static int gsoSize(final DirectBuffer buffer, final int offset) {
        return buffer.getShort(offset + GSO_SIZE_OFFSET, ORDER) & 0xFFFF;
    }

    /**
     * @return csum_start: where checksumming starts, relative to the start of the Ethernet frame.
     */
    public static int checksumStart(final DirectBuffer buffer, final int offset) {
        return buffer.getShort(offset + CSUM_START_OFFSET, ORDER) & 0xFFFF;
    }

    /**
     * @return csum_offset: where the checksum is stored, relative to csum_start.
     */
    public static int checksumOffset(final DirectBuffer buffer, final int offset) {
        return buffer.getShort(offset + CSUM_OFFSET_OFFSET, ORDER) & 0xFFFF;
    }

    /**
     * Zero all 10 bytes: no offload, the state of a frame whose checksums are all complete.
     */
    public static void clear(final MutableDirectBuffer buffer, final int offset) {
        buffer.putLong(offset, 0L);
        buffer.putShort(offset + 8, (short) 0);
    }

    public static void setFlags(final MutableDirectBuffer buffer, final int offset, final int flags) {
        buffer.putByte(offset + FLAGS_OFFSET, (byte) flags);
    }

    /**
     * Store the whole gso_type byte, including {@link #GSO_ECN} if given.
     */
    public static void setGsoType(final MutableDirectBuffer buffer, final int offset, final int gsoType) {
        buffer.putByte(offset + GSO_TYPE_OFFSET, (byte) gsoType);
    }

    public static void setHeaderLength(final MutableDirectBuffer buffer, final int offset, final int headerLength) {
        buffer.putShort(offset + HDR_LEN_OFFSET, (short) headerLength, ORDER);
    }

    public static void setGsoSize(final MutableDirectBuffer buffer, final int offset, final int gsoSize) {
        buffer.putShort(offset + GSO_SIZE_OFFSET, (short) gsoSize, ORDER);
    }

    public static void setChecksumStart(final MutableDirectBuffer buffer, final int offset, final int checksumStart) {
        buffer.putShort(offset + CSUM_START_OFFSET, (short) checksumStart, ORDER);
    }

    public static void setChecksumOffset(final MutableDirectBuffer buffer, final int offset, final int checksumOffset) {
        buffer.putShort(offset + CSUM_OFFSET_OFFSET, (short) checksumOffset, ORDER);
    }

    /**
     * A TCP segmentation request, as Linux writes one for a TSO super-frame: {@code gsoType}
     * ({@link #GSO_TCPV4} or {@link #GSO_TCPV6}), segments of {@code gsoSize} payload bytes behind
     * {@code headerLength} bytes of headers, and NEEDS_CSUM with the TCP checksum field to complete
     * in the TCP header at {@code tcpStart} (both counted from the frame, after this header).
     */
    public static void setTcpSegmentation(
            final MutableDirectBuffer buffer,
            final int offset,
            final int gsoType,
            final int tcpStart,
            final int headerLength,
            final int gsoSize) {
        setFlags(buffer, offset, FLAG_NEEDS_CSUM);
        setGsoType(buffer, offset, gsoType);
        setHeaderLength(buffer, offset, headerLength);
        setGsoSize(buffer, offset, gsoSize);
        setChecksumStart(buffer, offset, tcpStart);
        setChecksumOffset(buffer, offset, TcpPacket.CHECKSUM_OFFSET);
    }

    /**
     * Finish a partial checksum in software, as Linux {@code skb_checksum_help} does, for a port that cannot take
     * {@link #FLAG_NEEDS_CSUM} frames (e.g. a VXLAN underlay or a TAP without offloads).
     *
     * <p>The sender left the pseudo-header sum in the checksum field, so summing from csum_start to the end of the
     * frame, field included, gives the full sum. The folded complement is stored (0 is stored as 0xFFFF, which is
     * equivalent in ones' complement and required for UDP, where 0 would mean "no checksum"), NEEDS_CSUM is
     * cleared and DATA_VALID set.
     *
     * <p>Only valid for a frame that will not be segmented afterwards: on a GSO super-packet the sum would cover
     * every segment.
     *
     * @param vnetOffset  offset of this header; the Ethernet frame starts {@link #LENGTH} bytes later.
     * @param totalLength length of this header plus the frame.
     * @return true if the checksum is now complete (including when NEEDS_CSUM was not set, which changes
     *         nothing); false, changing nothing, if csum_start or the field lie outside the frame or the buffer.
     */
    public static boolean completeChecksum(
            final MutableDirectBuffer buffer, final int vnetOffset, final int totalLength) {
        if (vnetOffset < 0 || totalLength < LENGTH || totalLength > buffer.capacity() - vnetOffset) {
            return false;
        }
        final int flags = flags(buffer, vnetOffset);
        if ((flags & FLAG_NEEDS_CSUM) == 0) {
            return true;
        }

        final int frameOffset = vnetOffset + LENGTH;
        final int frameLength = totalLength - LENGTH;
        final int start = checksumStart(buffer, vnetOffset);
        final int fieldOffset = start + checksumOffset(buffer, vnetOffset);
        // Both are at most 0xFFFF, so their sum cannot overflow; the 2-byte field must lie wholly in the frame.
        if (fieldOffset + 2 > frameLength) {
            return false;
        }

        final int sum = InternetChecksum.partialSum(buffer, frameOffset + start, frameLength - start, 0);
        final int checksum = ~InternetChecksum.fold(sum) & 0xFFFF;
        buffer.putShort(frameOffset + fieldOffset, (short) (checksum == 0 ? 0xFFFF : checksum), ByteOrder.BIG_ENDIAN);
        setFlags(buffer, vnetOffset, (flags & ~FLAG_NEEDS_CSUM) | FLAG_DATA_VALID);
        return true;
    }
}
