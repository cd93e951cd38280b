package io.jvswitch.switching;

import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.switching.service.DutyCycleWork;

import java.util.function.Supplier;

/**
 * The I/O loops that run on the dataplane thread every duty cycle (see {@link DutyCycleWork}),
 * with the descriptors the ready set watches for them. Membership changes copy on write, as
 * agrona's {@code DynamicCompositeAgent} does, so a duty cycle iterates a stable array.
 */
final class DutyCycleWorks {
    private static final System.Logger LOG = System.getLogger("jvs.dataplane");

    private final ReadySet readySet;
    private DutyCycleWork[] works = new DutyCycleWork[0];
    /** Per work: its descriptor is in the ready set. */
    private boolean[] watched = new boolean[0];
    /** Some work has no descriptor the ready set watches: blocking could miss its input. */
    private boolean withoutWakeup;

    DutyCycleWorks(ReadySet readySet) {
        this.readySet = readySet;
    }

    /** Runs every work once; returns the work they did. */
    int run(long nowNanos, boolean descriptorReady) {
        int work = 0;
        for (final DutyCycleWork w : works) {
            work += w.doWork(nowNanos, descriptorReady);
        }
        return work;
    }

    /** Whether some work could have input the ready set would not wake the dataplane for. */
    boolean withoutWakeup() {
        return withoutWakeup;
    }

    <W extends DutyCycleWork> W add(Supplier<W> factory) {
        final W work = factory.get();
        try {
            final int fd = work.readinessDescriptor();
            final boolean isWatched = fd >= 0 && readySet.watch(fd);
            final int n = works.length;
            final DutyCycleWork[] next = new DutyCycleWork[n + 1];
            final boolean[] nextWatched = new boolean[n + 1];
            System.arraycopy(works, 0, next, 0, n);
            System.arraycopy(watched, 0, nextWatched, 0, n);
            next[n] = work;
            nextWatched[n] = isWatched;
            works = next;
            watched = nextWatched;
            withoutWakeup |= !isWatched;
            return work;
        } catch (RuntimeException e) {
            work.close();
            throw e;
        }
    }

    void remove(DutyCycleWork work) {
        int index = -1;
        for (int i = 0; i < works.length; i++) {
            if (works[i] == work) {
                index = i;
            }
        }
        if (index < 0) {
            return;
        }
        final boolean wasWatched = watched[index];
        final DutyCycleWork[] next = new DutyCycleWork[works.length - 1];
        final boolean[] nextWatched = new boolean[works.length - 1];
        boolean unwatched = false;
        for (int i = 0, n = 0; i < works.length; i++) {
            if (i != index) {
                next[n] = works[i];
                nextWatched[n++] = watched[i];
                unwatched |= !watched[i];
            }
        }
        works = next;
        watched = nextWatched;
        withoutWakeup = unwatched;
        close(work, wasWatched);
    }

    /** Closes every work, logging (not throwing) what fails, so the rest still close. */
    void closeAll() {
        for (int i = 0; i < works.length; i++) {
            try {
                close(works[i], watched[i]);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "closing " + works[i] + ": " + e);
            }
        }
        works = new DutyCycleWork[0];
        watched = new boolean[0];
    }

    private void close(DutyCycleWork work, boolean isWatched) {
        if (isWatched) {
            readySet.unwatch(work.readinessDescriptor());
        }
        work.close();
    }
}
