package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.testsupport.Await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code jvs capture} as its own process, as users run it, against a fixture's daemon. */
final class CaptureProcess {
    private CaptureProcess() {}

    /** Starts {@code jvs capture ARGS} and returns once the daemon started its session. */
    static Process start(DaemonFixture f, Path stderr, String... args) throws Exception {
        final long sessionsBefore = sessionsStarted(f);
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(DaemonProcess.JVM_FLAGS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.jvswitch.control.Main", "capture"));
        command.addAll(List.of(args));
        command.addAll(List.of("--socket", f.socket.toString()));
        final Process p = new ProcessBuilder(command)
                .redirectError(stderr.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        // The daemon logs each capture session it starts: wait for this one, so no early frame is missed.
        Await.until(
                "the daemon starts the capture session (or the capture exits)",
                Duration.ofSeconds(30),
                () -> sessionsStarted(f) > sessionsBefore || !p.isAlive());
        assertTrue(sessionsStarted(f) > sessionsBefore, "the capture started: " + Files.readString(stderr));
        return p;
    }

    static long sessionsStarted(DaemonFixture f) {
        return f.daemon
                .logText()
                .lines()
                .filter(l -> l.matches(".*capture \\d+ started.*"))
                .count();
    }

    /**
     * Ends a capture like Ctrl-C does, and waits for the file to be closed. A process started in
     * the background by a shell without job control ignores SIGINT, and the capture inherits that
     * from the test run: it then gets SIGTERM, which takes the same way out (the capture's
     * shutdown hook).
     */
    static void interrupt(Process p) throws Exception {
        final String signal = ignoresSigint(p.pid()) ? "-TERM" : "-INT";
        new CommandRunner().check("kill " + signal, List.of("kill", signal, Long.toString(p.pid())));
        assertTrue(p.waitFor(15, TimeUnit.SECONDS), "capture ended on kill " + signal);
    }

    /**
     * Waits for a capture started with {@code -c N} to end by itself: it has all its frames in the
     * file then, however slowly they reached it (an interrupt right after the traffic may come
     * before the last copies). Fails, after ending it, if it does not within 30 s.
     */
    static void awaitCount(Process p, Path stderr) throws Exception {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            interrupt(p);
            throw new AssertionError("the capture did not see its -c frames in 30 s: " + Files.readString(stderr));
        }
    }

    /** Bit 1 (SIGINT is signal 2) of the process's ignored-signal mask, from /proc. */
    static boolean ignoresSigint(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(
                                        line.substring("SigIgn:".length()).strip(), 16)
                                & 2)
                        != 0;
            }
        }
        return false;
    }

    /** Runs a tool (tcpdump, tshark) that must succeed; returns its output. */
    static String tool(String... command) {
        return new CommandRunner().check(command[0], List.of(command));
    }
}
