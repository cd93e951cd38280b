package io.jvswitch.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jvswitch.switching.port.Port;
import io.jvswitch.testsupport.Await;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

/** What happens to a TAP when namespaces go away, and how persistent TAPs are re-attached. */
class TapLifecycleTest {
    static final Duration WAIT = Duration.ofSeconds(5);

    final TestNamespaces namespaces = new TestNamespaces();
    final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));

    @BeforeAll
    static void requireTap() {
        TestNamespaces.assumeTapCapable();
    }

    @AfterEach
    void cleanUp() {
        namespaces.close();
    }

    @Test
    void deletingTheNamespaceATapWasMovedToMakesThePortGone() throws Exception {
        // The daemon's flow: open in the daemon's ("host") namespace, move the device to the container's.
        String host = namespaces.create();
        String container = namespaces.create();
        TapDevice device = namespaces.track(TapDevice.openIn(TestNamespaces.path(host), "jvsg0", false));
        TestNamespaces.ip(host, "link", "set", "dev", "jvsg0", "netns", container);
        TestNamespaces.ip(container, "link", "set", "dev", "jvsg0", "up");
        TapPort port = new TapPort(device, 1500);
        EpollReadySet ready = namespaces.track(new EpollReadySet());
        assertTrue(ready.add(3, port));
        int[] slots = new int[4];
        assertEquals(0, ready.poll(slots, 0));
        assertEquals(Port.RX_EMPTY, port.receive(buffer, 0, 2048));

        namespaces.delete(container);

        long deadline = System.nanoTime() + WAIT.toNanos();
        int n = 0;
        while (n == 0 && System.nanoTime() < deadline) {
            n = ready.poll(slots, 100);
        }
        assertEquals(1, n, "epoll reports the failed port within " + WAIT);
        assertEquals(3, slots[0]);
        assertEquals(Port.RX_GONE, port.receive(buffer, 0, 2048));
        assertEquals(Errno.EBADFD, port.lastErrno(), Errno.name(port.lastErrno()));
        int length = Frames.arpRequest(buffer, 0, Frames.PEER_MAC, Frames.PEER_IP, Frames.TAP_IP);
        assertEquals(Port.TX_GONE, port.transmit(buffer, 0, length));

        ready.remove(3, port);
        assertEquals(0, ready.poll(slots, 0), "removed: no longer reported");
        port.close();
        port.close(); // idempotent
        ready.remove(3, port); // a closed port is ignored
    }

    @Test
    void aTapOpenedInsideANamespaceKeepsThatNamespaceAliveAfterIpNetnsDel() throws Exception {
        // The descriptor's socket holds a reference to the namespace it was opened in: deleting the
        // name does not destroy the namespace (nor the TAP) until the descriptor closes.
        String ns = namespaces.create();
        TapDevice device = namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), "jvsk0", false));
        TestNamespaces.ip(ns, "link", "set", "dev", "jvsk0", "up");
        TestNamespaces.ip(ns, "addr", "add", "10.77.0.1/24", "dev", "jvsk0");
        TapPort port = new TapPort(device, 1500);
        EpollReadySet ready = namespaces.track(new EpollReadySet());
        assertTrue(ready.add(1, port));

        namespaces.delete(ns);

        int length = Frames.arpRequest(buffer, 0, Frames.PEER_MAC, Frames.PEER_IP, Frames.TAP_IP);
        assertEquals(Port.TX_OK, port.transmit(buffer, 0, length));
        int[] slots = new int[4];
        assertEquals(1, ready.poll(slots, (int) WAIT.toMillis()));
        int n = port.receive(buffer, 0, 2048);
        assertTrue(n > 0, "the unnamed namespace still answers ARP: " + n);
        assertTrue(Frames.isArp(buffer, 0, n, 2));
    }

    @Test
    void aPersistentTapIsReattachedByNameFromInsideItsNamespace() throws Exception {
        String ns = namespaces.create();
        String other = namespaces.create();
        Path nsPath = TestNamespaces.path(ns);

        TapDevice first = TapDevice.openIn(nsPath, "jvsp0", true);
        int ifindex;
        try {
            ifindex = TestNamespaces.ifindex(ns, "jvsp0");
            assertTrue(ifindex > 0);
            first.setPersistent(true);
        } finally {
            first.close();
        }
        assertEquals(ifindex, TestNamespaces.ifindex(ns, "jvsp0"), "persistent: survives its descriptor");

        // The pitfall: the same name opened in any other namespace silently makes a new device there.
        try (TapDevice wrong = TapDevice.openIn(TestNamespaces.path(other), "jvsp0", false)) {
            assertEquals("jvsp0", wrong.name());
            assertTrue(TestNamespaces.ifindex(other, "jvsp0") > 0, "a second, unrelated device");
        }
        assertEquals(-1, TestNamespaces.ifindex(other, "jvsp0"), "non-persistent: gone with its descriptor");

        TapDevice again = namespaces.track(TapDevice.openIn(nsPath, "jvsp0", false));
        assertEquals("jvsp0", again.name());
        assertEquals(ifindex, TestNamespaces.ifindex(ns, "jvsp0"), "the same device, re-attached");
        TestNamespaces.ip(ns, "link", "set", "dev", "jvsp0", "up");
        TestNamespaces.ip(ns, "addr", "add", "10.77.0.1/24", "dev", "jvsp0");
        TapPort port = new TapPort(again, 1500);
        int length = Frames.arpRequest(buffer, 0, Frames.PEER_MAC, Frames.PEER_IP, Frames.TAP_IP);
        assertEquals(Port.TX_OK, port.transmit(buffer, 0, length));
        awaitArpReply(port);

        again.setPersistent(false);
        again.close();
        Await.until(
                "jvsp0 goes after setPersistent(false) and close",
                WAIT,
                () -> TestNamespaces.ifindex(ns, "jvsp0") == -1);
    }

    private void awaitArpReply(TapPort port) throws Exception {
        try (EpollReadySet ready = new EpollReadySet()) {
            assertTrue(ready.add(0, port));
            int[] slots = new int[4];
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                if (ready.poll(slots, 100) > 0) {
                    int n;
                    while ((n = port.receive(buffer, 0, 2048)) > 0) {
                        if (Frames.isArp(buffer, 0, n, 2)) {
                            // The re-attached device was opened without offloads: header all zero.
                            assertEquals(0, buffer.getByte(0));
                            return;
                        }
                    }
                    assertNotEquals(Port.RX_GONE, n);
                }
            }
            fail("no ARP reply within " + WAIT);
        }
    }
}
