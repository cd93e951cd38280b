package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.switching.service.DutyCycleWork;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Works registered with the dataplane: built and run on its thread, told when their descriptor is ready, closed once. */
class DutyCycleWorkTest {
    /** A ready set that records the descriptors watched and the timeouts asked for, and reports what it is told to. */
    static final class ScriptedReadySet implements ReadySet {
        final List<Integer> watched = new ArrayList<>();
        final List<Integer> timeouts = new ArrayList<>();
        boolean descriptorReady;
        /** Descriptors this set cannot watch. */
        final List<Integer> refused = new ArrayList<>();

        @Override
        public boolean add(int slot, Port port) {
            return false;
        }

        @Override
        public void remove(int slot, Port port) {}

        @Override
        public boolean watch(int fd) {
            return !refused.contains(fd) && watched.add(fd);
        }

        @Override
        public void unwatch(int fd) {
            watched.remove(Integer.valueOf(fd));
        }

        @Override
        public int poll(int[] readySlots, int timeoutMillis) {
            timeouts.add(timeoutMillis);
            if (descriptorReady) {
                descriptorReady = false;
                readySlots[0] = DESCRIPTOR_READY;
                return 1;
            }
            return 0;
        }

        @Override
        public void close() {}
    }

    static final class RecordingWork implements DutyCycleWork {
        final int fd;
        final Thread builtOn = Thread.currentThread();
        final List<Boolean> calls = new ArrayList<>();
        int closes;
        int workToReport;

        RecordingWork(int fd) {
            this.fd = fd;
        }

        @Override
        public int doWork(long nowNanos, boolean readable) {
            calls.add(readable);
            return workToReport;
        }

        @Override
        public int readinessDescriptor() {
            return fd;
        }

        @Override
        public void close() {
            closes++;
        }
    }

    final ScriptedReadySet readySet = new ScriptedReadySet();
    final Dataplane dp = new Dataplane(new SwitchContext(), readySet, PortListener.NONE, Throwable::printStackTrace);

    <T> T call(CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }

    @Test
    void aWorkRunsEveryCycleAndHearsOfItsDescriptor() {
        final RecordingWork work = call(dp.addWork(() -> new RecordingWork(42)));
        assertEquals(List.of(42), readySet.watched, "its descriptor is watched while the dataplane blocks");
        dp.runDutyCycle();
        readySet.descriptorReady = true;
        dp.runDutyCycle();
        dp.runDutyCycle();
        assertEquals(List.of(true), work.calls.subList(work.calls.size() - 2, work.calls.size() - 1));
        assertFalse(work.calls.getLast(), "readable only in the cycle whose poll reported it");
        assertTrue(work.calls.size() >= 3);
    }

    @Test
    void aWatchedWorkLetsTheDataplaneBlockUnlessItDidWork() {
        final RecordingWork work = call(dp.addWork(() -> new RecordingWork(7)));
        dp.runDutyCycle();
        dp.runDutyCycle();
        assertTrue(readySet.timeouts.getLast() > 0, "idle, with the work's descriptor watched: the poll may block");
        work.workToReport = 1;
        dp.runDutyCycle();
        dp.runDutyCycle();
        assertEquals(0, readySet.timeouts.getLast(), "the work did something last cycle: the next poll must not block");
    }

    @Test
    void aWorkWithoutDescriptorKeepsTheDataplaneFromBlocking() {
        call(dp.addWork(() -> new RecordingWork(-1)));
        dp.runDutyCycle();
        dp.runDutyCycle();
        assertEquals(0, readySet.timeouts.getLast());
    }

    @Test
    void aWorkTheReadySetCannotWatchKeepsTheDataplaneAwakeUntilItIsRemoved() {
        readySet.refused.add(13);
        final RecordingWork unwatched = call(dp.addWork(() -> new RecordingWork(13)));
        final RecordingWork other = call(dp.addWork(() -> new RecordingWork(15)));
        call(dp.addWork(() -> new RecordingWork(14)));
        dp.runDutyCycle();
        dp.runDutyCycle();
        assertEquals(0, readySet.timeouts.getLast(), "its input would be missed while blocked");
        call(dp.removeWork(other));
        dp.runDutyCycle();
        dp.runDutyCycle();
        assertEquals(0, readySet.timeouts.getLast(), "removing another work does not make the unwatched one watched");
        call(dp.removeWork(unwatched));
        assertEquals(List.of(14), readySet.watched, "the refused descriptor is not unwatched; the other stays");
        dp.runDutyCycle();
        dp.runDutyCycle();
        assertTrue(readySet.timeouts.getLast() > 0, "only watched works left: the poll may block again");
    }

    @Test
    void removingAWorkClosesItOnceAndStopsIt() {
        final RecordingWork work = call(dp.addWork(() -> new RecordingWork(9)));
        call(dp.removeWork(work));
        assertEquals(1, work.closes);
        assertTrue(readySet.watched.isEmpty(), "unwatched before it is closed");
        final int calls = work.calls.size();
        dp.runDutyCycle();
        assertEquals(calls, work.calls.size());
        call(dp.removeWork(work));
        assertEquals(1, work.closes, "removing it again does nothing");
        dp.close();
        assertEquals(1, work.closes);
    }

    @Test
    void closingTheDataplaneClosesItsWorks() {
        final RecordingWork work = call(dp.addWork(() -> new RecordingWork(11)));
        dp.close();
        assertEquals(1, work.closes);
    }

    @Test
    void aFactoryThatThrowsRegistersNothing() {
        final CompletableFuture<RecordingWork> future = dp.addWork(() -> {
            throw new IllegalStateException("cannot bind");
        });
        dp.runDutyCycle();
        assertEquals(
                "cannot bind",
                assertThrows(IllegalStateException.class, () -> Dataplane.await(future))
                        .getMessage());
        assertTrue(readySet.watched.isEmpty());
    }

    @Test
    void theWorkIsBuiltOnTheThreadThatRunsTheCycles() throws Exception {
        final CompletableFuture<RecordingWork> future = dp.addWork(() -> new RecordingWork(3));
        final Thread runner = Thread.ofPlatform().start(dp::runDutyCycle);
        runner.join();
        assertSame(runner, Dataplane.await(future).builtOn);
    }
}
