package io.jvswitch.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The 8-byte header that ICMPv4 (RFC 792) and ICMPv6 (RFC 4443 2.1) share: type, code, checksum,
 * and four bytes whose meaning depends on the type (an echo's identifier and sequence). Written
 * once here; {@link IcmpPacket} and {@link Icmpv6Packet} add what differs (the checksum's coverage,
 * the types, Neighbor Discovery).
 */
public abstract sealed class IcmpHeader extends Flyweight permits IcmpPacket, Icmpv6Packet {
    public static final int HEADER_LENGTH = 8;

    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int IDENTIFIER_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 6;

    IcmpHeader() {}

    /**
     * @param length the message length (the IP payload length: the checksum covers all of it).
     * @return false, leaving this unwrapped, if fewer than 8 bytes are available.
     */
    public final boolean wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        if (!fits(buffer, offset, length, HEADER_LENGTH)) {
            return reject();
        }
        return attach(buffer, offset, length);
    }

    public final int type() {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    public final int code() {
        return buffer.getByte(offset + CODE_OFFSET) & 0xFF;
    }

    public final int checksum() {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public final int identifier() {
        return buffer.getShort(offset + IDENTIFIER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public final int sequence() {
        return buffer.getShort(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public final void setType(final int type) {
        buffer.putByte(offset + TYPE_OFFSET, (byte) type);
    }

    public final void setCode(final int code) {
        buffer.putByte(offset + CODE_OFFSET, (byte) code);
    }

    public final void setChecksum(final int checksum) {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short) checksum, ByteOrder.BIG_ENDIAN);
    }

    public final void setIdentifier(final int identifier) {
        buffer.putShort(offset + IDENTIFIER_OFFSET, (short) identifier, ByteOrder.BIG_ENDIAN);
    }

    public final void setSequence(final int sequence) {
        buffer.putShort(offset + SEQUENCE_OFFSET, (short) sequence, ByteOrder.BIG_ENDIAN);
    }
}
