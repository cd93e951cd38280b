package io.jvswitch.vtep;

import io.netty.buffer.ByteBuf;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * An agrona view of bytes held in a netty {@link ByteBuf}, re-pointed for each datagram without
 * allocating: netty hands the VTEP {@code ByteBuf}s, while the packet module's flyweights and the
 * coalescer's copy read through {@link DirectBuffer}.
 */
final class ByteBufView {
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);

    /**
     * The {@code length} bytes of {@code buf} from its index {@code index}, at offset 0 of the
     * returned view, which is valid until the next call and while {@code buf} is not released.
     */
    DirectBuffer wrap(ByteBuf buf, int index, int length) {
        if (buf.hasMemoryAddress()) {
            view.wrap(buf.memoryAddress() + index, length);
        } else if (buf.hasArray()) {
            view.wrap(buf.array(), buf.arrayOffset() + index, length);
        } else {
            // direct memory whose address netty does not expose (netty without Unsafe): a ByteBuffer
            // per call, never the case of epoll's receive buffers when the JVM flags are set
            final ByteBuffer nio = buf.nioBuffer(index, length);
            view.wrap(nio, nio.position(), length);
        }
        return view;
    }
}
