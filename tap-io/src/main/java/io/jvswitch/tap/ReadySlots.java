package io.jvswitch.tap;

import java.util.Arrays;

/**
 * The port slots a {@link UringReadySet} has to report: those a completion marked ready since the
 * last poll, in the order they were marked and once each, and those the last poll reported (asked
 * again whether their port holds more, as epoll's level triggering would).
 *
 * <p>Used by the one dataplane thread; grows with the highest slot, nothing allocated per poll.
 */
final class ReadySlots {
    private int[] pending = new int[64];
    private boolean[] queued = new boolean[64];
    private int pendingCount;
    private int[] lastReported = new int[64];
    private int lastReportedCount;

    void mark(int slot) {
        if (!queued[slot]) {
            queued[slot] = true;
            pending[pendingCount++] = slot;
        }
    }

    boolean any() {
        return pendingCount > 0;
    }

    int lastReportedCount() {
        return lastReportedCount;
    }

    int lastReported(int i) {
        return lastReported[i];
    }

    /**
     * Writes the marked slots whose port is still there into
     * {@code readySlots} from {@code from}; what does not fit waits for the next poll, in order.
     *
     * @return the index after the last slot written
     */
    int drainInto(int[] readySlots, int from, WatchedPorts ports) {
        int slots = from;
        int taken = 0;
        lastReportedCount = 0;
        while (taken < pendingCount && slots < readySlots.length) {
            final int slot = pending[taken++];
            queued[slot] = false;
            if (ports.at(slot) != null) {
                readySlots[slots++] = slot;
                lastReported[lastReportedCount++] = slot;
            }
        }
        System.arraycopy(pending, taken, pending, 0, pendingCount - taken);
        pendingCount -= taken;
        return slots;
    }

    void growTo(int size) {
        if (size > pending.length) {
            pending = Arrays.copyOf(pending, size);
            queued = Arrays.copyOf(queued, size);
            lastReported = Arrays.copyOf(lastReported, size);
        }
    }
}
