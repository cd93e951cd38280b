package io.jvswitch.vtep;

import java.util.function.Consumer;
import org.jctools.queues.SpscArrayQueue;

/**
 * Where a tunnel port leaves its datagrams for the underlay during a duty cycle: a fixed pool of
 * {@link TxBatch} holders travelling round two rings, so nothing is allocated per frame. Both
 * ends are on the dataplane thread (the ports fill it, {@code Underlay#doWork} drains it after
 * them); the bound is what the underlay takes per cycle, and a port that finds no free holder
 * refuses the frame as busy.
 */
public final class TxQueue {
    private final SpscArrayQueue<TxBatch> ready;
    private final SpscArrayQueue<TxBatch> free;

    public TxQueue(int depth) {
        this.ready = new SpscArrayQueue<>(depth);
        this.free = new SpscArrayQueue<>(depth);
        for (int i = 0; i < depth; i++) {
            free.offer(new TxBatch());
        }
    }

    /** A free holder, or null when the underlay has that many batches not yet sent (the caller drops and counts). */
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
    }

    /**
     * Passes every ready batch to {@code sender} and recycles its holder (the sender owns the
     * datagram buffer from then on).
     */
    public int drain(Consumer<TxBatch> sender) {
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
