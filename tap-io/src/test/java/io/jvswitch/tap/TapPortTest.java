package io.jvswitch.tap;

import static io.jvswitch.tap.Frames.NET;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jvswitch.switching.port.Port;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** TapPort and EpollReadySet against real TAP devices, in namespaces the tests create. */
class TapPortTest {
    static final int MTU = 1500;
    static final int CAPACITY = 2048;
    static final int SLOT = 7;
    static final Duration WAIT = Duration.ofSeconds(3);

    final TestNamespaces namespaces = new TestNamespaces();
    final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(CAPACITY));
    final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(CAPACITY));

    @BeforeAll
    static void requireTap() {
        TestNamespaces.assumeTapCapable();
    }

    @AfterEach
    void cleanUp() {
        namespaces.close();
    }

    /** A TAP named {@code name} inside {@code ns}, up, with 10.77.0.1/24 (or {@code address}). */
    TapPort openConfigured(String ns, String name, boolean offloads, String address) throws Exception {
        TapDevice device = namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), name, offloads));
        assertEquals(name, device.name());
        TestNamespaces.ip(ns, "link", "set", "dev", name, "up");
        TestNamespaces.ip(ns, "addr", "add", address, "dev", name);
        return new TapPort(device, MTU);
    }

    EpollReadySet readySet(TapPort port) throws TapException {
        EpollReadySet ready = namespaces.track(new EpollReadySet());
        assertTrue(ready.add(SLOT, port));
        return ready;
    }

    interface FrameMatch {
        boolean test(DirectBuffer frame, int length);
    }

    /** Waits for the ready set to report the port, then reads until a frame matches; returns its length. */
    int awaitFrame(TapPort port, EpollReadySet ready, FrameMatch match) {
        int[] slots = new int[4];
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            int n = ready.poll(slots, 100);
            for (int i = 0; i < n; i++) {
                assertEquals(SLOT, slots[i], "epoll reported a slot that was never added");
                int length;
                while ((length = port.receive(buffer, 0, CAPACITY)) > 0) {
                    if (match.test(buffer, length)) {
                        return length;
                    }
                }
                assertNotEquals(Port.RX_GONE, length, "port unexpectedly gone");
            }
        }
        return fail("no matching frame within " + WAIT);
    }

    @Test
    void kernelAnswersAnArpRequestWrittenToTheTap() throws Exception {
        String ns = namespaces.create();
        TapPort port = openConfigured(ns, "jvs0", false, "10.77.0.1/24");
        EpollReadySet ready = readySet(port);
        byte[] tapMac = TestNamespaces.mac(ns, "jvs0");

        int length = Frames.arpRequest(out, 0, Frames.PEER_MAC, Frames.PEER_IP, Frames.TAP_IP);
        assertEquals(Port.TX_OK, port.transmit(out, 0, length));

        int n = awaitFrame(port, ready, (f, len) -> Frames.isArp(f, 0, len, 2));
        assertEquals(Frames.ARP_LENGTH, n, "virtio-net header + 42-byte ARP reply");
        assertArrayEquals(
                new byte[TapDevice.VNET_HEADER_LENGTH],
                Frames.bytes(buffer, 0, TapDevice.VNET_HEADER_LENGTH),
                "no offloads: the kernel's virtio-net header is all zero");
        assertArrayEquals(Frames.PEER_MAC, Frames.bytes(buffer, Frames.ETH_DST, 6));
        assertArrayEquals(tapMac, Frames.bytes(buffer, Frames.ETH_SRC, 6));
        assertArrayEquals(tapMac, Frames.arpSenderMac(buffer, 0));
        assertEquals(Frames.TAP_IP, Frames.arpSenderIp(buffer, 0));
        assertArrayEquals(Frames.PEER_MAC, Frames.arpTargetMac(buffer, 0));
        assertEquals(Frames.PEER_IP, Frames.arpTargetIp(buffer, 0));
        assertEquals(Port.RX_EMPTY, port.receive(buffer, 0, CAPACITY));
        assertEquals(0, ready.poll(new int[4], 0), "nothing left to report");
    }

    @Test
    void pingFromTheNamespaceIsAnsweredThroughThePort() throws Exception {
        String ns = namespaces.create();
        TapPort port = openConfigured(ns, "jvs0", false, "10.77.0.1/24");
        EpollReadySet ready = readySet(port);
        byte[] tapMac = TestNamespaces.mac(ns, "jvs0");

        Process ping = new ProcessBuilder(List.of("ip", "netns", "exec", ns, "ping", "-c1", "-W3", "10.77.0.2"))
                .redirectErrorStream(true)
                .start();
        namespaces.track(ping::destroyForcibly);

        // The kernel resolves 10.77.0.2 first: a broadcast ARP request from the TAP's address.
        awaitFrame(port, ready, (f, len) -> Frames.isArp(f, 0, len, 1) && Frames.arpTargetIp(f, 0) == Frames.PEER_IP);
        assertArrayEquals(Frames.BROADCAST, Frames.bytes(buffer, Frames.ETH_DST, 6));
        assertArrayEquals(tapMac, Frames.bytes(buffer, Frames.ETH_SRC, 6));
        assertEquals(Frames.TAP_IP, Frames.arpSenderIp(buffer, 0));

        int length = Frames.arp(out, 0, 2, tapMac, Frames.PEER_MAC, Frames.PEER_IP, tapMac, Frames.TAP_IP);
        assertEquals(Port.TX_OK, port.transmit(out, 0, length));

        // Then the echo request itself; answer it in place.
        int n = awaitFrame(
                port,
                ready,
                (f, len) -> Frames.isIpv4(f, 0, len, 1, Frames.PEER_IP)
                        && f.getByte(Frames.L3 + Frames.ipv4HeaderLength(f, 0)) == 8);
        assertArrayEquals(Frames.PEER_MAC, Frames.bytes(buffer, Frames.ETH_DST, 6));
        Frames.echoRequestToReply(buffer, 0, n);
        assertEquals(Port.TX_OK, port.transmit(buffer, 0, n));

        assertTrue(ping.waitFor(5, TimeUnit.SECONDS), "ping did not finish");
        String output = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, ping.exitValue(), "ping failed: " + output);
        assertTrue(output.contains("1 received"), output);
    }

    @Test
    void frameLargerThanTheBufferIsDroppedAndCountedButAnExactFitIsKept() throws Exception {
        String ns = namespaces.create();
        TapPort port = openConfigured(ns, "jvs0", false, "10.77.0.1/24");
        EpollReadySet ready = readySet(port);
        int[] slots = new int[4];

        int length = Frames.arpRequest(out, 0, Frames.PEER_MAC, Frames.PEER_IP, Frames.TAP_IP);
        assertEquals(Port.TX_OK, port.transmit(out, 0, length));
        assertEquals(1, ready.poll(slots, (int) WAIT.toMillis()));
        assertEquals(Port.RX_EMPTY, port.receive(buffer, 0, Frames.ARP_LENGTH - 1));
        assertEquals(1, port.rxTruncated());

        assertEquals(Port.TX_OK, port.transmit(out, 0, length));
        assertEquals(1, ready.poll(slots, (int) WAIT.toMillis()));
        assertEquals(Frames.ARP_LENGTH, port.receive(buffer, 0, Frames.ARP_LENGTH), "exact fit is delivered");
        assertTrue(Frames.isArp(buffer, 0, Frames.ARP_LENGTH, 2));
        assertEquals(1, port.rxTruncated());
    }

    @Test
    void writesToADownInterfaceAreRefusedWithoutDeclaringThePortGone() throws Exception {
        String ns = namespaces.create();
        TapPort port = openConfigured(ns, "jvs0", false, "10.77.0.1/24");
        TestNamespaces.ip(ns, "link", "set", "dev", "jvs0", "down");

        int length = Frames.arpRequest(out, 0, Frames.PEER_MAC, Frames.PEER_IP, Frames.TAP_IP);
        assertEquals(Port.TX_REJECTED, port.transmit(out, 0, length));
        assertEquals(Errno.EIO, port.lastErrno());
        assertEquals(1, port.txLinkDown());
        assertEquals(Port.RX_EMPTY, port.receive(buffer, 0, CAPACITY));

        TestNamespaces.ip(ns, "link", "set", "dev", "jvs0", "up");
        assertEquals(Port.TX_OK, port.transmit(out, 0, length));
        // A runt (header only) is the device's to refuse.
        assertEquals(Port.TX_REJECTED, port.transmit(out, 0, TapDevice.VNET_HEADER_LENGTH));
        assertEquals(Errno.EINVAL, port.lastErrno());
        assertEquals(1, port.txErrors());
    }

    @Test
    void offloadsMakeTheKernelLeaveUdpChecksumsToTheSwitch() throws Exception {
        String ns = namespaces.create();
        TapPort offloading = openConfigured(ns, "jvs0", true, "10.77.0.1/24");
        TapPort plain = openConfigured(ns, "jvs1", false, "10.78.0.1/24");
        assertTrue(offloading.acceptsOffloads());
        assertTrue(offloading.device().offloads());
        assertFalse(plain.acceptsOffloads());
        EpollReadySet readyOffloading = readySet(offloading);
        EpollReadySet readyPlain = readySet(plain);
        String peerMac = "02:00:00:77:00:02";
        TestNamespaces.ip(ns, "neigh", "replace", "10.77.0.2", "lladdr", peerMac, "dev", "jvs0", "nud", "permanent");
        TestNamespaces.ip(ns, "neigh", "replace", "10.78.0.2", "lladdr", peerMac, "dev", "jvs1", "nud", "permanent");

        NetworkNamespace.call(TestNamespaces.path(ns), () -> {
            try (DatagramSocket socket = new DatagramSocket()) {
                byte[] payload = "hello".getBytes(StandardCharsets.US_ASCII);
                socket.send(new DatagramPacket(payload, payload.length, InetAddress.getByName("10.77.0.2"), 9999));
                socket.send(new DatagramPacket(payload, payload.length, InetAddress.getByName("10.78.0.2"), 9999));
            }
            return null;
        });

        int n = awaitFrame(offloading, readyOffloading, (f, len) -> Frames.isIpv4(f, 0, len, 17, Frames.PEER_IP));
        int l4 = Frames.L3 + Frames.ipv4HeaderLength(buffer, 0);
        assertEquals(1, buffer.getByte(0) & 1, "VIRTIO_NET_HDR_F_NEEDS_CSUM");
        assertEquals(0, buffer.getByte(1), "not a GSO frame");
        assertEquals(l4 - Frames.ETH, buffer.getShort(6, ByteOrder.LITTLE_ENDIAN), "csum_start: the UDP header");
        assertEquals(6, buffer.getShort(8, ByteOrder.LITTLE_ENDIAN), "csum_offset: UDP checksum field");
        assertEquals(9999, buffer.getShort(l4 + 2, NET) & 0xffff);
        assertEquals(Frames.ETH + 14 + 20 + 8 + 5, n);

        int ipv4Plain = Frames.ipv4(10, 78, 0, 2);
        int m = awaitFrame(plain, readyPlain, (f, len) -> Frames.isIpv4(f, 0, len, 17, ipv4Plain));
        assertArrayEquals(
                new byte[TapDevice.VNET_HEADER_LENGTH], Frames.bytes(buffer, 0, TapDevice.VNET_HEADER_LENGTH));
        assertNotEquals(0, buffer.getShort(l4 + 6, NET), "checksum filled in by the kernel");
        assertEquals(Frames.ETH + 14 + 20 + 8 + 5, m);

        TestNamespaces.Result ethtool = TestNamespaces.run(List.of("ip", "netns", "exec", ns, "ethtool", "-k", "jvs0"));
        if (ethtool.exit() == 0) {
            assertTrue(ethtool.stdout().contains("tx-checksumming: on"), ethtool.stdout());
            assertTrue(ethtool.stdout().contains("tcp-segmentation-offload: on"), ethtool.stdout());
        }
    }

    @Test
    void heapBuffersAndOutOfBoundsRegionsAreRefusedBeforeTheKernelSeesThem() throws Exception {
        String ns = namespaces.create();
        TapPort port = openConfigured(ns, "jvs0", false, "10.77.0.1/24");
        UnsafeBuffer heap = new UnsafeBuffer(new byte[CAPACITY]);
        assertThrows(IllegalArgumentException.class, () -> port.receive(heap, 0, CAPACITY));
        assertThrows(IllegalArgumentException.class, () -> port.transmit(heap, 0, 60));
        UnsafeBuffer heapByteBuffer = new UnsafeBuffer(ByteBuffer.allocate(CAPACITY));
        assertThrows(IllegalArgumentException.class, () -> port.receive(heapByteBuffer, 0, CAPACITY));
        assertThrows(IndexOutOfBoundsException.class, () -> port.receive(buffer, 1, CAPACITY));
        assertThrows(IndexOutOfBoundsException.class, () -> port.transmit(buffer, CAPACITY - 20, 60));
        assertThrows(IndexOutOfBoundsException.class, () -> port.receive(buffer, 0, 4));
        assertEquals(Port.RX_EMPTY, port.receive(buffer, 0, CAPACITY));
    }
}
