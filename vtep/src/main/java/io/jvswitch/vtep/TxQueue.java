package io.jvswitch.vtep;

import java.util.function.Consumer;

/**
 * Where a tunnel port leaves its datagrams for the underlay during a duty cycle: a fixed ring of
 * reusable {@link TxBatch} holders, so nothing is allocated per frame. Both ends are on the
 * dataplane thread (the ports fill it, {@code Underlay#doWork} drains it after them), so it is a
 * plain array; the bound is what the underlay takes per cycle, and a port that finds no free
 * holder refuses the frame as busy.
 */
public final class TxQueue {
    private final TxBatch[] batches;
    private int head;
    private int size;

    public TxQueue(int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("TxQueue depth must be positive: " + depth);
        }
        this.batches = new TxBatch[depth];
        for (int i = 0; i < depth; i++) {
            batches[i] = new TxBatch();
        }
    }

    /**
     * The next free holder, or null when the underlay has that many batches not yet sent (the
     * caller drops and counts). It stays free until {@link #publish}ed.
     */
    TxBatch claim() {
        return size == batches.length ? null : batches[index(size)];
    }

    /** Gives back the claimed holder without publishing it. */
    void abandon(TxBatch batch) {
        batch.clear();
    }

    /** Queues the holder {@link #claim} returned. */
    void publish(TxBatch batch) {
        assert batch == batches[index(size)] : "publish the holder claim returned";
        size++;
    }

    /**
     * Passes every queued batch to {@code sender} and recycles its holder (the sender owns the
     * datagram buffer from then on).
     */
    public int drain(Consumer<TxBatch> sender) {
        final int drained = size;
        while (size > 0) {
            final TxBatch batch = batches[head];
            sender.accept(batch);
            batch.clear();
            head = head + 1 == batches.length ? 0 : head + 1;
            size--;
        }
        return drained;
    }

    private int index(int offset) {
        final int i = head + offset;
        return i >= batches.length ? i - batches.length : i;
    }
}
