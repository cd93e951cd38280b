package io.jvswitch.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over a TCP header (RFC 9293), options included. TCP has no length field, so wrap it with the IP
 * payload length: that is what the checksum covers.
 */
public final class TcpPacket extends TransportHeader {
    public static final int MIN_HEADER_LENGTH = 20;

    public static final int SEQUENCE_OFFSET = 4;
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    /** High nibble: header length in 32-bit words. */
    public static final int DATA_OFFSET_OFFSET = 12;

    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /**
     * @param length the segment length (the IP payload length).
     * @return false, leaving this unwrapped, unless 20 bytes fit and the data offset gives a header length of at
     *         least 20 that fits in {@code length}.
     */
    public boolean wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        if (!fits(buffer, offset, length, MIN_HEADER_LENGTH)) {
            return reject();
        }
        final int headerLength = ((buffer.getByte(offset + DATA_OFFSET_OFFSET) & 0xF0) >>> 4) << 2;
        if (headerLength < MIN_HEADER_LENGTH || headerLength > length) {
            return reject();
        }
        return attach(buffer, offset, length);
    }

    /**
     * @return the sequence number as an unsigned 32-bit value.
     */
    public long sequence() {
        return buffer.getInt(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    /**
     * @return the acknowledgment number as an unsigned 32-bit value.
     */
    public long acknowledgment() {
        return buffer.getInt(offset + ACKNOWLEDGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    /**
     * @return the data offset field: header length in 32-bit words, 5..15.
     */
    public int dataOffset() {
        return (buffer.getByte(offset + DATA_OFFSET_OFFSET) & 0xF0) >>> 4;
    }

    /**
     * @return header length in bytes, options included: 20..60.
     */
    public int headerLength() {
        return dataOffset() << 2;
    }

    /**
     * @return the eight flag bits CWR..FIN; the obsolete NS bit (RFC 3540, historic) is not included.
     */
    public int flags() {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    /**
     * @return true if every flag in {@code mask} is set.
     */
    public boolean hasFlags(final int mask) {
        return (flags() & mask) == mask;
    }

    public int window() {
        return buffer.getShort(offset + WINDOW_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int checksum() {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int urgentPointer() {
        return buffer.getShort(offset + URGENT_POINTER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int payloadOffset() {
        return offset + headerLength();
    }

    public int payloadLength() {
        return length - headerLength();
    }

    public void setSequence(final long sequence) {
        buffer.putInt(offset + SEQUENCE_OFFSET, (int) sequence, ByteOrder.BIG_ENDIAN);
    }

    public void setAcknowledgment(final long acknowledgment) {
        buffer.putInt(offset + ACKNOWLEDGMENT_OFFSET, (int) acknowledgment, ByteOrder.BIG_ENDIAN);
    }

    /**
     * Set the header length in 32-bit words, keeping the reserved bits. Does not re-validate: the caller must
     * make sure the new header still fits.
     */
    public void setDataOffset(final int words) {
        final int index = offset + DATA_OFFSET_OFFSET;
        buffer.putByte(index, (byte) ((buffer.getByte(index) & 0x0F) | (words << 4)));
    }

    public void setFlags(final int flags) {
        buffer.putByte(offset + FLAGS_OFFSET, (byte) flags);
    }

    public void setWindow(final int window) {
        buffer.putShort(offset + WINDOW_OFFSET, (short) window, ByteOrder.BIG_ENDIAN);
    }

    public void setChecksum(final int checksum) {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short) checksum, ByteOrder.BIG_ENDIAN);
    }

    public void setUrgentPointer(final int urgentPointer) {
        buffer.putShort(offset + URGENT_POINTER_OFFSET, (short) urgentPointer, ByteOrder.BIG_ENDIAN);
    }

    /**
     * @param pseudoHeaderSum from {@link Ipv4Packet#pseudoHeaderSum()} or {@link Ipv6Packet#pseudoHeaderSum}.
     * @return the checksum to store, over the wrapped length, computed as if the field were zero.
     */
    public int computeChecksum(final int pseudoHeaderSum) {
        int sum = InternetChecksum.partialSum(buffer, offset, CHECKSUM_OFFSET, pseudoHeaderSum);
        sum = InternetChecksum.partialSum(buffer, offset + URGENT_POINTER_OFFSET, length - URGENT_POINTER_OFFSET, sum);
        return ~InternetChecksum.fold(sum) & 0xFFFF;
    }

    public boolean isChecksumValid(final int pseudoHeaderSum) {
        return InternetChecksum.fold(InternetChecksum.partialSum(buffer, offset, length, pseudoHeaderSum)) == 0xFFFF;
    }
}
