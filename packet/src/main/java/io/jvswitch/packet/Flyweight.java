package io.jvswitch.packet;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Common state of a reusable view over one header in a buffer.
 *
 * <p>Subclasses live in this package only; the constructor is package-private so the bounds reasoning in
 * {@link #fits} stays in one place. A flyweight is not thread-safe: each forwarding thread owns its own instances.
 */
public abstract class Flyweight {
    MutableDirectBuffer buffer;
    int offset;
    int length;

    Flyweight() {}

    /**
     * @return the wrapped buffer, or {@code null} when unwrapped.
     */
    public final MutableDirectBuffer buffer() {
        return buffer;
    }

    /**
     * @return absolute offset of the first byte of this header in {@link #buffer()}.
     */
    public final int offset() {
        return offset;
    }

    /**
     * @return number of bytes the caller said are available from {@link #offset()}, as passed to {@code wrap}.
     */
    public final int wrappedLength() {
        return length;
    }

    /**
     * @return true if the last {@code wrap} succeeded and {@link #unwrap()} has not been called since.
     */
    public final boolean isWrapped() {
        return buffer != null;
    }

    /**
     * Forget the buffer, so a stale view cannot be read by mistake (accessors then throw NullPointerException).
     */
    public void unwrap() {
        buffer = null;
        offset = 0;
        length = 0;
    }

    /**
     * True if {@code [offset, offset + length)} lies inside the buffer and holds at least {@code minimum} bytes.
     * Written so that no sum can overflow an int, whatever the caller passes.
     */
    static boolean fits(final DirectBuffer buffer, final int offset, final int length, final int minimum) {
        return buffer != null && offset >= 0 && length >= minimum && length <= buffer.capacity() - offset;
    }

    final boolean attach(final MutableDirectBuffer buffer, final int offset, final int length) {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return true;
    }

    final boolean reject() {
        unwrap();
        return false;
    }
}
