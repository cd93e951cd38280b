package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.lab.DaemonProcess;
import io.jvswitch.control.netns.CommandRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** An operator's mistakes: a second daemon on the same state directory, a full disk. */
class StateSafetyIT {
    final CommandRunner runner = new CommandRunner();
    DaemonFixture f;
    Path mounted;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (f != null) {
                f.close();
            }
        } finally {
            if (mounted != null) {
                runner.run(List.of("umount", "-l", mounted.toString()));
                // what the first daemon left under the mount point, before the mount hid it
                try (Stream<Path> files = Files.walk(mounted.getParent())) {
                    files.sorted(Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Test
    void aSecondDaemonOnTheSameStateDirectoryExitsNamingTheOwnerAndChangesNothing() throws Exception {
        f = new DaemonFixture("jvsit-lock");
        final String rose = f.container("rose");
        f.ok("network", "create", "frontend", "--subnet", "10.82.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        final String before = f.stateFile();

        // Another socket (so the socket check cannot be what stops it), the same state directory.
        final Path otherSocket = f.dir.resolve("second.sock");
        final Path log = f.dir.resolve("second.log");
        final DaemonProcess second = DaemonProcess.launch(f.host, otherSocket, f.stateDir, log);
        final int exit;
        try {
            exit = second.awaitExit(60, TimeUnit.SECONDS);
        } finally {
            second.close();
        }
        final String said = second.logText();
        assertTrue(exit > 0, "the second daemon exits with an error (" + exit + "): " + said);
        assertTrue(said.contains("PID " + f.daemon.pid()), "it names the daemon that owns the directory: " + said);
        assertFalse(Files.exists(otherSocket), "it did not start serving");
        assertEquals(before, f.stateFile(), "the state file is untouched");

        // The same socket as well: still the lock's message, and the first daemon keeps its socket.
        final DaemonProcess third = DaemonProcess.launch(f.host, f.socket, f.stateDir, f.dir.resolve("third.log"));
        try {
            assertTrue(third.awaitExit(60, TimeUnit.SECONDS) > 0);
        } finally {
            third.close();
        }
        assertTrue(third.logText().contains("PID " + f.daemon.pid()), third.logText());
        assertTrue(f.ok("network", "inspect", "frontend").out().contains("\"rose\""));
        assertTrue(f.ping(rose, "10.82.0.1", 1), "the first daemon still serves its endpoint");
        f.ok("attach", "--netns", f.container("tulip"), "--network", "frontend", "--name", "tulip");
        assertTrue(f.stateFile().contains("\"tulip\""), "and still owns the state file");

        // A daemon killed with -9 holds no lock: the next one starts on the directory.
        f.daemon.kill();
        f.startDaemon();
        assertTrue(f.ok("network", "inspect", "frontend").out().contains("\"tulip\""));
    }

    @Test
    void aChangeThatCannotBeSavedIsNotApplied() throws Exception {
        f = new DaemonFixture("jvsit-full");
        f.daemon.close();
        // A small file system of the test's own as the state directory, filled up below.
        mounted = f.stateDir;
        runner.check(
                "cannot mount a tmpfs for the state",
                List.of("mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "jvs-it-state", mounted.toString()));
        f.startDaemon();
        final String rose = f.container("rose");
        final String tulip = f.container("tulip");
        f.ok("network", "create", "frontend", "--subnet", "10.81.0.0/24");
        f.ok("attach", "--netns", rose, "--network", "frontend", "--name", "rose");
        final String before = f.stateFile();

        final Path filler = f.stateDir.resolve("filler");
        fill(filler);

        final DaemonFixture.Cli create = f.jvs("network", "create", "backend", "--subnet", "10.80.0.0/24");
        assertNotEquals(0, create.exit());
        assertTrue(create.err().contains("No space left on device"), create.err());
        assertFalse(f.ok("network", "ls").out().contains("backend"), "the network was not created");

        final DaemonFixture.Cli attach = f.jvs("attach", "--netns", tulip, "--network", "frontend", "--name", "tulip");
        assertNotEquals(0, attach.exit());
        assertTrue(attach.err().contains("No space left on device"), attach.err());
        assertEquals(List.of(), f.lab.links(tulip), "the container got no interface");
        assertTrue(f.port("tulip") == null, "nor a port in the dataplane");

        final DaemonFixture.Cli detach = f.jvs("detach", "rose", "--network", "frontend");
        assertNotEquals(0, detach.exit());
        assertTrue(f.ping(rose, "10.81.0.1", 1), "rose is still attached");
        assertEquals(before, f.stateFile(), "the state file holds the last saved state");

        Files.delete(filler);
        f.ok("attach", "--netns", tulip, "--network", "frontend", "--name", "tulip");
        assertEquals("10.81.0.3", f.ipOf("frontend", "tulip"), "the refused attach kept no address");
        // After a restart: both endpoints back, each with the one address it holds.
        f.daemon.kill();
        f.startDaemon();
        assertEquals("10.81.0.2", f.ipOf("frontend", "rose"));
        assertEquals("10.81.0.3", f.ipOf("frontend", "tulip"));
        assertTrue(f.ping(rose, "10.81.0.3", 1));
        assertFalse(f.ok("network", "ls").out().contains("backend"));
    }

    /** Writes until the file system is full. */
    private static void fill(Path filler) throws IOException {
        final byte[] chunk = new byte[4096];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
                out.flush();
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
    }
}
