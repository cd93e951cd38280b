package io.jvswitch.packet;

/**
 * Flyweight over an ICMPv4 message (RFC 792). The checksum covers the whole message, so wrap it with the IPv4
 * payload length, not the rest of the frame.
 *
 * <p>Identifier and sequence are the echo request/reply fields; for other types the same four bytes mean
 * something else (unused, or the next-hop MTU of "fragmentation needed").
 */
public final class IcmpPacket extends IcmpHeader {
    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;
    public static final int TYPE_PARAMETER_PROBLEM = 12;

    /**
     * @return absolute buffer offset of the data after the 8-byte header.
     */
    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength() {
        return length - HEADER_LENGTH;
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
