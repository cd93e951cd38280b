package io.jvswitch.switching.port;

import java.util.Map;

/**
 * Tells the dataplane which ports have frames waiting, so an idle switch with many endpoints does
 * not issue one read per endpoint per duty cycle. The TAP implementation is an epoll set.
 *
 * <p>Used by the one dataplane thread that owns the ports; implementations need not be thread-safe.
 */
public interface ReadySet extends AutoCloseable {
    /** The slot {@link #poll} reports for a descriptor added with {@link #watch}. */
    int DESCRIPTOR_READY = -1;

    /** A set that watches nothing: every port is polled on each duty cycle. For in-memory tests. */
    ReadySet NONE = new ReadySet() {
        @Override
        public boolean add(int slot, Port port) {
            return false;
        }

        @Override
        public void remove(int slot, Port port) {}

        @Override
        public int poll(int[] readySlots, int timeoutMillis) {
            return 0;
        }

        @Override
        public void close() {}
    };

    /**
     * Starts watching a port under {@code slot}.
     *
     * @return false if this set cannot watch this kind of port; the dataplane then polls the port
     *     on every duty cycle instead.
     */
    boolean add(int slot, Port port);

    /** Stops watching a port previously added under {@code slot}. */
    void remove(int slot, Port port);

    /**
     * Starts watching a descriptor that is not a port's (a socket of a {@code DutyCycleWork}): while
     * it is readable, {@link #poll} reports {@link #DESCRIPTOR_READY} once among the slots.
     *
     * @return false if this set cannot watch descriptors; the dataplane then never blocks in {@link #poll}
     */
    default boolean watch(int fd) {
        return false;
    }

    /** Stops watching a descriptor added with {@link #watch}; call it before the descriptor is closed. */
    default void unwatch(int fd) {}

    /**
     * Reports the slots of watched ports that are readable, or have failed (a failed port reports
     * {@link Port#RX_GONE} on its next receive).
     *
     * @param readySlots filled from index 0
     * @param timeoutMillis 0 to return at once; otherwise the longest time to wait for readiness
     * @return the number of slots written
     */
    int poll(int[] readySlots, int timeoutMillis);

    /**
     * Ends a {@link #poll} that is blocked, or makes the next one return at once. Unlike the other
     * methods this may be called from any thread: it is how a port fed by another thread (a tunnel's
     * event loop, a service's answers) tells an idle dataplane that it has work.
     */
    default void wakeup() {}

    /**
     * What this set counted since it was opened, by name, for {@code jvs stats} and the metrics: the
     * work a batching set saved and where it had to wait. Called on the dataplane thread (through
     * {@link io.jvswitch.switching.Dataplane#readySetCounters()}); empty for a set with nothing to say.
     */
    default Map<String, Long> counters() {
        return Map.of();
    }

    @Override
    void close();
}
