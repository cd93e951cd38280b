package io.jvswitch.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.EtherTypePolicy;
import io.jvswitch.switching.PortCounter;
import io.jvswitch.switching.PortSecurity;
import io.jvswitch.switching.PortStats;
import io.jvswitch.switching.SwitchContext;
import io.jvswitch.switching.port.Port;
import io.jvswitch.testsupport.Await;
import io.jvswitch.testsupport.FrameBuilder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Reads through the ring into provided buffers, lent to the caller where they landed, against real
 * TAP devices in namespaces the tests create: every buffer goes back to the kernel exactly once,
 * after its loan and every write from it ended.
 */
class RingReadsTest {
    static final int MTU = 1500;
    static final int SLOT = 3;
    static final Duration WAIT = Duration.ofSeconds(5);

    final TestNamespaces namespaces = new TestNamespaces();
    final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
    final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    final int[] slots = new int[8];
    Dataplane dp;

    @BeforeAll
    static void requireTap() {
        TestNamespaces.assumeTapCapable();
    }

    @AfterEach
    void cleanUp() {
        if (dp != null) {
            dp.close();
        }
        namespaces.close();
    }

    TapPort open(String ns, String name, String address) throws Exception {
        return open(ns, name, address, true);
    }

    /** A TAP in {@code ns}; one left down refuses every write (EIO). */
    TapPort open(String ns, String name, String address, boolean up) throws Exception {
        TapDevice device = namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), name, false));
        if (up) {
            TestNamespaces.ip(ns, "link", "set", "dev", name, "up");
        }
        if (address != null) {
            TestNamespaces.ip(ns, "addr", "add", address, "dev", name);
        }
        return new TapPort(device, MTU);
    }

    /** Writes {@code count} ARP requests for the TAP's address: the kernel queues a reply to each. */
    void askForReplies(TapPort port, UringReadySet ring, int count) {
        for (int i = 0; i < count; i++) {
            int length = Frames.arpRequest(out, 0, Frames.PEER_MAC, Frames.PEER_IP + i, Frames.TAP_IP);
            assertEquals(Port.TX_OK, port.transmit(out, 0, length));
        }
        ring.poll(slots, 0); // submits the writes; the replies land as the kernel answers them
    }

    /** Lends frames until {@code wanted} ARP replies came (or the wait ended), giving each back; returns them. */
    int lendReplies(TapPort port, UringReadySet ring, int wanted) {
        int replies = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (replies < wanted && System.nanoTime() < deadline) {
            ring.poll(slots, 100);
            int length;
            while ((length = port.lend(view)) > 0) {
                if (Frames.isArp(view, 0, length, 2) && Frames.arpTargetIp(view, 0) - Frames.PEER_IP < 64) {
                    replies++;
                }
                port.takeBack(view);
            }
        }
        return replies;
    }

    @ParameterizedTest(name = "multishot={0}")
    @ValueSource(booleans = {true, false})
    void framesLandInProvidedBuffersAndAreLentIntactWithoutACopy(boolean multishot) throws Exception {
        String ns = namespaces.create();
        TapPort port = open(ns, "jvsr0", "10.77.0.1/24");
        UringReadySet ring = namespaces.track(UringReadySet.create(
                UringReadySet.DEFAULT_ENTRIES,
                UringReadySet.DEFAULT_TX_BYTES,
                UringReadySet.DEFAULT_READ_BUFFERS,
                multishot));
        assertTrue(ring.add(SLOT, port));
        assertTrue(port.lendsFrames(), "this kernel (6.7+) reads through the ring");

        askForReplies(port, ring, 16);
        assertEquals(16, lendReplies(port, ring, 16), "every reply, intact");
        assertTrue(ring.reads().lent() >= 16);
        assertEquals(ring.reads().lent(), ring.reads().returned(), "each lent buffer given back once");
        assertEquals(UringReadySet.DEFAULT_READ_BUFFERS, ring.reads().buffersInRing(), "all back in the kernel's ring");
        assertEquals(0, ring.reads().readErrors());
    }

    /**
     * A TSO super-frame written into one TAP is forwarded whole by the namespace's kernel to another
     * TAP with offloads on, whose read through the ring must land it in one buffer, intact.
     */
    @Test
    void aGsoSuperFrameLandsWholeInOneProvidedBuffer() throws Exception {
        String ns = namespaces.create();
        TapDevice x = namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), "jvsx0", true));
        TapDevice y = namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), "jvsy0", true));
        TestNamespaces.ip(ns, "link", "set", "dev", "jvsx0", "up");
        TestNamespaces.ip(ns, "link", "set", "dev", "jvsy0", "up");
        TestNamespaces.ip(ns, "addr", "add", "10.1.0.1/24", "dev", "jvsx0");
        TestNamespaces.ip(ns, "addr", "add", "10.2.0.1/24", "dev", "jvsy0");
        TestNamespaces.ip(
                ns, "neigh", "replace", "10.2.0.2", "lladdr", "02:00:00:77:00:02", "dev", "jvsy0", "nud", "permanent");
        assertEquals(
                0,
                TestNamespaces.run(List.of("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"))
                        .exit());
        TapPort into = new TapPort(x, MTU);
        TapPort outOf = new TapPort(y, MTU);
        UringReadySet ring = namespaces.track(UringReadySet.create());
        assertTrue(ring.add(SLOT, outOf));

        int payload = 60_000;
        byte[] frame = FrameBuilder.tcpSuperFrame(
                macOf(TestNamespaces.mac(ns, "jvsx0")),
                FrameBuilder.mac("02:00:00:77:00:09"),
                FrameBuilder.ip("10.1.0.2"),
                FrameBuilder.ip("10.2.0.2"),
                payload,
                1448);
        UnsafeBuffer toWrite = new UnsafeBuffer(ByteBuffer.allocateDirect(frame.length));
        toWrite.putBytes(0, frame);
        assertEquals(Port.TX_OK, into.transmit(toWrite, 0, frame.length), "the kernel took the super-frame");

        int length = Await.until(
                "the super-frame, forwarded whole",
                WAIT,
                () -> {
                    ring.poll(slots, 10);
                    int n;
                    while ((n = outOf.lend(view)) > 0) {
                        if (n == frame.length) {
                            return n;
                        }
                        outOf.takeBack(view);
                    }
                    return 0;
                },
                n -> n > 0);
        assertEquals(VirtioNetHeader.GSO_TCPV4, VirtioNetHeader.gsoType(view, 0), "still one GSO frame");
        int payloadStart = frame.length - payload;
        for (int i = payloadStart; i < length; i++) {
            if (view.getByte(i) != frame[i]) {
                throw new AssertionError("byte " + i + " of the super-frame changed");
            }
        }
        outOf.takeBack(view);
        assertEquals(ring.reads().lent(), ring.reads().returned());
    }

    private static long macOf(byte[] mac) {
        long value = 0;
        for (byte b : mac) {
            value = value << 8 | (b & 0xFF);
        }
        return value;
    }

    @Test
    void whenBuffersRunOutTheReadWaitsIsCountedAndResumes() throws Exception {
        String ns = namespaces.create();
        TapPort port = open(ns, "jvsr0", "10.77.0.1/24");
        UringReadySet ring = namespaces.track(UringReadySet.create(64, 1 << 20, 2, true));
        assertTrue(ring.add(SLOT, port));

        askForReplies(port, ring, 12);
        Await.until(
                "both buffers filled",
                WAIT,
                () -> {
                    ring.poll(slots, 10);
                    return ring.reads().buffersInRing();
                },
                n -> n == 0);
        // hold both frames: the read must end with ENOBUFS and wait
        UnsafeBuffer first = new UnsafeBuffer(0, 0);
        assertTrue(port.lend(first) > 0);
        assertTrue(port.lend(view) > 0);
        Await.until(
                "the read to end for want of buffers",
                WAIT,
                () -> {
                    ring.poll(slots, 10);
                    return ring.readBufferWaits();
                },
                n -> n > 0);
        port.takeBack(first);
        port.takeBack(view);

        assertEquals(10, lendReplies(port, ring, 10), "the other ten arrived after the wait");
        assertTrue(ring.readBufferWaits() >= 1);
        assertEquals(ring.reads().lent(), ring.reads().returned());
        Await.until(
                "both buffers back",
                WAIT,
                () -> {
                    ring.poll(slots, 0);
                    return ring.reads().buffersInRing();
                },
                n -> n == 2);
    }

    /**
     * With {@code cDown}, the writes to C fail after the fact (EIO: link down) and are counted as the
     * switch counts a refusal, and their buffers come back all the same.
     */
    @ParameterizedTest(name = "third port down={0}")
    @ValueSource(booleans = {false, true})
    void aFloodWritesOneBufferToEveryPortAndReturnsItOnce(boolean cDown) throws Exception {
        String ns = namespaces.create();
        TapPort a = open(ns, "jvsa0", "10.77.0.1/24");
        TapPort b = open(ns, "jvsb0", null);
        TapPort c = open(ns, "jvsc0", null, !cDown);
        UringReadySet ring = namespaces.track(UringReadySet.create());
        dp = new Dataplane(new SwitchContext(), ring, (slot, name) -> {}, Throwable::printStackTrace);
        call(dp.addNetwork(
                1,
                "n",
                FrameBuilder.ip("10.77.0.254"),
                FrameBuilder.mac("02:4a:0a:00:00:01"),
                EtherTypePolicy.IP_ONLY));
        call(dp.plug(1, a, FrameBuilder.mac("02:4a:0a:00:00:02"), Frames.TAP_IP, PortSecurity.ALLOW_SPOOFING));
        int slotB =
                call(dp.plug(1, b, FrameBuilder.mac("02:4a:0a:00:00:03"), Frames.PEER_IP, PortSecurity.ALLOW_SPOOFING));
        int slotC = call(
                dp.plug(1, c, FrameBuilder.mac("02:4a:0a:00:00:04"), Frames.PEER_IP + 1, PortSecurity.ALLOW_SPOOFING));

        int datagrams = 5;
        NetworkNamespace.call(TestNamespaces.path(ns), () -> {
            try (DatagramSocket socket = new DatagramSocket()) {
                socket.setBroadcast(true);
                byte[] payload = new byte[100];
                for (int i = 0; i < datagrams; i++) {
                    socket.send(new DatagramPacket(payload, payload.length, InetAddress.getByName("10.77.0.255"), 9));
                }
            }
            return null;
        });
        Await.until(
                "the broadcasts flooded to both ports",
                WAIT,
                () -> {
                    dp.runDutyCycle();
                    return call(dp.portStats());
                },
                stats -> txFrames(stats, slotB) >= datagrams
                        && (cDown ? rejected(stats, slotC) >= datagrams : txFrames(stats, slotC) >= datagrams));
        Await.until(
                "every buffer back in the kernel's ring",
                WAIT,
                () -> {
                    dp.runDutyCycle();
                    return ring.reads().buffersInRing();
                },
                n -> n == UringReadySet.DEFAULT_READ_BUFFERS);
        assertEquals(ring.reads().lent(), ring.reads().returned(), "each buffer returned exactly once");
        assertEquals(0, ring.reads().unheldReleases(), "and never one more time");
        assertTrue(ring.inPlaceWrites() >= 2L * datagrams, "written from where they landed: " + ring);
        assertEquals(ring.writes(), ring.inPlaceWrites(), "no frame copied into the transmit area: " + ring);
        assertEquals(0, b.txErrors() + b.txDropped() + c.txErrors() + c.txDropped());
        assertEquals(cDown ? datagrams : 0, c.txLinkDown(), "the refused writes, counted by the port");
        if (cDown) {
            PortStats stats = call(dp.portStats()).stream()
                    .filter(st -> st.slot() == slotC)
                    .findFirst()
                    .orElseThrow();
            assertEquals(0, stats.get(PortCounter.TX_FRAMES), "none counted as sent: " + stats);
            assertEquals(datagrams, rejected(List.of(stats), slotC), stats.toString());
        }
    }

    private static long rejected(List<PortStats> stats, int slot) {
        return stats.stream()
                .filter(s -> s.slot() == slot)
                .mapToLong(s -> s.drops().getOrDefault("tx-rejected", 0L))
                .sum();
    }

    @Test
    void aPortRemovedWhileItsFrameIsLentAndWrittenGivesTheBufferBackOnce() throws Exception {
        String ns = namespaces.create();
        TapPort a = open(ns, "jvsa0", "10.77.0.1/24");
        TapPort b = open(ns, "jvsb0", null);
        UringReadySet ring = namespaces.track(UringReadySet.create());
        assertTrue(ring.add(SLOT, a));
        assertTrue(ring.add(SLOT + 1, b));

        askForReplies(a, ring, 1);
        int length = Await.until(
                "a reply lands",
                WAIT,
                () -> {
                    ring.poll(slots, 10);
                    return a.lend(view);
                },
                n -> n > 0);
        assertEquals(Port.TX_OK, b.transmit(view, 0, length), "queued from the lent buffer");
        assertEquals(1, ring.inPlaceWrites());
        // both ports leave: the write is flushed, the read cancelled; the loan outlives them
        ring.remove(SLOT + 1, b);
        b.close();
        ring.remove(SLOT, a);
        a.close();
        assertEquals(UringReadySet.DEFAULT_READ_BUFFERS - 1, ring.reads().buffersInRing(), "still lent");
        a.takeBack(view);
        assertEquals(UringReadySet.DEFAULT_READ_BUFFERS, ring.reads().buffersInRing());
        assertEquals(ring.reads().lent(), ring.reads().returned());
        assertEquals(0, ring.reads().unheldReleases());
        Await.until(
                "the TAPs to disappear",
                WAIT,
                () -> TestNamespaces.run(List.of("ip", "-n", ns, "link", "show", "jvsa0"))
                                .exit()
                        != 0);
    }

    @Test
    void aPortOutlivesTheClosedSetAndReadsAndWritesDirectlyAgain() throws Exception {
        String ns = namespaces.create();
        TapPort port = open(ns, "jvsr0", "10.77.0.1/24");
        UringReadySet ring = UringReadySet.create();
        assertTrue(ring.add(SLOT, port));
        askForReplies(port, ring, 2);
        assertEquals(2, lendReplies(port, ring, 2));
        ring.close();

        assertTrue(!port.lendsFrames(), "no ring to lend from");
        UnsafeBuffer in = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
        int length = Frames.arpRequest(out, 0, Frames.PEER_MAC, Frames.PEER_IP, Frames.TAP_IP);
        assertEquals(Port.TX_OK, port.transmit(out, 0, length), "one write(2) again");
        Await.until("the ARP reply, read with readv", WAIT, () -> {
            int n;
            while ((n = port.receive(in, 0, 2048)) > 0) {
                if (Frames.isArp(in, 0, n, 2)) {
                    return true;
                }
            }
            return false;
        });
    }

    /** What a kernel without multishot reads or provided-buffer rings gets: polls, and readv per frame. */
    @Test
    void withoutProvidedBuffersPortsArePolledAndReadWithReadv() throws Exception {
        String ns = namespaces.create();
        TapPort port = open(ns, "jvsr0", "10.77.0.1/24");
        UringReadySet ring = namespaces.track(
                UringReadySet.create(UringReadySet.DEFAULT_ENTRIES, UringReadySet.DEFAULT_TX_BYTES, 0, true));
        assertTrue(ring.add(SLOT, port));
        assertTrue(!port.lendsFrames());
        assertEquals(null, ring.reads());

        askForReplies(port, ring, 4);
        UnsafeBuffer in = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
        int replies = Await.until(
                "the four replies, read with readv",
                WAIT,
                new Await.Probe<Integer>() {
                    int seen;

                    @Override
                    public Integer read() {
                        ring.poll(slots, 10);
                        int n;
                        while ((n = port.receive(in, 0, 2048)) > 0) {
                            seen += Frames.isArp(in, 0, n, 2) ? 1 : 0;
                        }
                        return seen;
                    }
                },
                n -> n == 4);
        assertEquals(4, replies);
    }

    private static long txFrames(List<PortStats> stats, int slot) {
        return stats.stream()
                .filter(s -> s.slot() == slot)
                .mapToLong(s -> s.get(PortCounter.TX_FRAMES))
                .sum();
    }

    private <T> T call(CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }
}
