package io.jvswitch.switching.service;

/**
 * Work the dataplane thread does on every duty cycle beside its ports: an I/O loop whose sockets
 * that thread owns (the VXLAN underlay). A frame from a TAP to the underlay socket, or back, then
 * crosses no thread: on a machine with few cores every hand-off between threads costs a wakeup
 * and a scheduling delay, and that delay, not the copying, bounded the tunnel's throughput.
 *
 * <p>{@code Dataplane#addWork} constructs the work on the dataplane thread, so an implementation
 * may bind itself to the constructing thread. Every method is then called on that thread.
 */
public interface DutyCycleWork {
    /**
     * Does what is ready, without blocking: flushes what the ports queued during this cycle, reads
     * what arrived.
     *
     * @param readable {@link #readinessDescriptor()} was reported readable by this cycle's poll
     * @return the amount of work done; more than 0 keeps the dataplane from blocking in its next poll
     */
    int doWork(long nowNanos, boolean readable);

    /**
     * A descriptor that becomes readable when {@link #doWork} has input, watched while the dataplane
     * blocks; -1 for none, and then the dataplane never blocks while this work is registered.
     */
    int readinessDescriptor();

    /** Releases the work's resources; called once, on the dataplane thread, when it is removed or the dataplane closes. */
    void close();
}
