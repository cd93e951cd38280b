package io.jvswitch.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.testsupport.Await;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** UringReadySet and batched TapPort writes against real TAP devices, in namespaces the tests create. */
class UringReadySetTest {
    static final int MTU = 1500;
    static final int CAPACITY = 2048;
    static final int SLOT = 5;
    static final Duration WAIT = Duration.ofSeconds(3);

    final TestNamespaces namespaces = new TestNamespaces();
    final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(CAPACITY));
    final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(CAPACITY));
    final int[] slots = new int[8];

    @BeforeAll
    static void requireTapAndUring() {
        TestNamespaces.assumeTapCapable();
    }

    @AfterEach
    void cleanUp() {
        namespaces.close();
    }

    TapPort open(String ns, String name) throws Exception {
        TapDevice device = namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), name, false));
        TestNamespaces.ip(ns, "link", "set", "dev", name, "up");
        TestNamespaces.ip(ns, "addr", "add", "10.77.0.1/24", "dev", name);
        return new TapPort(device, MTU);
    }

    UringReadySet ring(TapPort port) throws TapException {
        UringReadySet ring = namespaces.track(UringReadySet.create());
        assertTrue(ring.add(SLOT, port));
        return ring;
    }

    /**
     * Reads every frame the port has, then polls for more, until {@code wanted} ARP replies came;
     * the caller's last poll reported the port. Returns the replies.
     */
    int readArpReplies(TapPort port, UringReadySet ring, int wanted) {
        int replies = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            int length;
            while ((length = port.receive(buffer, 0, CAPACITY)) > 0) {
                int target = Frames.arpTargetIp(buffer, 0) - Frames.PEER_IP;
                if (Frames.isArp(buffer, 0, length, 2) && target >= 0 && target < wanted) {
                    replies++;
                }
            }
            assertNotEquals(Port.RX_GONE, length, "port unexpectedly gone");
            if (replies >= wanted || System.nanoTime() > deadline) {
                return replies;
            }
            int n = ring.poll(slots, 100);
            for (int i = 0; i < n; i++) {
                assertEquals(SLOT, slots[i], "the ring reported a slot that was never added");
            }
        }
    }

    @Test
    void aCyclesWritesLeaveInOneSystemCallAndTheKernelAnswersEach() throws Exception {
        String ns = namespaces.create();
        TapPort port = open(ns, "jvs0");
        UringReadySet ring = ring(port);
        ring.poll(slots, 0); // submits the port's poll

        int frames = 16;
        for (int i = 0; i < frames; i++) {
            // one buffer for all, as the switch reuses its own: the ring copies each frame
            int length = Frames.arpRequest(out, 0, Frames.PEER_MAC, Frames.PEER_IP + i, Frames.TAP_IP);
            assertEquals(Port.TX_OK, port.transmit(out, 0, length));
        }
        // through the counters jvs stats and the metrics read
        long entersBefore = ring.counters().get("enters");
        assertEquals(frames, ring.counters().get("writes"));
        assertEquals(1, ring.poll(slots, (int) WAIT.toMillis()), "the replies make the port ready");
        assertEquals(1, ring.counters().get("enters") - entersBefore, "16 writes and the wait: one io_uring_enter");

        assertEquals(0, port.lastErrno(), "no write failed");
        assertEquals(frames, readArpReplies(port, ring, frames), "the kernel answered every request");
        assertEquals(0, port.txDropped() + port.txErrors() + port.txLinkDown());
        assertEquals(0, ring.counters().get("enter-errors"));
        assertEquals(0, ring.counters().get("orphan-write-errors"));
    }

    @Test
    void aPortLeftWithFramesIsReportedAgainLikeEpollsLevelTrigger() throws Exception {
        String ns = namespaces.create();
        TapPort port = open(ns, "jvs0");
        UringReadySet ring = ring(port);
        for (int i = 0; i < 3; i++) {
            int length = Frames.arpRequest(out, 0, Frames.PEER_MAC, Frames.PEER_IP + i, Frames.TAP_IP);
            assertEquals(Port.TX_OK, port.transmit(out, 0, length));
        }
        assertEquals(1, ring.poll(slots, (int) WAIT.toMillis()));
        // The kernel answers an ARP request inside the write (tun hands the frame to its stack in
        // the caller's context), so all three replies are queued once the submitting poll returns.
        assertTrue(port.receive(buffer, 0, CAPACITY) > 0, "one frame read, more left");

        assertEquals(1, ring.poll(slots, 0), "the port still holds frames: reported again");
        assertEquals(SLOT, slots[0]);
        int read = 0;
        while (port.receive(buffer, 0, CAPACITY) > 0) {
            read++;
        }
        assertEquals(2, read, "the other two replies");
        assertEquals(0, ring.poll(slots, 0), "drained: nothing to report");
    }

    @Test
    void theIdleWaitWakesOnAFrameFromTheNamespaceAndOnWakeup() throws Exception {
        String ns = namespaces.create();
        TapPort port = open(ns, "jvs0");
        UringReadySet ring = ring(port);
        TestNamespaces.ip(
                ns, "neigh", "replace", "10.77.0.2", "lladdr", "02:00:00:77:00:02", "dev", "jvs0", "nud", "permanent");
        assertEquals(0, ring.poll(slots, 0));

        CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
            try {
                NetworkNamespace.call(TestNamespaces.path(ns), () -> {
                    try (DatagramSocket socket = new DatagramSocket()) {
                        byte[] payload = "wake".getBytes(StandardCharsets.US_ASCII);
                        socket.send(new DatagramPacket(payload, payload.length, InetAddress.getByName("10.77.0.2"), 9));
                    }
                    return null;
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long start = System.nanoTime();
        int n = ring.poll(slots, 10_000);
        while (n == 0 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
            n = ring.poll(slots, 10_000); // a signal may end a wait early
        }
        sender.get(5, TimeUnit.SECONDS);
        assertEquals(1, n);
        assertEquals(SLOT, slots[0]);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(9), "woken by the frame, not the timeout");
        int length = port.receive(buffer, 0, CAPACITY);
        assertTrue(Frames.isIpv4(buffer, 0, length, 17, Frames.PEER_IP), "the datagram");
        assertEquals(Port.RX_EMPTY, port.receive(buffer, 0, CAPACITY));

        CompletableFuture<Void> waker = CompletableFuture.runAsync(ring::wakeup);
        start = System.nanoTime();
        assertEquals(0, ring.poll(slots, 10_000), "a wakeup reports no slot");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(9), "woken by wakeup()");
        waker.get(5, TimeUnit.SECONDS);
    }

    @Test
    void removingAndClosingAPortReleasesItsDevice() throws Exception {
        String ns = namespaces.create();
        TapPort port = open(ns, "jvs0");
        UringReadySet ring = ring(port);
        ring.poll(slots, 0);
        ring.remove(SLOT, port);
        port.close();
        // the poll held a reference to the device's file: cancelled, the non-persistent TAP goes
        Await.until(
                "the TAP to disappear",
                WAIT,
                () -> TestNamespaces.run(List.of("ip", "netns", "exec", ns, "ip", "link", "show", "jvs0"))
                                .exit()
                        != 0);
        assertEquals(0, ring.poll(slots, 0));
    }

    @Test
    void aDestroyedDeviceIsReportedAndItsQueuedWriteMakesThePortGone() throws Exception {
        String host = namespaces.create();
        String container = namespaces.create();
        TapDevice device = namespaces.track(TapDevice.openIn(TestNamespaces.path(host), "jvsg0", false));
        TestNamespaces.ip(host, "link", "set", "dev", "jvsg0", "netns", container);
        TestNamespaces.ip(container, "link", "set", "dev", "jvsg0", "up");
        TapPort port = new TapPort(device, MTU);
        UringReadySet ring = ring(port);
        assertEquals(0, ring.poll(slots, 0));

        namespaces.delete(container);

        long deadline = System.nanoTime() + WAIT.toNanos();
        int n = 0;
        while (n == 0 && System.nanoTime() < deadline) {
            n = ring.poll(slots, 100);
        }
        assertEquals(1, n, "the ring reports the failed port within " + WAIT);
        assertEquals(SLOT, slots[0]);
        assertEquals(Port.RX_GONE, port.receive(buffer, 0, CAPACITY));
        int length = Frames.arpRequest(out, 0, Frames.PEER_MAC, Frames.PEER_IP, Frames.TAP_IP);
        assertEquals(Port.TX_OK, port.transmit(out, 0, length), "queued: the ring learns the failure later");
        ring.poll(slots, 0);
        assertEquals(Port.TX_GONE, port.transmit(out, 0, length), "the write failed: the port is gone");
        ring.remove(SLOT, port);
    }

    @Test
    void aKernelThatRefusesTheRingFallsBackToEpoll() throws Exception {
        // More entries than io_uring_setup takes (32768): the kernel answers EINVAL, as it answers
        // ENOSYS or EPERM where io_uring is missing or disabled.
        TapException refused =
                assertThrows(TapException.class, () -> UringReadySet.create(65536, UringReadySet.DEFAULT_TX_BYTES));
        assertEquals(Errno.EINVAL, refused.errno());
        ReadySet fallback = namespaces.track(TapIo.URING.openReadySet(65536));
        assertInstanceOf(EpollReadySet.class, fallback);
        assertInstanceOf(UringReadySet.class, namespaces.track(TapIo.URING.openReadySet()));
        assertInstanceOf(EpollReadySet.class, namespaces.track(TapIo.SYSCALLS.openReadySet()));
        assertEquals(TapIo.URING, TapIo.parse("uring"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> TapIo.parse("io_uring"));
        assertTrue(bad.getMessage().contains("syscalls or uring"), bad.getMessage());
    }
}
