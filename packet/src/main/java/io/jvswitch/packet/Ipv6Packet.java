package io.jvswitch.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over the fixed 40-byte IPv6 header (RFC 8200). Extension headers are not walked:
 * {@link #nextHeader()} is whatever follows the fixed header.
 *
 * <p>Addresses are read as two big-endian {@code long}s, high (first 8 bytes) and low, so they can be compared
 * and hashed without allocation.
 */
public final class Ipv6Packet extends Flyweight {
    public static final int HEADER_LENGTH = 40;

    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_OFFSET = 8;
    public static final int DESTINATION_OFFSET = 24;

    public static final int ADDRESS_LENGTH = 16;

    public static final int NEXT_HEADER_HOP_BY_HOP = 0;
    public static final int NEXT_HEADER_TCP = 6;
    public static final int NEXT_HEADER_UDP = 17;
    public static final int NEXT_HEADER_ROUTING = 43;
    public static final int NEXT_HEADER_FRAGMENT = 44;
    public static final int NEXT_HEADER_DESTINATION_OPTIONS = 60;
    /** The fragment header is 8 bytes; its offset field (in 8-byte units) is the top 13 bits at byte 2. */
    public static final int FRAGMENT_HEADER_LENGTH = 8;

    public static final int FRAGMENT_OFFSET_FIELD = 2;
    public static final int NEXT_HEADER_ICMPV6 = 58;

    public static final int VERSION = 6;

    /** The first word of a header with traffic class 0 and no flow label. */
    public static final int VERSION_WORD = VERSION << 28;

    /** The smallest MTU every IPv6 link has (RFC 8200 5): ICMPv6 errors fit in it. */
    public static final int MINIMUM_MTU = 1280;

    /**
     * @param length bytes available from {@code offset} (the Ethernet payload length).
     * @return false, leaving this unwrapped, unless the version is 6 and 40 bytes plus the payload length fit in
     *         {@code length}. A jumbogram (payload length 0, RFC 2675) passes; its real length is in a hop-by-hop
     *         option this class does not read.
     */
    public boolean wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        if (!fits(buffer, offset, length, HEADER_LENGTH)) {
            return reject();
        }
        if (((buffer.getByte(offset + VERSION_CLASS_FLOW_OFFSET) & 0xFF) >>> 4) != VERSION) {
            return reject();
        }
        final int payloadLength = buffer.getShort(offset + PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (payloadLength > length - HEADER_LENGTH) {
            return reject();
        }
        return attach(buffer, offset, length);
    }

    /** Writes version 6, traffic class 0, flow label 0. */
    public void setVersionClassFlow() {
        buffer.putInt(offset + VERSION_CLASS_FLOW_OFFSET, VERSION_WORD, ByteOrder.BIG_ENDIAN);
    }

    public int version() {
        return (buffer.getByte(offset + VERSION_CLASS_FLOW_OFFSET) & 0xFF) >>> 4;
    }

    public int trafficClass() {
        return (buffer.getShort(offset + VERSION_CLASS_FLOW_OFFSET, ByteOrder.BIG_ENDIAN) >>> 4) & 0xFF;
    }

    public int flowLabel() {
        return buffer.getInt(offset + VERSION_CLASS_FLOW_OFFSET, ByteOrder.BIG_ENDIAN) & 0xF_FFFF;
    }

    /**
     * @return bytes after the fixed 40-byte header, extension headers included.
     */
    public int payloadLength() {
        return buffer.getShort(offset + PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int nextHeader() {
        return buffer.getByte(offset + NEXT_HEADER_OFFSET) & 0xFF;
    }

    public int hopLimit() {
        return buffer.getByte(offset + HOP_LIMIT_OFFSET) & 0xFF;
    }

    public long sourceHigh() {
        return buffer.getLong(offset + SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long sourceLow() {
        return buffer.getLong(offset + SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    public long destinationHigh() {
        return buffer.getLong(offset + DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long destinationLow() {
        return buffer.getLong(offset + DESTINATION_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    /**
     * @return true if the destination is in ff00::/8.
     */
    public boolean isDestinationMulticast() {
        return buffer.getByte(offset + DESTINATION_OFFSET) == (byte) 0xFF;
    }

    /**
     * @return absolute buffer offset of the first byte after the fixed header.
     */
    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    public void setPayloadLength(final int payloadLength) {
        buffer.putShort(offset + PAYLOAD_LENGTH_OFFSET, (short) payloadLength, ByteOrder.BIG_ENDIAN);
    }

    public void setNextHeader(final int nextHeader) {
        buffer.putByte(offset + NEXT_HEADER_OFFSET, (byte) nextHeader);
    }

    /**
     * IPv6 has no header checksum, so nothing else changes.
     */
    public void setHopLimit(final int hopLimit) {
        buffer.putByte(offset + HOP_LIMIT_OFFSET, (byte) hopLimit);
    }

    public void setSource(final long high, final long low) {
        buffer.putLong(offset + SOURCE_OFFSET, high, ByteOrder.BIG_ENDIAN);
        buffer.putLong(offset + SOURCE_OFFSET + 8, low, ByteOrder.BIG_ENDIAN);
    }

    public void setDestination(final long high, final long low) {
        buffer.putLong(offset + DESTINATION_OFFSET, high, ByteOrder.BIG_ENDIAN);
        buffer.putLong(offset + DESTINATION_OFFSET + 8, low, ByteOrder.BIG_ENDIAN);
    }

    /**
     * @return partial sum of the pseudo-header for an upper-layer checksum over {@code l4Length} bytes.
     */
    public int pseudoHeaderSum(final int nextHeader, final int l4Length) {
        return InternetChecksum.pseudoHeaderIpv6(
                buffer, offset + SOURCE_OFFSET, offset + DESTINATION_OFFSET, nextHeader, l4Length);
    }
}
