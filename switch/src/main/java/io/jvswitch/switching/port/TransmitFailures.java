package io.jvswitch.switching.port;

/**
 * Where a port reports a frame it took ({@link Port#TX_OK}) but learnt later it could not send: a
 * batched write the kernel refused when the batch was submitted, after {@code transmit} had
 * returned. The switch counts such a frame as it counts an immediate refusal, under the drop reason
 * the same answer from {@code transmit} gets, and takes it back out of the frames sent. Bound to
 * the port's slot when the port is plugged in; dataplane thread only.
 */
@FunctionalInterface
public interface TransmitFailures {
    /** For a port not plugged in: counts nothing. */
    TransmitFailures NONE = (result, length) -> {};

    /**
     * @param result what {@code transmit} would have answered: {@link Port#TX_BUSY},
     *     {@link Port#TX_REJECTED} or {@link Port#TX_GONE}
     * @param length the frame's length as it was transmitted, virtio-net header included
     */
    void failed(int result, int length);
}
