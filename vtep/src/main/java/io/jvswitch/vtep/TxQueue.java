package io.jvswitch.vtep;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jctools.queues.SpscArrayQueue;

/**
 * The hand-off of datagrams from the dataplane thread (the only producer) to the underlay event
 * loop (the only consumer): a fixed pool of {@link TxBatch} holders travelling round two SPSC
 * rings, so nothing is allocated per frame. The consumer is woken once per burst, not per frame:
 * a drain task is scheduled only when none is pending, and it drains until the ring is empty.
 */
public final class TxQueue {
    private final SpscArrayQueue<TxBatch> ready;
    private final SpscArrayQueue<TxBatch> free;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private volatile Executor consumer;
    private Runnable drainTask;

    public TxQueue(int depth) {
        this.ready = new SpscArrayQueue<>(depth);
        this.free = new SpscArrayQueue<>(depth);
        for (int i = 0; i < depth; i++) {
            free.offer(new TxBatch());
        }
    }

    /** Runs {@code drainTask} on {@code executor} whenever batches become ready. */
    public void consumeOn(Executor executor, Runnable drainTask) {
        this.drainTask = drainTask;
        this.consumer = executor;
    }

    /** A free holder, or null when the consumer is that far behind (the caller drops and counts). */
    TxBatch claim() {
        return free.relaxedPoll();
    }

    /** Gives back a claimed holder without publishing it. */
    void abandon(TxBatch batch) {
        batch.clear();
        free.relaxedOffer(batch);
    }

    void publish(TxBatch batch) {
        ready.relaxedOffer(batch); // always fits: only holders taken from free are published
        // Store then load on two variables (Dekker): without a full fence the flag may be read before
        // the batch is visible, the consumer may clear the flag and find the ring empty, and the batch
        // then waits for the next publish.
        java.lang.invoke.VarHandle.fullFence();
        final Executor executor = consumer;
        if (executor != null && !drainScheduled.get() && drainScheduled.compareAndSet(false, true)) {
            executor.execute(drainTask);
        }
    }

    /**
     * Consumer side: passes every ready batch to {@code sender} and recycles its holder (the sender
     * owns the datagram buffer from then on). Clears the scheduled mark first, so a batch published
     * during the drain schedules another one.
     */
    public int drain(Consumer<TxBatch> sender) {
        drainScheduled.set(false);
        java.lang.invoke.VarHandle.fullFence(); // the other half: the cleared flag before the ring is read
        int drained = 0;
        TxBatch batch;
        while ((batch = ready.relaxedPoll()) != null) {
            sender.accept(batch);
            batch.clear();
            free.relaxedOffer(batch);
            drained++;
        }
        return drained;
    }
}
