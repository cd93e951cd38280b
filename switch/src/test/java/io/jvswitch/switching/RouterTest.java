package io.jvswitch.switching;

import static io.jvswitch.testsupport.FrameBuilder.ETH;
import static io.jvswitch.testsupport.FrameBuilder.L3;
import static io.jvswitch.testsupport.FrameBuilder.icmpEchoRequest;
import static io.jvswitch.testsupport.FrameBuilder.ip;
import static io.jvswitch.testsupport.FrameBuilder.mac;
import static io.jvswitch.testsupport.FrameBuilder.readMac;
import static io.jvswitch.testsupport.FrameBuilder.udpDatagram;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.switching.capture.PacketTrace;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.switching.service.ConnectionSlot;
import io.jvswitch.switching.service.GatewayDatagramService;
import io.jvswitch.switching.service.GatewayReplies;
import io.jvswitch.switching.service.RoutingHook;
import io.jvswitch.testsupport.FrameBuilder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The gateway and router over in-memory ports: what a container and the host see. */
class RouterTest {
    static final long GW1_MAC = mac("02:4a:0a:00:00:01");
    static final long GW2_MAC = mac("02:4a:0a:00:01:01");
    static final long A_MAC = mac("02:4a:0a:00:00:02");
    static final long B_MAC = mac("02:4a:0a:00:00:03");
    static final long X_MAC = mac("02:4a:0a:00:01:02");
    static final long ROUTER_MAC = mac("02:4a:a9:fe:2a:02");
    static final long HOST_MAC = mac("02:4a:a9:fe:2a:01");
    static final int GW1 = ip("10.0.0.1");
    static final int A = ip("10.0.0.2");
    static final int B = ip("10.0.0.3");
    static final int GW2 = ip("10.0.1.1");
    static final int X = ip("10.0.1.2");
    static final int ROUTER = ip("169.254.42.2");
    static final int HOST = ip("169.254.42.1");
    static final int OUTSIDE = ip("192.0.2.7");

    final DataplaneTest.ManualClock clock = new DataplaneTest.ManualClock();
    Dataplane dp;
    MemoryPort a;
    MemoryPort b;
    MemoryPort x;
    MemoryPort host;

    @BeforeEach
    void setUp() {
        dp = new Dataplane(
                new SwitchContext().clock(clock), ReadySet.NONE, (slot, name) -> {}, Throwable::printStackTrace);
        call(dp.addNetwork(new NetworkSpec(1, "front", GW1, GW1_MAC, 24, 1500, false, EtherTypePolicy.IP_ONLY)));
        call(dp.addNetwork(new NetworkSpec(2, "small", GW2, GW2_MAC, 24, 1280, false, EtherTypePolicy.IP_ONLY)));
        a = new MemoryPort("a", 1500, true, true);
        b = new MemoryPort("b", 1500, true, true);
        x = new MemoryPort("x", 1280, true, true);
        host = new MemoryPort("host", 9000, true, true);
        call(dp.plug(1, a, A_MAC, A, PortSecurity.ENFORCE));
        call(dp.plug(1, b, B_MAC, B, PortSecurity.ENFORCE));
        call(dp.plug(2, x, X_MAC, X, PortSecurity.ENFORCE));
        call(dp.plugHostLink(host, new HostLinkSpec(ROUTER_MAC, ROUTER, HOST_MAC)));
    }

    <T> T call(CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }

    void cycle() {
        dp.runDutyCycle();
    }

    // ---- frames --------------------------------------------------------------------------------

    /** An IPv4 frame whose transport bytes are kept as given (a UDP checksum of 0 says none). */
    static byte[] ipv4(long dstMac, long srcMac, int src, int dst, int ttl, int protocol, boolean df, byte[] l4) {
        return FrameBuilder.ipv4Frame(dstMac, srcMac, src, dst, protocol, l4)
                .ttl(ttl)
                .dontFragment(df)
                .rawTransport()
                .build();
    }

    static int ipByte(byte[] frame, int index) {
        return frame[L3 + index] & 0xFF;
    }

    static int ipInt(byte[] frame, int index) {
        return ByteBuffer.wrap(frame).getInt(L3 + index);
    }

    static int ipShort(byte[] frame, int index) {
        return ByteBuffer.wrap(frame).getShort(L3 + index) & 0xFFFF;
    }

    static void assertIpChecksumValid(byte[] frame) {
        assertEquals(
                0,
                InternetChecksum.compute(new UnsafeBuffer(frame), L3, (ipByte(frame, 0) & 0xF) * 4),
                "IPv4 header checksum");
    }

    int drops(MemoryPort port, String reason) {
        return call(dp.portStats()).stream()
                .filter(s -> s.name().equals(port.name()))
                .findFirst()
                .orElseThrow()
                .drops()
                .getOrDefault(reason, 0L)
                .intValue();
    }

    // ---- tests ---------------------------------------------------------------------------------

    @Test
    void theGatewayAnswersPing() {
        a.inject(ipv4(GW1_MAC, A_MAC, A, GW1, 64, 1, true, icmpEchoRequest(56)));
        cycle();
        final byte[] reply = a.pollTransmitted();
        assertNotNull(reply);
        assertEquals(A_MAC, readMac(reply, ETH));
        assertEquals(GW1_MAC, readMac(reply, ETH + 6));
        assertEquals(GW1, ipInt(reply, 12));
        assertEquals(A, ipInt(reply, 16));
        assertEquals(0, reply[ETH + 34], "echo reply");
        assertEquals(0, InternetChecksum.compute(new UnsafeBuffer(reply), ETH + 34, reply.length - ETH - 34));
        assertIpChecksumValid(reply);
        assertNull(host.pollTransmitted());
    }

    @Test
    void routesToTheHostAndBackWithTtlDecremented() {
        a.inject(ipv4(GW1_MAC, A_MAC, A, OUTSIDE, 64, 17, true, udpDatagram(4000, 80, new byte[20])));
        cycle();
        final byte[] up = host.pollTransmitted();
        assertNotNull(up, "beyond the networks goes to the host link");
        assertEquals(HOST_MAC, readMac(up, ETH));
        assertEquals(ROUTER_MAC, readMac(up, ETH + 6));
        assertEquals(63, ipByte(up, 8));
        assertIpChecksumValid(up);

        host.inject(ipv4(ROUTER_MAC, HOST_MAC, OUTSIDE, A, 64, 17, true, udpDatagram(80, 4000, new byte[20])));
        cycle();
        final byte[] down = a.pollTransmitted();
        assertNotNull(down);
        assertEquals(A_MAC, readMac(down, ETH));
        assertEquals(GW1_MAC, readMac(down, ETH + 6));
        assertEquals(63, ipByte(down, 8));
        assertIpChecksumValid(down);
        assertNull(b.pollTransmitted(), "A's MAC is known from the address book: no flood");
    }

    @Test
    void theRouterAnswersArpForItsLinkAddressOnly() {
        host.inject(FrameBuilder.arp(0xFFFF_FFFF_FFFFL, HOST_MAC, 1, HOST_MAC, HOST, 0, ROUTER));
        cycle();
        final byte[] reply = host.pollTransmitted();
        assertNotNull(reply);
        assertEquals(ROUTER_MAC, readMac(reply, ETH + 6));
        host.inject(FrameBuilder.arp(0xFFFF_FFFF_FFFFL, HOST_MAC, 1, HOST_MAC, HOST, 0, A));
        cycle();
        assertNull(host.pollTransmitted());
        assertNull(a.pollTransmitted(), "nothing from the host is switched into a network");
        assertEquals(1, drops(host, "not-for-router"));
    }

    @Test
    void networksAreIsolatedAndTheSenderIsTold() {
        a.inject(ipv4(GW1_MAC, A_MAC, A, X, 64, 17, true, udpDatagram(4000, 80, new byte[20])));
        cycle();
        assertNull(x.pollTransmitted());
        final byte[] error = a.pollTransmitted();
        assertNotNull(error);
        assertEquals(3, error[ETH + 34], "destination unreachable");
        assertEquals(13, error[ETH + 35], "administratively prohibited");
        assertEquals(GW1, ipInt(error, 12));
        assertEquals(1, drops(a, "isolated"));
    }

    /** The router's trace steps, written as records and formatted after the frame, read as they always have. */
    @Test
    void routingDecisionsAreTracedInWords() {
        assertEquals(
                List.of(
                        new PacketTrace.Step("route", "10.0.1.2 is in network small: networks are isolated"),
                        new PacketTrace.Step(
                                DropReason.ISOLATED.stage().label(),
                                "dropped: isolated (" + DropReason.ISOLATED.description() + ")")),
                routeSteps(trace(a, ipv4(GW1_MAC, A_MAC, A, X, 64, 17, true, udpDatagram(4000, 80, new byte[20])))));
        final PacketTrace out =
                trace(a, ipv4(GW1_MAC, A_MAC, A, OUTSIDE, 64, 17, true, udpDatagram(4000, 80, new byte[20])));
        assertEquals(
                List.of(new PacketTrace.Step("route", "192.0.2.7 is beyond the networks: to the host link")),
                routeSteps(out));
        assertEquals("routed to the host link", out.verdict());
        assertEquals(
                List.of(
                        new PacketTrace.Step("route", "192.0.2.7 is beyond the networks: to the host link"),
                        new PacketTrace.Step("route", "TTL expires here"),
                        new PacketTrace.Step(
                                DropReason.TTL_EXCEEDED.stage().label(),
                                "dropped: ttl-exceeded (" + DropReason.TTL_EXCEEDED.description() + ")")),
                routeSteps(trace(a, ipv4(GW1_MAC, A_MAC, A, OUTSIDE, 1, 17, false, udpDatagram(1, 2, new byte[12])))));
        final PacketTrace in = trace(
                host, ipv4(ROUTER_MAC, HOST_MAC, OUTSIDE, X, 64, 17, true, udpDatagram(53, 4000, new byte[1400])));
        assertEquals(
                List.of(
                        new PacketTrace.Step("route", "from the host to 10.0.1.2 in network small"),
                        new PacketTrace.Step("route", "1428 bytes with DF set, next hop MTU 1280")),
                routeSteps(in).subList(0, 2));
    }

    PacketTrace trace(MemoryPort port, byte[] frame) {
        final int slot = call(dp.portStats()).stream()
                .filter(p -> p.name().equals(port.name()))
                .findFirst()
                .orElseThrow()
                .slot();
        return call(dp.traceSynthetic(slot, Arrays.copyOfRange(frame, ETH, frame.length)));
    }

    static List<PacketTrace.Step> routeSteps(PacketTrace trace) {
        return trace.steps().stream()
                .filter(s -> s.stage().equals("route") || s.detail().startsWith("dropped: "))
                .toList();
    }

    @Test
    void ttlExpiringAtTheGatewayGetsTimeExceededQuotingThePacket() {
        final byte[] probe = ipv4(GW1_MAC, A_MAC, A, OUTSIDE, 1, 17, false, udpDatagram(33434, 33434, new byte[12]));
        a.inject(probe);
        cycle();
        assertNull(host.pollTransmitted());
        final byte[] error = a.pollTransmitted();
        assertNotNull(error);
        assertEquals(11, error[ETH + 34], "time exceeded");
        assertEquals(GW1, ipInt(error, 12), "from the gateway: traceroute's first hop");
        final byte[] quotedHeader = Arrays.copyOfRange(error, ETH + 42, ETH + 62);
        assertArrayEquals(Arrays.copyOfRange(probe, ETH + 14, ETH + 34), quotedHeader);
        assertEquals(0, InternetChecksum.compute(new UnsafeBuffer(error), ETH + 34, error.length - ETH - 34));
        assertEquals(1, drops(a, "ttl-exceeded"));
    }

    @Test
    void tooBigWithDfGetsFragmentationNeededWithTheNextHopMtu() {
        host.inject(ipv4(ROUTER_MAC, HOST_MAC, OUTSIDE, X, 64, 17, true, udpDatagram(53, 4000, new byte[1400])));
        cycle();
        assertNull(x.pollTransmitted());
        final byte[] error = host.pollTransmitted();
        assertNotNull(error);
        assertEquals(3, error[ETH + 34]);
        assertEquals(4, error[ETH + 35], "fragmentation needed");
        assertEquals(1280, ByteBuffer.wrap(error).getShort(ETH + 34 + 6), "next-hop MTU");
        assertEquals(ROUTER, ipInt(error, 12), "errors to the host come from the router's link address");
    }

    @Test
    void tooBigWithoutDfIsFragmented() {
        final byte[] payload = new byte[2000];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 7);
        }
        host.inject(ipv4(ROUTER_MAC, HOST_MAC, OUTSIDE, X, 64, 17, false, udpDatagram(53, 4000, payload)));
        cycle();
        final byte[] first = x.pollTransmitted();
        final byte[] second = x.pollTransmitted();
        assertNotNull(first);
        assertNotNull(second);
        assertNull(x.pollTransmitted());
        assertTrue(ipShort(first, 2) <= 1280);
        assertEquals(0x2000, ipShort(first, 6), "MF, offset 0");
        final int firstData = ipShort(first, 2) - 20;
        assertEquals(firstData / 8, ipShort(second, 6), "no MF, offset after the first");
        assertEquals(2008, firstData + ipShort(second, 2) - 20);
        assertIpChecksumValid(first);
        assertIpChecksumValid(second);
        final byte[] joined = new byte[2008];
        System.arraycopy(first, ETH + 34, joined, 0, firstData);
        System.arraycopy(second, ETH + 34, joined, firstData, 2008 - firstData);
        assertArrayEquals(udpDatagram(53, 4000, payload), joined);
    }

    @Test
    void theGatewayServiceAnswersAtOnceAndLater() {
        final GatewayReplies replies = dp.gatewayReplies();
        call(dp.gatewayService(new GatewayDatagramService() {
            @Override
            public int port() {
                return 53;
            }

            @Override
            public int handle(
                    int networkId,
                    int clientIp,
                    int clientPort,
                    MutableDirectBuffer buffer,
                    int offset,
                    int length,
                    int capacity,
                    long nowNanos) {
                if (buffer.getByte(offset) == 'n') {
                    buffer.putStringWithoutLengthAscii(offset, "now:" + networkId);
                    return 5;
                }
                final UnsafeBuffer later = new UnsafeBuffer("later".getBytes());
                assertTrue(replies.send(networkId, clientIp, clientPort, 53, later, 0, later.capacity()));
                return DEFERRED;
            }
        }));
        a.inject(ipv4(GW1_MAC, A_MAC, A, GW1, 64, 17, false, udpDatagram(5555, 53, "now?".getBytes())));
        cycle();
        final byte[] now = a.pollTransmitted();
        assertNotNull(now);
        assertEquals("now:1", new String(now, ETH + 42, 5));
        assertEquals(5555, ByteBuffer.wrap(now).getShort(ETH + 36) & 0xFFFF);
        assertEquals(
                0,
                InternetChecksum.fold(InternetChecksum.partialSum(
                                new UnsafeBuffer(now), ETH + 34, 13, InternetChecksum.pseudoHeaderIpv4(GW1, A, 17, 13)))
                        ^ 0xFFFF,
                "UDP checksum");

        a.inject(ipv4(GW1_MAC, A_MAC, A, GW1, 64, 17, false, udpDatagram(5556, 53, "later?".getBytes())));
        cycle();
        final byte[] later = a.pollTransmitted();
        assertNotNull(later, "the deferred answer is framed and sent once the ports' batch is done");
        assertEquals("later", new String(later, ETH + 42, 5));
        assertEquals(GW1, ipInt(later, 12));
        assertEquals(5556, ByteBuffer.wrap(later).getShort(ETH + 36) & 0xFFFF);
    }

    @Test
    void anInternalNetworkHasNoWayOut() {
        call(dp.addNetwork(new NetworkSpec(
                3, "vault", ip("10.0.2.1"), mac("02:4a:0a:00:02:01"), 24, 1500, true, EtherTypePolicy.IP_ONLY)));
        final MemoryPort v = new MemoryPort("v", 1500, true, true);
        call(dp.plug(3, v, mac("02:4a:0a:00:02:02"), ip("10.0.2.2"), PortSecurity.ENFORCE));
        v.inject(ipv4(
                mac("02:4a:0a:00:02:01"),
                mac("02:4a:0a:00:02:02"),
                ip("10.0.2.2"),
                OUTSIDE,
                64,
                17,
                true,
                udpDatagram(1, 2, new byte[8])));
        cycle();
        assertNull(host.pollTransmitted());
        assertEquals(3, v.pollTransmitted()[ETH + 34], "told: destination unreachable");
        assertEquals(1, drops(v, "internal-network"));
        host.inject(ipv4(ROUTER_MAC, HOST_MAC, OUTSIDE, ip("10.0.2.2"), 64, 17, true, udpDatagram(1, 2, new byte[8])));
        cycle();
        assertNull(v.pollTransmitted());
    }

    @Test
    void overlappingRoutedSubnetsAreRefused() {
        assertThrows(
                IllegalStateException.class,
                () -> call(dp.addNetwork(new NetworkSpec(
                        4,
                        "clash",
                        ip("10.0.0.129"),
                        mac("02:4a:0a:00:00:81"),
                        25,
                        1500,
                        false,
                        EtherTypePolicy.IP_ONLY))));
    }

    @Test
    void aTranslationHookSeesRoutedPacketsAndCanLetAFlowCrossNetworks() {
        call(dp.routingHook(new RoutingHook() {
            @Override
            public int beforeRouting(
                    int fromNetwork,
                    MutableDirectBuffer buffer,
                    int ipOffset,
                    int ipLength,
                    long nowNanos,
                    ConnectionSlot slot) {
                return fromNetwork == 1 ? ACCEPT_TRACKED : ACCEPT;
            }

            @Override
            public int afterRouting(
                    int fromNetwork,
                    int toNetwork,
                    MutableDirectBuffer buffer,
                    int ipOffset,
                    int ipLength,
                    long nowNanos,
                    ConnectionSlot slot) {
                return toNetwork == RoutingHook.HOST_LINK ? DROP : ACCEPT;
            }
        }));
        a.inject(ipv4(GW1_MAC, A_MAC, A, X, 64, 17, true, udpDatagram(4000, 80, new byte[20])));
        cycle();
        assertNotNull(x.pollTransmitted(), "a tracked flow crosses networks");
        a.inject(ipv4(GW1_MAC, A_MAC, A, OUTSIDE, 64, 17, true, udpDatagram(4000, 80, new byte[20])));
        cycle();
        assertNull(host.pollTransmitted());
        assertEquals(1, drops(a, "translation-refused"));
    }

    /**
     * What the hook notes before the route lookup reaches its call after for the same packet only:
     * a packet the router drops in between (TTL) takes its note with it.
     */
    @Test
    void aHooksNoteTravelsWithItsPacketOnly() {
        final List<Long> seenAfter = new ArrayList<>();
        call(dp.routingHook(new RoutingHook() {
            @Override
            public int beforeRouting(
                    int fromNetwork,
                    MutableDirectBuffer buffer,
                    int ipOffset,
                    int ipLength,
                    long nowNanos,
                    ConnectionSlot slot) {
                assertEquals(ConnectionSlot.EMPTY, slot.get(), "each packet comes in with an empty slot");
                slot.set(buffer.getShort(ipOffset + 20, ByteOrder.BIG_ENDIAN) & 0xFFFF);
                return ACCEPT;
            }

            @Override
            public int afterRouting(
                    int fromNetwork,
                    int toNetwork,
                    MutableDirectBuffer buffer,
                    int ipOffset,
                    int ipLength,
                    long nowNanos,
                    ConnectionSlot slot) {
                seenAfter.add(slot.get());
                return ACCEPT;
            }
        }));
        a.inject(ipv4(GW1_MAC, A_MAC, A, OUTSIDE, 1, 17, false, udpDatagram(33434, 33434, new byte[12])));
        a.inject(ipv4(GW1_MAC, A_MAC, A, OUTSIDE, 64, 17, true, udpDatagram(4001, 80, new byte[20])));
        cycle();
        assertEquals(1, drops(a, "ttl-exceeded"));
        assertEquals(List.of(4001L), seenAfter, "the note of the packet routed, not of the one dropped");
    }

    /**
     * With a hook, a port's frames are read in bursts and the hook is shown, before any is routed,
     * exactly those the router will hand it (IPv4 to the gateway's MAC), in order; switched frames
     * are not shown, and every frame is still processed once, in the order it came.
     */
    @Test
    void aHookIsShownEachBurstsRoutedFramesBeforeTheyAreRouted() {
        final List<String> events = new ArrayList<>();
        call(dp.routingHook(new RoutingHook() {
            @Override
            public int beforeRouting(
                    int fromNetwork,
                    MutableDirectBuffer buffer,
                    int ipOffset,
                    int ipLength,
                    long nowNanos,
                    ConnectionSlot slot) {
                events.add("route " + (buffer.getShort(ipOffset + 20, ByteOrder.BIG_ENDIAN) & 0xFFFF));
                return ACCEPT;
            }

            @Override
            public int afterRouting(
                    int fromNetwork,
                    int toNetwork,
                    MutableDirectBuffer buffer,
                    int ipOffset,
                    int ipLength,
                    long nowNanos,
                    ConnectionSlot slot) {
                return ACCEPT;
            }

            @Override
            public void prefetch(int fromNetwork, DirectBuffer[] buffers, int ipOffset, int[] ipLengths, int count) {
                final StringBuilder shown = new StringBuilder("prefetch from " + fromNetwork + ":");
                for (int i = 0; i < count; i++) {
                    shown.append(' ').append(buffers[i].getShort(ipOffset + 20, ByteOrder.BIG_ENDIAN) & 0xFFFF);
                    assertEquals(
                            buffers[i].getShort(ipOffset + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF,
                            ipLengths[i],
                            "the IP length of each");
                }
                events.add(shown.toString());
            }
        }));
        final int burst = SwitchAgent.PREFETCH_BURST;
        for (int i = 0; i < burst + 4; i++) {
            if (i % 5 == 4) { // switched to B, not routed
                a.inject(ipv4(B_MAC, A_MAC, A, B, 64, 17, true, udpDatagram(1000 + i, 80, new byte[20])));
            } else {
                a.inject(ipv4(GW1_MAC, A_MAC, A, OUTSIDE, 64, 17, true, udpDatagram(1000 + i, 80, new byte[20])));
            }
        }
        cycle();
        final List<String> expected = new ArrayList<>();
        StringBuilder shown = new StringBuilder("prefetch from 1:");
        final List<String> routes = new ArrayList<>();
        for (int i = 0; i < burst + 4; i++) {
            if (i == burst) {
                expected.add(shown.toString());
                expected.addAll(routes);
                routes.clear();
                shown = new StringBuilder("prefetch from 1:");
            }
            if (i % 5 != 4) {
                shown.append(' ').append(1000 + i);
                routes.add("route " + (1000 + i));
            }
        }
        expected.add(shown.toString());
        expected.addAll(routes);
        assertEquals(expected, events);
        int switched = 0;
        while (b.pollTransmitted() != null) {
            switched++;
        }
        assertEquals(4, switched);
        int routed = 0;
        while (host.pollTransmitted() != null) {
            routed++;
        }
        assertEquals(burst, routed);

        events.clear();
        host.inject(ipv4(ROUTER_MAC, HOST_MAC, OUTSIDE, A, 64, 17, true, udpDatagram(53, 2000, new byte[8])));
        cycle();
        assertEquals(
                List.of("prefetch from " + RoutingHook.HOST_LINK + ": 53"),
                events.subList(0, 1),
                "from the host link: shown under HOST_LINK");
    }

    /**
     * Routing, and refusing with an ICMP error, allocate nothing per packet: measured with the
     * thread's allocation counter over many duty cycles after a warm-up.
     */
    @Test
    void routingAndRefusingAllocateNothingPerPacket() {
        final Dataplane quiet = new Dataplane(
                new SwitchContext().clock(clock).captureRingBytes(0),
                ReadySet.NONE,
                (slot, name) -> {},
                Throwable::printStackTrace);
        quiet.addNetwork(new NetworkSpec(1, "front", GW1, GW1_MAC, 24, 1500, false, EtherTypePolicy.IP_ONLY));
        quiet.addNetwork(new NetworkSpec(2, "small", GW2, GW2_MAC, 24, 1280, false, EtherTypePolicy.IP_ONLY));
        final MemoryPort out = new MemoryPort("out", 1500, true, false);
        final MemoryPort isolatedSender = new MemoryPort("iso", 1500, true, false);
        final MemoryPort routedSender = new MemoryPort("routed", 1500, true, false);
        quiet.plug(1, routedSender, A_MAC, A, PortSecurity.ENFORCE);
        quiet.plug(2, isolatedSender, X_MAC, X, PortSecurity.ENFORCE);
        quiet.plugHostLink(out, new HostLinkSpec(ROUTER_MAC, ROUTER, HOST_MAC));
        routedSender.repeat(ipv4(GW1_MAC, A_MAC, A, OUTSIDE, 64, 17, true, udpDatagram(4000, 80, new byte[64])));
        isolatedSender.repeat(ipv4(GW2_MAC, X_MAC, X, A, 64, 17, true, udpDatagram(4000, 80, new byte[64])));
        final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) {
            quiet.runDutyCycle(); // warm-up: commands applied, code compiled
        }
        final long packetsBefore = out.transmitCount() + isolatedSender.transmitCount();
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 20_000; i++) {
            quiet.runDutyCycle();
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        final long packets = out.transmitCount() + isolatedSender.transmitCount() - packetsBefore;
        assertTrue(packets > 100_000, "packets routed and refused: " + packets);
        assertTrue(allocated < packets / 100, allocated + " bytes allocated for " + packets + " packets");
        quiet.close();
    }

    @Test
    void badHeadersAreDroppedAndCounted() {
        a.inject(FrameBuilder.ipv4Frame(GW1_MAC, A_MAC, A, OUTSIDE, 17, udpDatagram(1, 2, new byte[8]))
                .headerChecksumXor(0x5500)
                .build());
        a.inject(FrameBuilder.ipv4Frame(GW1_MAC, A_MAC, A, OUTSIDE, 17, udpDatagram(1, 2, new byte[8]))
                .totalLength(10) // below the header length
                .build());
        cycle();
        assertNull(host.pollTransmitted());
        assertEquals(1, drops(a, "bad-ip-checksum"));
        assertEquals(1, drops(a, "bad-ip-header"));
    }
}
