package io.jvswitch.switching;

import static io.jvswitch.testsupport.FrameBuilder.ETH;
import static io.jvswitch.testsupport.FrameBuilder.arpRequest;
import static io.jvswitch.testsupport.FrameBuilder.ip;
import static io.jvswitch.testsupport.FrameBuilder.ipv4Shaped;
import static io.jvswitch.testsupport.FrameBuilder.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.capture.CaptureRing;
import io.jvswitch.switching.capture.PacketTrace;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.testsupport.FrameBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Capture taps copy exactly what they should into the ring and never hold up forwarding; traces explain. */
class CaptureAndTraceTest {
    static final long MAC_A = mac("02:4a:0a:00:00:02");
    static final long MAC_B = mac("02:4a:0a:00:00:03");
    static final long MAC_X = mac("02:4a:0a:01:00:02");

    Dataplane dp;
    MemoryPort a;
    MemoryPort b;
    MemoryPort x;
    int slotA;
    int slotB;
    int slotX;

    record Record(int mask, int slot, CapturePoint point, int reason, int originalLength, byte[] data) {}

    @BeforeEach
    void setUp() {
        dp = new Dataplane(
                new SwitchContext().captureRingBytes(64 * 1024),
                ReadySet.NONE,
                PortListener.NONE,
                Throwable::printStackTrace);
        call(dp.addNetwork(1, "front", ip("10.0.0.1"), mac("02:4a:0a:00:00:01"), EtherTypePolicy.IP_ONLY));
        call(dp.addNetwork(2, "back", ip("10.0.1.1"), mac("02:4a:0a:00:01:01"), EtherTypePolicy.IP_ONLY));
        a = new MemoryPort("a", 1500, true, true);
        b = new MemoryPort("b", 1500, true, true);
        x = new MemoryPort("x", 1500, true, true);
        slotA = call(dp.plug(1, a, MAC_A, ip("10.0.0.2"), PortSecurity.ALLOW_SPOOFING));
        slotB = call(dp.plug(1, b, MAC_B, ip("10.0.0.3"), PortSecurity.ALLOW_SPOOFING));
        slotX = call(dp.plug(2, x, MAC_X, ip("10.0.1.2"), PortSecurity.ALLOW_SPOOFING));
    }

    <T> T call(CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }

    List<Record> drain() {
        final List<Record> records = new ArrayList<>();
        dp.captureRing()
                .drain(
                        (mask, buffer, index, length) -> {
                            final byte[] data = new byte[length - CaptureRing.HEADER_LENGTH];
                            buffer.getBytes(index + CaptureRing.HEADER_LENGTH, data);
                            records.add(new Record(
                                    mask,
                                    buffer.getInt(index + CaptureRing.SLOT_OFFSET),
                                    CapturePoint.ofOrdinal(buffer.getByte(index + CaptureRing.POINT_OFFSET)),
                                    buffer.getByte(index + CaptureRing.REASON_OFFSET) & 0xFF,
                                    buffer.getInt(index + CaptureRing.ORIGINAL_LENGTH_OFFSET),
                                    data));
                        },
                        1000);
        return records;
    }

    @Test
    void portCaptureSeesRxAndTxOfThatPortOnly() {
        final int session =
                call(dp.startCapture(-1, new int[] {slotB}, CapturePoint.RX.bit() | CapturePoint.TX.bit(), 65535));
        final byte[] frame = ipv4Shaped(MAC_B, MAC_A);
        a.inject(frame);
        dp.runDutyCycle();
        b.inject(ipv4Shaped(MAC_A, MAC_B));
        dp.runDutyCycle();
        final List<Record> records = drain();
        assertEquals(2, records.size(), records.toString());
        assertEquals(CapturePoint.TX, records.get(0).point(), "a's frame as it left by b");
        assertEquals(slotB, records.get(0).slot());
        assertTrue(
                Arrays.equals(
                        Arrays.copyOfRange(frame, ETH, frame.length),
                        records.get(0).data()),
                "the Ethernet frame, without the virtio-net header");
        assertEquals(CapturePoint.RX, records.get(1).point(), "b's frame as it came in");
        assertEquals(1 << session, records.get(1).mask());
        assertEquals(2, call(dp.stopCapture(session)).captured());
        a.inject(frame);
        dp.runDutyCycle();
        assertTrue(drain().isEmpty(), "nothing after the capture stopped");
    }

    @Test
    void dropCaptureCarriesTheReasonAndNetworkScopeHolds() {
        final int session = call(dp.startCapture(-1, null, CapturePoint.DROP.bit(), 65535));
        a.inject(ipv4Shaped(mac("02:4a:0a:00:00:01"), MAC_A)); // to the gateway: no-route
        x.inject(ipv4Shaped(MAC_A, mac("01:00:5e:00:00:01"))); // multicast source
        a.inject(ipv4Shaped(MAC_B, MAC_A)); // fine: not captured
        dp.runDutyCycle();
        final List<Record> records = drain();
        assertEquals(2, records.size());
        assertEquals(DropReason.NO_ROUTE, DropReason.ofOrdinal(records.get(0).reason()));
        assertEquals(slotA, records.get(0).slot());
        assertEquals(
                DropReason.MULTICAST_SOURCE, DropReason.ofOrdinal(records.get(1).reason()));
        call(dp.stopCapture(session));

        final int front = call(dp.startCapture(1, null, CapturePoint.RX.bit(), 65535));
        x.inject(ipv4Shaped(0xFFFF_FFFF_FFFFL, MAC_X));
        a.inject(ipv4Shaped(MAC_B, MAC_A));
        dp.runDutyCycle();
        final List<Record> frontOnly = drain();
        assertEquals(1, frontOnly.size(), "only network 1's port");
        assertEquals(slotA, frontOnly.getFirst().slot());
        call(dp.stopCapture(front));
    }

    @Test
    void aFullRingLosesCopiesNotFrames() {
        final int session = call(dp.startCapture(-1, new int[] {slotA}, CapturePoint.RX.bit(), 65535));
        b.inject(ipv4Shaped(MAC_A, MAC_B)); // learn b
        dp.runDutyCycle();
        for (int i = 0; i < 200; i++) {
            a.inject(FrameBuilder.ethernet(MAC_B, MAC_A, 0x0800, 1400));
        }
        for (int i = 0; i < 10; i++) {
            dp.runDutyCycle();
        }
        final CaptureCounters counters = call(dp.stopCapture(session));
        assertTrue(counters.ringDrops() > 0, "a 64 KiB ring cannot hold 200 frames of 1.4 KB: " + counters);
        assertEquals(200, counters.captured() + counters.ringDrops());
        assertEquals(200, b.transmitCount(), "every frame was still forwarded");
    }

    @Test
    void snapLengthCutsCopiesButKeepsTheOriginalLength() {
        final int session = call(dp.startCapture(-1, new int[] {slotA}, CapturePoint.RX.bit(), 100));
        a.inject(FrameBuilder.ethernet(MAC_B, MAC_A, 0x0800, 1000));
        dp.runDutyCycle();
        final Record r = drain().getFirst();
        assertEquals(100, r.data().length);
        assertEquals(1014, r.originalLength());
        call(dp.stopCapture(session));
    }

    @Test
    void syntheticTraceNamesTheStagesAndSendsNothing() {
        b.inject(ipv4Shaped(MAC_A, MAC_B));
        dp.runDutyCycle();
        while (a.pollTransmitted() != null) {
            // the flood of b's first frame
        }
        final long rxBefore = stats(slotA).get(PortCounter.RX_FRAMES);
        final byte[] frame = ipv4Shaped(MAC_B, MAC_A);
        final PacketTrace trace = call(dp.traceSynthetic(slotA, Arrays.copyOfRange(frame, ETH, frame.length)));
        final List<String> stages =
                trace.steps().stream().map(PacketTrace.Step::stage).toList();
        assertEquals(List.of("rx", "ingress-checks", "port-security", "l2-lookup"), stages);
        assertTrue(
                trace.steps().get(3).detail().contains("-> port b"),
                trace.steps().toString());
        assertEquals("forwarded to b", trace.verdict());
        assertNull(b.pollTransmitted(), "a dry run sends nothing");
        assertEquals(rxBefore, stats(slotA).get(PortCounter.RX_FRAMES), "and counts nothing");

        final byte[] arp = arpRequest(MAC_A, ip("10.0.0.2"), ip("10.0.0.3"));
        final PacketTrace arpTrace = call(dp.traceSynthetic(slotA, Arrays.copyOfRange(arp, ETH, arp.length)));
        assertTrue(arpTrace.verdict().startsWith("answered (proxy-ARP)"), arpTrace.verdict());
        assertNull(a.pollTransmitted());

        final byte[] gw = ipv4Shaped(mac("02:4a:0a:00:00:01"), MAC_A);
        assertEquals(
                "dropped at a: no-route",
                call(dp.traceSynthetic(slotA, Arrays.copyOfRange(gw, ETH, gw.length)))
                        .verdict());
    }

    /**
     * The trace's text is written from the stages' records after the frame (TraceFormatter): word
     * for word what users and scripts have always read.
     */
    @Test
    void traceTextIsFormattedFromTheStagesRecords() {
        b.inject(ipv4Shaped(MAC_A, MAC_B));
        dp.runDutyCycle();
        while (a.pollTransmitted() != null) {
            // the flood of b's first frame
        }
        final byte[] frame = ipv4Shaped(MAC_B, MAC_A);
        final PacketTrace forward = call(dp.traceSynthetic(slotA, Arrays.copyOfRange(frame, ETH, frame.length)));
        assertEquals(
                List.of(
                        new PacketTrace.Step(
                                "rx",
                                "port a (network front), " + (frame.length - ETH)
                                        + " bytes, synthetic: nothing is sent or learned"),
                        new PacketTrace.Step(
                                "ingress-checks", "passed: 02:4a:0a:00:00:02 -> 02:4a:0a:00:00:03, ethertype 0x0800"),
                        new PacketTrace.Step("port-security", "off for this endpoint (--allow-spoofing)"),
                        new PacketTrace.Step("l2-lookup", "FDB of front: 02:4a:0a:00:00:03 -> port b")),
                forward.steps());

        final byte[] unknown = ipv4Shaped(mac("02:4a:0a:00:00:09"), MAC_A);
        final PacketTrace flood = call(dp.traceSynthetic(slotA, Arrays.copyOfRange(unknown, ETH, unknown.length)));
        assertEquals(
                new PacketTrace.Step(
                        "l2-lookup", "FDB of front: 02:4a:0a:00:00:09 not learned: flood as unknown unicast"),
                flood.steps().get(3));
        assertEquals("flooded in front to b", flood.verdict());

        final byte[] arp = arpRequest(MAC_A, ip("10.0.0.2"), ip("10.0.0.3"));
        final PacketTrace arpTrace = call(dp.traceSynthetic(slotA, Arrays.copyOfRange(arp, ETH, arp.length)));
        assertEquals(
                new PacketTrace.Step(
                        "arp-proxy",
                        "who-has 10.0.0.3: address book of front says 02:4a:0a:00:00:03: answered by the switch"),
                arpTrace.steps().get(arpTrace.steps().size() - 1));
        assertEquals("answered (proxy-ARP) out of a", arpTrace.verdict());

        final byte[] gw = ipv4Shaped(mac("02:4a:0a:00:00:01"), MAC_A);
        final PacketTrace dropped = call(dp.traceSynthetic(slotA, Arrays.copyOfRange(gw, ETH, gw.length)));
        assertEquals(
                new PacketTrace.Step(
                        DropReason.NO_ROUTE.stage().label(),
                        "dropped: no-route (" + DropReason.NO_ROUTE.description() + ")"),
                dropped.steps().get(dropped.steps().size() - 1));
    }

    @Test
    void armedTraceFollowsTheNextMatchingRealFrame() {
        final CompletableFuture<PacketTrace> pending = armed(dp, slotA, (buffer, offset, length) -> length > 500);
        a.inject(ipv4Shaped(MAC_B, MAC_A)); // 60 bytes: no match, processed normally
        dp.runDutyCycle();
        assertTrue(!pending.isDone());
        a.inject(FrameBuilder.ethernet(MAC_B, MAC_A, 0x0800, 600));
        dp.runDutyCycle();
        final PacketTrace trace = Dataplane.await(pending);
        assertTrue(trace.steps().stream().anyMatch(s -> s.stage().equals("learn")), "a real frame is learned from");
        assertEquals(2, b.pendingTransmitted(), "and really forwarded, like the one before it");
        assertThrows(
                IllegalStateException.class,
                () -> {
                    armed(dp, slotA, (buffer, offset, length) -> true);
                    armed(dp, slotA, (buffer, offset, length) -> true);
                },
                "one armed trace at a time");
    }

    /** Arms a trace on {@code slot}, running the dataplane's duty cycles while the call waits for it. */
    static CompletableFuture<PacketTrace> armed(Dataplane dp, int slot, FrameMatcher matcher) {
        final CompletableFuture<PacketTrace>[] result = new CompletableFuture[1];
        final Thread t = Thread.ofPlatform().start(() -> result[0] = dp.armTrace(slot, matcher));
        while (t.isAlive()) {
            dp.runDutyCycle();
        }
        if (result[0] == null) {
            throw new IllegalStateException("not armed");
        }
        return result[0];
    }

    private PortStats stats(int slot) {
        return call(dp.portStats()).stream()
                .filter(s -> s.slot() == slot)
                .findFirst()
                .orElseThrow();
    }
}
