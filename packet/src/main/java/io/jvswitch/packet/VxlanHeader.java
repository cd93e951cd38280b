package io.jvswitch.packet;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The 8-byte VXLAN header of RFC 7348 section 5: flags (only the I flag, 0x08, is defined), 24
 * reserved bits, the 24-bit VNI and 8 more reserved bits. Static accessors over a buffer, like
 * {@link VirtioNetHeader}: the header is read on every received datagram, so no flyweight state.
 */
public final class VxlanHeader {
    public static final int LENGTH = 8;
    public static final int FLAGS_OFFSET = 0;
    public static final int VNI_OFFSET = 4;
    /** The "VNI is valid" flag; RFC 7348 requires it set and every other flag bit zero. */
    public static final int FLAG_I = 0x08;

    public static final int MAX_VNI = (1 << 24) - 1;
    /** The IANA port for VXLAN. */
    public static final int DEFAULT_PORT = 4789;
    /** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14): what a network's MTU loses to the overlay. */
    public static final int OVERHEAD = 20 + 8 + LENGTH + 14;

    private VxlanHeader() {}

    /** Writes a header with the I flag set, the reserved fields zero and {@code vni}. */
    public static void write(final MutableDirectBuffer buffer, final int offset, final int vni) {
        buffer.putInt(offset, FLAG_I << 24, ByteOrder.BIG_ENDIAN);
        buffer.putInt(offset + VNI_OFFSET, vni << 8, ByteOrder.BIG_ENDIAN);
    }

    /** The flags byte followed by the first 24 reserved bits, as one big-endian word. */
    public static int flagsWord(final DirectBuffer buffer, final int offset) {
        return buffer.getInt(offset, ByteOrder.BIG_ENDIAN);
    }

    /** Whether the flags are exactly the I flag and the first reserved field is zero. */
    public static boolean hasValidFlags(final DirectBuffer buffer, final int offset) {
        return (flagsWord(buffer, offset) >>> 24) == FLAG_I;
    }

    /** Whether the 24 bits after the flags and the 8 bits after the VNI are all zero. */
    public static boolean reservedBitsZero(final DirectBuffer buffer, final int offset) {
        return (flagsWord(buffer, offset) & 0x00FF_FFFF) == 0 && buffer.getByte(offset + VNI_OFFSET + 3) == 0;
    }

    public static int vni(final DirectBuffer buffer, final int offset) {
        return buffer.getInt(offset + VNI_OFFSET, ByteOrder.BIG_ENDIAN) >>> 8;
    }
}
