package io.jvswitch.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an IPv4 header (RFC 791), options included.
 *
 * <p>{@link #wrap} trusts the total length field over the length the caller passes, because an Ethernet frame
 * may carry padding after a short datagram: {@link #payloadLength()} excludes it.
 */
public final class Ipv4Packet extends Flyweight {
    public static final int MIN_HEADER_LENGTH = 20;

    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int ID_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;

    public static final int PROTOCOL_ICMP = 1;
    public static final int PROTOCOL_TCP = 6;
    public static final int PROTOCOL_UDP = 17;

    public static final int VERSION = 4;

    /** In the 16-bit word at {@link #FLAGS_FRAGMENT_OFFSET}: don't fragment. */
    public static final int FLAG_DONT_FRAGMENT = 0x4000;
    /** In the 16-bit word at {@link #FLAGS_FRAGMENT_OFFSET}: more fragments follow. */
    public static final int FLAG_MORE_FRAGMENTS = 0x2000;
    /** In the 16-bit word at {@link #FLAGS_FRAGMENT_OFFSET}: the fragment offset, in 8-byte units. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;
    /** Set in any fragment (more to come, or a non-zero offset); clear in a whole datagram. */
    public static final int FRAGMENT_BITS = FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK;

    /**
     * @param length bytes available from {@code offset} (the Ethernet payload length).
     * @return false, leaving this unwrapped, unless the version is 4, IHL is at least 5, the header fits, and the
     *         total length covers the header and fits in {@code length}.
     */
    public boolean wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        if (!fits(buffer, offset, length, MIN_HEADER_LENGTH)) {
            return reject();
        }
        final int versionIhl = buffer.getByte(offset + VERSION_IHL_OFFSET) & 0xFF;
        final int headerLength = (versionIhl & 0x0F) << 2;
        if ((versionIhl >>> 4) != VERSION || headerLength < MIN_HEADER_LENGTH || headerLength > length) {
            return reject();
        }
        final int totalLength = buffer.getShort(offset + TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (totalLength < headerLength || totalLength > length) {
            return reject();
        }
        return attach(buffer, offset, length);
    }

    public int version() {
        return (buffer.getByte(offset + VERSION_IHL_OFFSET) & 0xFF) >>> 4;
    }

    /**
     * @return IHL in bytes: 20..60.
     */
    public int headerLength() {
        return (buffer.getByte(offset + VERSION_IHL_OFFSET) & 0x0F) << 2;
    }

    /**
     * @return the DSCP/ECN byte.
     */
    public int tos() {
        return buffer.getByte(offset + TOS_OFFSET) & 0xFF;
    }

    public int totalLength() {
        return buffer.getShort(offset + TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int identification() {
        return buffer.getShort(offset + ID_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public boolean dontFragment() {
        return (flagsAndFragmentOffset() & FLAG_DONT_FRAGMENT) != 0;
    }

    public boolean moreFragments() {
        return (flagsAndFragmentOffset() & FLAG_MORE_FRAGMENTS) != 0;
    }

    /**
     * @return the fragment offset field in 8-byte units, as on the wire (multiply by 8 for bytes).
     */
    public int fragmentOffset() {
        return flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK;
    }

    /**
     * @return true for any fragment, first included; only the first carries the L4 header.
     */
    public boolean isFragment() {
        return (flagsAndFragmentOffset() & (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public int ttl() {
        return buffer.getByte(offset + TTL_OFFSET) & 0xFF;
    }

    public int protocol() {
        return buffer.getByte(offset + PROTOCOL_OFFSET) & 0xFF;
    }

    public int checksum() {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int source() {
        return buffer.getInt(offset + SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public int destination() {
        return buffer.getInt(offset + DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    /**
     * @return absolute buffer offset of the L4 header.
     */
    public int payloadOffset() {
        return offset + headerLength();
    }

    /**
     * @return total length minus header length: the L4 bytes, without Ethernet padding.
     */
    public int payloadLength() {
        return totalLength() - headerLength();
    }

    /**
     * Set TTL without touching the checksum; see {@link #decrementTtl()} for the routed path.
     */
    public void setTtl(final int ttl) {
        buffer.putByte(offset + TTL_OFFSET, (byte) ttl);
    }

    /**
     * Decrement TTL and patch the header checksum incrementally (RFC 1624) instead of recomputing it.
     *
     * @return the new TTL; 0 means the packet must not be forwarded (a TTL already 0 is left unchanged).
     */
    public int decrementTtl() {
        final int index = offset + TTL_OFFSET;
        // TTL shares a 16-bit checksum word with the protocol byte.
        final int oldWord = buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (oldWord < 0x0100) {
            return 0;
        }
        final int newWord = oldWord - 0x0100;
        buffer.putShort(index, (short) newWord, ByteOrder.BIG_ENDIAN);
        setChecksum(InternetChecksum.adjust16(checksum(), oldWord, newWord));
        return newWord >>> 8;
    }

    /**
     * Set the source address without touching the checksum (use {@link #updateHeaderChecksum()} or
     * {@link InternetChecksum#adjust32} afterwards).
     */
    public void setSource(final int address) {
        buffer.putInt(offset + SOURCE_OFFSET, address, ByteOrder.BIG_ENDIAN);
    }

    /**
     * Set the destination address without touching the checksum.
     */
    public void setDestination(final int address) {
        buffer.putInt(offset + DESTINATION_OFFSET, address, ByteOrder.BIG_ENDIAN);
    }

    public void setChecksum(final int checksum) {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short) checksum, ByteOrder.BIG_ENDIAN);
    }

    /**
     * @return the header checksum the header should carry, computed as if the checksum field were zero.
     */
    public int computeHeaderChecksum() {
        // Sum around the field rather than zeroing it, so this is read-only; both halves have even length.
        int sum = InternetChecksum.partialSum(buffer, offset, CHECKSUM_OFFSET, 0);
        sum = InternetChecksum.partialSum(buffer, offset + SOURCE_OFFSET, headerLength() - SOURCE_OFFSET, sum);
        return ~InternetChecksum.fold(sum) & 0xFFFF;
    }

    public void updateHeaderChecksum() {
        setChecksum(computeHeaderChecksum());
    }

    /**
     * @return true if the header checksum is correct (the header sums to 0xFFFF).
     */
    public boolean isHeaderChecksumValid() {
        return InternetChecksum.compute(buffer, offset, headerLength()) == 0;
    }

    /**
     * @return partial sum of the TCP/UDP pseudo-header for this datagram's protocol and payload length.
     */
    public int pseudoHeaderSum() {
        return InternetChecksum.pseudoHeaderIpv4(source(), destination(), protocol(), payloadLength());
    }

    private int flagsAndFragmentOffset() {
        return buffer.getShort(offset + FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }
}
