package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Attach and detach are crash-safe: a daemon killed with SIGKILL in the middle of one (held at a
 * named step by the test hook {@code JVS_TEST_PAUSE_AT}) leaves an intent in its state, and the
 * restarted daemon undoes the attach or finishes the detach: no interface left in the container or
 * in the daemon's namespace, the address free again and given out only then.
 */
class InterruptedAttachIT {
    private static final Duration PAUSE = Duration.ofSeconds(30);

    DaemonFixture f;

    @AfterEach
    void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void anAttachKilledAfterTheInterfaceWasMadeIsUndoneAtTheRestart() throws Exception {
        f = startPausingAt("jvsit-kill-att", "attach:device-created");
        final String rose = f.container("rose");
        final CompletableFuture<DaemonFixture.Cli> attach = attachInBackground(rose, "rose", "10.84.0.10");
        awaitPause("attach:device-created");
        // the kernel holds the half-made attach: the container has its interface and address
        assertTrue(f.lab.check(rose, "ip", "-o", "-4", "addr", "show").contains("10.84.0.10"));
        assertTrue(f.stateFile().contains("ATTACH"), f.stateFile());

        f.daemon.kill();
        assertNotEquals(0, attach.get(30, TimeUnit.SECONDS).exit(), "the client never heard it succeed");
        f.startDaemon();

        assertEquals(List.of(), f.lab.links(rose), "the interface is gone from the container");
        assertFalse(f.stateFile().contains("intents"), f.stateFile());
        assertEquals(
                0,
                f.ok("network", "inspect", "frontend")
                        .json()
                        .path(0)
                        .path("Containers")
                        .size());
        assertTrue(f.daemon.logText().contains("the attach of rose on frontend was interrupted: undone"));
        // the same request succeeds now, with the same address
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose", "--ip", "10.84.0.10");
        assertTrue(f.ping(rose, "10.84.0.1", 2), "the container reaches its gateway");
    }

    @Test
    void anAttachKilledBeforeTheTapWasMovedLeavesNoTapInTheDaemonsNamespace() throws Exception {
        f = startPausingAt("jvsit-kill-tap", "attach:tap-unmoved");
        final String rose = f.container("rose");
        final List<String> before = f.lab.links(f.host);
        final CompletableFuture<DaemonFixture.Cli> attach = attachInBackground(rose, "rose", "10.84.0.10");
        awaitPause("attach:tap-unmoved");
        final List<String> during = f.lab.links(f.host);
        assertTrue(
                during.stream().anyMatch(l -> l.startsWith("jvs") && !before.contains(l)),
                "a TAP under its temporary name: " + during);

        f.daemon.kill();
        assertNotEquals(0, attach.get(30, TimeUnit.SECONDS).exit());
        f.startDaemon();

        assertEquals(before, f.lab.links(f.host), "no TAP left in the daemon's namespace");
        assertEquals(List.of(), f.lab.links(rose));
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose", "--ip", "10.84.0.10");
        assertTrue(f.ping(rose, "10.84.0.1", 2));
    }

    @Test
    void aDetachKilledHalfWayIsFinishedBeforeItsAddressIsGivenOut() throws Exception {
        f = startPausingAt("jvsit-kill-det", "detach:intent-saved");
        final String rose = f.container("rose");
        final String tulip = f.container("tulip");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose", "--ip", "10.84.0.10");
        final CompletableFuture<DaemonFixture.Cli> detach =
                CompletableFuture.supplyAsync(() -> f.jvs("detach", "rose", "--network", "frontend"));
        awaitPause("detach:intent-saved");
        assertTrue(f.lab.check(rose, "ip", "-o", "-4", "addr", "show").contains("10.84.0.10"));
        assertTrue(f.stateFile().contains("DETACH"), f.stateFile());

        f.daemon.kill();
        detach.get(30, TimeUnit.SECONDS);
        // while no daemon runs the container still holds the address: nobody may get it yet
        assertTrue(f.lab.check(rose, "ip", "-o", "-4", "addr", "show").contains("10.84.0.10"));
        f.startDaemon();

        assertEquals(List.of(), f.lab.links(rose), "the detach was finished: the interface is gone");
        assertTrue(f.daemon.logText().contains("the detach of rose on frontend was interrupted: finished"));
        assertEquals(
                0,
                f.ok("network", "inspect", "frontend")
                        .json()
                        .path(0)
                        .path("Containers")
                        .size());
        f.ok("attach", "--netns", tulip, "--network", "frontend", "--name", "tulip", "--ip", "10.84.0.10");
        assertTrue(f.ping(tulip, "10.84.0.1", 2));
    }

    /** A fixture whose daemon pauses at {@code step}, with the network "frontend" made. */
    private static DaemonFixture startPausingAt(String purpose, String step) throws Exception {
        final DaemonFixture fixture = new DaemonFixture(purpose, false);
        try {
            fixture.daemon = DaemonProcess.startWith(
                    List.of("ip", "netns", "exec", fixture.host, "env", "JVS_TEST_PAUSE_AT=" + step),
                    fixture.socket,
                    fixture.stateDir,
                    fixture.dir.resolve("daemon.log"));
            fixture.ok("network", "create", "frontend", "--subnet", "10.84.0.0/24");
        } catch (Exception | Error e) {
            fixture.close();
            throw e;
        }
        return fixture;
    }

    private CompletableFuture<DaemonFixture.Cli> attachInBackground(String container, String name, String ip) {
        return CompletableFuture.supplyAsync(
                () -> f.jvs("attach", "--netns", container, "--network", "frontend", "--name", name, "--ip", ip));
    }

    private void awaitPause(String step) {
        Await.until(
                "the daemon pauses at " + step, PAUSE, () -> f.daemon.logText().contains("paused at " + step));
    }
}
