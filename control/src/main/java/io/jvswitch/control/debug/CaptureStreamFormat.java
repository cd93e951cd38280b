package io.jvswitch.control.debug;

import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The records of a capture stream, daemon to CLI: {@code u32 length, u8 type, body}, big-endian.
 * <ul>
 *   <li>{@link #FRAME}: {@code i64 epochNanos, u8 point, u8 reason (0xFF none), u16 portNameLength,
 *       u32 originalLength, portName (UTF-8), frame bytes}</li>
 *   <li>{@link #STATUS}: a JSON object with the session's counters, sent about once a second and at the end</li>
 *   <li>{@link #ERROR}: a UTF-8 message; the stream ends after it</li>
 * </ul>
 */
public final class CaptureStreamFormat {
    public static final int FRAME = 1;
    public static final int STATUS = 2;
    public static final int ERROR = 3;
    public static final int FRAME_FIXED = 8 + 1 + 1 + 2 + 4;
    /** A record larger than this is a broken stream, not a frame. */
    public static final int MAX_RECORD = 1 << 20;

    private CaptureStreamFormat() {}

    static void writeFrame(
            ByteBuf out,
            long epochNanos,
            int point,
            int reason,
            byte[] portName,
            int originalLength,
            ByteBuffer frame) {
        out.writeInt(1 + FRAME_FIXED + portName.length + frame.remaining());
        out.writeByte(FRAME);
        out.writeLong(epochNanos);
        out.writeByte(point);
        out.writeByte(reason);
        out.writeShort(portName.length);
        out.writeInt(originalLength);
        out.writeBytes(portName);
        out.writeBytes(frame);
    }

    static void writeText(ByteBuf out, int type, String text) {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(1 + bytes.length);
        out.writeByte(type);
        out.writeBytes(bytes);
    }
}
