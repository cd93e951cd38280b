package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

class PathIsolationTest {
    /** A path whose "dataplane" is a process of ours. */
    private record FakePath(String key, Process process) implements DataplanePath {
        @Override
        public String title() {
            return key;
        }

        @Override
        public void setUp(NetnsLab lab, BenchWorkspace workspace) {}

        @Override
        public Endpoints endpoints() {
            return new Endpoints("c", "s", "10.0.0.1");
        }

        @Override
        public List<Long> pausablePids() {
            return List.of(process.pid());
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Test
    void theOtherPathsAreStoppedWhileOneIsMeasuredAndAllContinueAtTheEnd() throws Exception {
        final FakePath a = new FakePath("a", new ProcessBuilder("sleep", "60").start());
        final FakePath b = new FakePath("b", new ProcessBuilder("sleep", "60").start());
        final PathIsolation isolation = new PathIsolation();
        try {
            isolation.measure(a, List.of(a, b));
            awaitState(b.process(), 'T');
            assertRunning(a.process());
            isolation.measure(b, List.of(a, b));
            awaitState(a.process(), 'T');
            awaitNotStopped(b.process());
            isolation.releaseAll();
            awaitNotStopped(a.process());
            awaitNotStopped(b.process());
            assertTrue(isolation.stopped().isEmpty());
            // a continued process still ends on SIGTERM, as the paths' close() expects
            a.process().destroy();
            assertTrue(a.process().waitFor(5, TimeUnit.SECONDS));
        } finally {
            isolation.releaseAll();
            a.close();
            b.close();
        }
    }

    private static void assertRunning(Process p) throws Exception {
        awaitNotStopped(p);
        assertTrue(p.isAlive());
    }

    private static char state(Process p) throws Exception {
        // /proc/PID/stat: "pid (comm) S ..."; comm is "sleep" here, without spaces or parentheses
        final String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    private static void awaitState(Process p, char wanted) throws Exception {
        Await.until("process state " + wanted, Duration.ofSeconds(5), () -> state(p) == wanted);
    }

    private static void awaitNotStopped(Process p) throws Exception {
        Await.until("the process runs again", Duration.ofSeconds(5), () -> state(p) != 'T');
    }
}
