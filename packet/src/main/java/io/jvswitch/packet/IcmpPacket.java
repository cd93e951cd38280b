package io.jvswitch.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an ICMPv4 message (RFC 792). The checksum covers the whole message, so wrap it with the IPv4
 * payload length, not the rest of the frame.
 *
 * <p>Identifier and sequence are the echo request/reply fields; for other types the same four bytes mean
 * something else (unused, or the next-hop MTU of "fragmentation needed").
 */
public final class IcmpPacket extends Flyweight {
    public static final int HEADER_LENGTH = 8;

    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int IDENTIFIER_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 6;

    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;
    public static final int TYPE_PARAMETER_PROBLEM = 12;

    /**
     * @param length the ICMP message length (the IPv4 payload length).
     * @return false, leaving this unwrapped, if fewer than 8 bytes are available.
     */
    public boolean wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        if (!fits(buffer, offset, length, HEADER_LENGTH)) {
            return reject();
        }
        return attach(buffer, offset, length);
    }

    public int type() {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    public int code() {
        return buffer.getByte(offset + CODE_OFFSET) & 0xFF;
    }

    public int checksum() {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int identifier() {
        return buffer.getShort(offset + IDENTIFIER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int sequence() {
        return buffer.getShort(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /**
     * @return absolute buffer offset of the data after the 8-byte header.
     */
    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength() {
        return length - HEADER_LENGTH;
    }

    public void setType(final int type) {
        buffer.putByte(offset + TYPE_OFFSET, (byte) type);
    }

    public void setCode(final int code) {
        buffer.putByte(offset + CODE_OFFSET, (byte) code);
    }

    public void setChecksum(final int checksum) {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short) checksum, ByteOrder.BIG_ENDIAN);
    }

    public void setIdentifier(final int identifier) {
        buffer.putShort(offset + IDENTIFIER_OFFSET, (short) identifier, ByteOrder.BIG_ENDIAN);
    }

    public void setSequence(final int sequence) {
        buffer.putShort(offset + SEQUENCE_OFFSET, (short) sequence, ByteOrder.BIG_ENDIAN);
    }

    /**
     * @return the checksum the message should carry, computed over the wrapped length as if the field were zero.
     */
    public int computeChecksum() {
        int sum = InternetChecksum.partialSum(buffer, offset, CHECKSUM_OFFSET, 0);
        sum = InternetChecksum.partialSum(buffer, offset + IDENTIFIER_OFFSET, length - IDENTIFIER_OFFSET, sum);
        return ~InternetChecksum.fold(sum) & 0xFFFF;
    }

    public void updateChecksum() {
        setChecksum(computeChecksum());
    }

    public boolean isChecksumValid() {
        return InternetChecksum.compute(buffer, offset, length) == 0;
    }
}
