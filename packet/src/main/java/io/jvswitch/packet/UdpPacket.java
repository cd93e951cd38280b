package io.jvswitch.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over a UDP header (RFC 768). The length field, not the wrapped length, bounds the datagram.
 *
 * <p>A checksum field of 0 means "not computed" over IPv4; a computed checksum of 0 is therefore sent as 0xFFFF,
 * and incremental updates must leave a 0 field alone.
 */
public final class UdpPacket extends TransportHeader {
    public static final int HEADER_LENGTH = 8;

    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;

    /** DHCP (RFC 2131): servers send from 67 to clients on 68. */
    public static final int DHCP_SERVER_PORT = 67;

    public static final int DHCP_CLIENT_PORT = 68;
    /** DHCPv6 (RFC 8415): servers and relays listen on 547, clients on 546. */
    public static final int DHCPV6_SERVER_PORT = 547;

    public static final int DHCPV6_CLIENT_PORT = 546;

    /**
     * @param length bytes available from {@code offset} (normally the IP payload length).
     * @return false, leaving this unwrapped, unless 8 bytes fit and the length field is 8..{@code length}.
     */
    public boolean wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        if (!fits(buffer, offset, length, HEADER_LENGTH)) {
            return reject();
        }
        final int udpLength = buffer.getShort(offset + LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (udpLength < HEADER_LENGTH || udpLength > length) {
            return reject();
        }
        return attach(buffer, offset, length);
    }

    /**
     * @return the length field: header plus payload, in bytes.
     */
    public int length() {
        return buffer.getShort(offset + LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int checksum() {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength() {
        return length() - HEADER_LENGTH;
    }

    public void setLength(final int udpLength) {
        buffer.putShort(offset + LENGTH_OFFSET, (short) udpLength, ByteOrder.BIG_ENDIAN);
    }

    public void setChecksum(final int checksum) {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short) checksum, ByteOrder.BIG_ENDIAN);
    }

    /**
     * @param pseudoHeaderSum from {@link Ipv4Packet#pseudoHeaderSum()} or {@link Ipv6Packet#pseudoHeaderSum}.
     * @return the checksum to store, over the length field's bytes, with 0 mapped to 0xFFFF.
     */
    public int computeChecksum(final int pseudoHeaderSum) {
        int sum = InternetChecksum.partialSum(buffer, offset, CHECKSUM_OFFSET, pseudoHeaderSum);
        sum = InternetChecksum.partialSum(buffer, offset + HEADER_LENGTH, length() - HEADER_LENGTH, sum);
        final int checksum = ~InternetChecksum.fold(sum) & 0xFFFF;
        return checksum == 0 ? 0xFFFF : checksum;
    }

    /**
     * @return true if the checksum verifies, or is 0 (absent, which only IPv4 allows: callers on IPv6 should
     *         treat a 0 field as invalid themselves).
     */
    public boolean isChecksumValid(final int pseudoHeaderSum) {
        if (checksum() == 0) {
            return true;
        }
        final int sum = InternetChecksum.partialSum(buffer, offset, length(), pseudoHeaderSum);
        return InternetChecksum.fold(sum) == 0xFFFF;
    }
}
