package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.capture.PacketTrace;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.testsupport.FrameBuilder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Proxy-NDP, IPv6 port security and the IPv6 gateway on in-memory ports: two dual-stack networks
 * (fd00:20::/64 with three endpoints, fd00:21::/64 with MTU 1280) and a host link. What real
 * clients see of the same is in Ipv6IT; this pins the bytes.
 */
class Ipv6SwitchingTest {
    static final long NET_A = 0xFD00_0020_0000_0000L;
    static final long NET_B = 0xFD00_0021_0000_0000L;
    static final long GW_MAC_A = MacAddress.parse("02:4a:0a:00:00:01");
    static final long GW_MAC_B = MacAddress.parse("02:4a:0a:00:01:01");
    static final long ROUTER_MAC = MacAddress.parse("02:4a:fe:2a:00:02");
    static final long HOST_MAC = MacAddress.parse("02:4a:fe:2a:00:01");
    /** An address beyond every network: routed to the host link. */
    static final long OUTSIDE = 0xFD99_0000_0000_0000L;

    static final long[] MACS = {
        MacAddress.parse("02:4a:0a:00:00:02"), MacAddress.parse("02:4a:0a:00:00:03"),
        MacAddress.parse("02:4a:0a:00:00:04"), MacAddress.parse("02:4a:0a:00:01:02")
    };

    Dataplane dp;
    MemoryPort[] ports;
    MemoryPort host;

    @BeforeEach
    void setUp() {
        dp = new Dataplane(
                new SwitchContext().clock(new DataplaneTest.ManualClock()).captureRingBytes(0),
                ReadySet.NONE,
                (slot, name) -> {},
                e -> {
                    throw new AssertionError(e);
                });
        call(dp.addNetwork(new NetworkSpec(1, "a", 0x0A00_0001, GW_MAC_A, 24, 1500, false, EtherTypePolicy.IP_ONLY)));
        call(dp.addNetwork(new NetworkSpec(2, "b", 0x0A00_0101, GW_MAC_B, 24, 1280, false, EtherTypePolicy.IP_ONLY)));
        call(dp.addIpv6(1, new Ipv6Gateway(NET_A, 1, 64)));
        call(dp.addIpv6(2, new Ipv6Gateway(NET_B, 1, 64)));
        ports = new MemoryPort[4];
        for (int i = 0; i < 4; i++) {
            ports[i] = new MemoryPort("p" + i, i == 3 ? 1280 : 1500, false, true);
            final int network = i == 3 ? 2 : 1;
            final int slot = call(
                    dp.plug(network, ports[i], MACS[i], 0x0A00_0002 + i + (network - 1) * 256, PortSecurity.ENFORCE));
            call(dp.assignIpv6(slot, network == 1 ? NET_A : NET_B, 2 + (i == 3 ? 0 : i)));
        }
        host = new MemoryPort("host", 1500, false, true);
        call(dp.plugHostLink(host, new HostLinkSpec(ROUTER_MAC, 0xA9FE_2A02, HOST_MAC)));
    }

    @AfterEach
    void tearDown() {
        dp.close();
    }

    @Test
    void aSolicitationForAnEndpointIsAnsweredOutOfTheAskingPortAndNeverFloods() {
        ports[0].inject(FrameBuilder.neighborSolicitation(MACS[0], NET_A, 2, NET_A, 3));
        dp.runDutyCycle();
        final byte[] answer = ports[0].pollTransmitted();
        assertNotNull(answer, "answered");
        assertNull(ports[1].pollTransmitted(), "the owner never sees the solicitation");
        assertNull(ports[2].pollTransmitted(), "nor does a third endpoint");
        final UnsafeBuffer b = new UnsafeBuffer(answer);
        assertEquals(MACS[0], MacAddress.read(b, FrameBuilder.ETH), "to the asker");
        assertEquals(MACS[1], MacAddress.read(b, FrameBuilder.ETH + 6), "from the owner's MAC");
        assertEquals(136, b.getByte(FrameBuilder.IPV6_L4) & 0xFF, "a neighbor advertisement");
        assertEquals(0x60, b.getByte(FrameBuilder.IPV6_L4 + 4) & 0xFF, "solicited and override, not router");
        assertEquals(3, b.getLong(FrameBuilder.IPV6_L4 + 16, ByteOrder.BIG_ENDIAN), "for the target");
        assertEquals(2, b.getByte(FrameBuilder.IPV6_L4 + 24), "target link-layer address option");
        assertEquals(MACS[1], MacAddress.read(b, FrameBuilder.IPV6_L4 + 26));
        assertEquals(255, b.getByte(FrameBuilder.L3 + 7) & 0xFF, "hop limit 255");
        assertEquals(3, b.getLong(FrameBuilder.L3 + 16, ByteOrder.BIG_ENDIAN), "from the target address");
        assertEquals(2, b.getLong(FrameBuilder.L3 + 32, ByteOrder.BIG_ENDIAN), "to the asker's address");
        assertChecksumValid(b, answer.length);
    }

    @Test
    void aSolicitationForTheGatewayIsAnsweredWithTheRouterFlag() {
        ports[2].inject(FrameBuilder.neighborSolicitation(MACS[2], NET_A, 4, NET_A, 1));
        dp.runDutyCycle();
        final UnsafeBuffer b = new UnsafeBuffer(ports[2].pollTransmitted());
        assertEquals(GW_MAC_A, MacAddress.read(b, FrameBuilder.IPV6_L4 + 26));
        assertEquals(0xE0, b.getByte(FrameBuilder.IPV6_L4 + 4) & 0xFF, "router, solicited, override");
    }

    @Test
    void unknownTargetsAndDuplicateAddressDetectionFloodAsBefore() {
        ports[0].inject(FrameBuilder.neighborSolicitation(MACS[0], NET_A, 2, NET_A, 0x99));
        ports[0].inject(FrameBuilder.neighborSolicitation(MACS[0], 0, 0, NET_A, 3));
        dp.runDutyCycle();
        assertNull(ports[0].pollTransmitted(), "not answered");
        assertNotNull(ports[1].pollTransmitted(), "unknown target: flooded");
        assertNotNull(ports[1].pollTransmitted(), "DAD: flooded, so the owner can defend its address");
    }

    @Test
    void portSecurityPassesTheEndpointsOwnAddressAndDropsAnother() {
        ports[0].inject(FrameBuilder.echoRequestV6(MACS[1], MACS[0], NET_A, 2, NET_A, 3, 64, 8));
        ports[0].inject(FrameBuilder.echoRequestV6(MACS[1], MACS[0], NET_A, 3, NET_A, 3, 64, 8));
        dp.runDutyCycle();
        assertEquals(1, stats("p0").drops().getOrDefault("spoofed-source-ip", 0L));
    }

    @Test
    void theGatewayAnswersPing6() {
        ports[0].inject(FrameBuilder.echoRequestV6(GW_MAC_A, MACS[0], NET_A, 2, NET_A, 1, 64, 16));
        dp.runDutyCycle();
        final byte[] reply = ports[0].pollTransmitted();
        final UnsafeBuffer b = new UnsafeBuffer(reply);
        assertEquals(129, b.getByte(FrameBuilder.IPV6_L4) & 0xFF);
        assertEquals(GW_MAC_A, MacAddress.read(b, FrameBuilder.ETH + 6));
        assertEquals(1, b.getLong(FrameBuilder.L3 + 16, ByteOrder.BIG_ENDIAN), "from the gateway");
        assertChecksumValid(b, reply.length);
    }

    @Test
    void anotherNetworkIsAdministrativelyProhibited() {
        ports[0].inject(FrameBuilder.echoRequestV6(GW_MAC_A, MACS[0], NET_A, 2, NET_B, 2, 64, 16));
        dp.runDutyCycle();
        final UnsafeBuffer b = new UnsafeBuffer(ports[0].pollTransmitted());
        assertEquals(1, b.getByte(FrameBuilder.IPV6_L4) & 0xFF, "destination unreachable");
        assertEquals(1, b.getByte(FrameBuilder.IPV6_L4 + 1) & 0xFF, "administratively prohibited");
        assertNull(ports[3].pollTransmitted());
        assertEquals(1, stats("p0").drops().getOrDefault("isolated", 0L));
    }

    @Test
    void theHostReachesAnEndpointWithTheHopLimitDecremented() {
        host.inject(FrameBuilder.echoRequestV6(ROUTER_MAC, HOST_MAC, NET_A, 1, NET_B, 2, 64, 16));
        dp.runDutyCycle();
        final UnsafeBuffer b = new UnsafeBuffer(ports[3].pollTransmitted());
        assertEquals(MACS[3], MacAddress.read(b, FrameBuilder.ETH));
        assertEquals(GW_MAC_B, MacAddress.read(b, FrameBuilder.ETH + 6));
        assertEquals(63, b.getByte(FrameBuilder.L3 + 7) & 0xFF);
    }

    @Test
    void tooBigForTheNextHopGetsPacketTooBigWithItsMtu() {
        host.inject(FrameBuilder.echoRequestV6(ROUTER_MAC, HOST_MAC, NET_A, 1, NET_B, 2, 64, 1400));
        dp.runDutyCycle();
        assertNull(ports[3].pollTransmitted());
        final byte[] error = host.pollTransmitted();
        final UnsafeBuffer b = new UnsafeBuffer(error);
        assertEquals(2, b.getByte(FrameBuilder.IPV6_L4) & 0xFF, "packet too big");
        assertEquals(1280, b.getInt(FrameBuilder.IPV6_L4 + 4, ByteOrder.BIG_ENDIAN));
        assertEquals(
                0xFE80_0000_0000_0000L,
                b.getLong(FrameBuilder.L3 + 8, ByteOrder.BIG_ENDIAN),
                "from the router's link-local");
        assertEquals(1280, error.length - FrameBuilder.L3, "quotes up to the minimum MTU");
        assertChecksumValid(b, error.length);
    }

    @Test
    void hopLimitOneExpiresWithTimeExceeded() {
        ports[0].inject(FrameBuilder.echoRequestV6(GW_MAC_A, MACS[0], NET_A, 2, 0xFD99_0000_0000_0000L, 1, 1, 16));
        dp.runDutyCycle();
        final UnsafeBuffer b = new UnsafeBuffer(ports[0].pollTransmitted());
        assertEquals(3, b.getByte(FrameBuilder.IPV6_L4) & 0xFF);
        assertNull(host.pollTransmitted());
    }

    /**
     * Each IPv6 stage writes trace records, formatted after the frame: the route decision with its
     * addresses and networks, the hop limit, the MTU, what the gateway and router answer.
     */
    @Test
    void routingDecisionsAreTracedInWords() {
        final PacketTrace isolated =
                trace("p0", FrameBuilder.echoRequestV6(GW_MAC_A, MACS[0], NET_A, 2, NET_B, 2, 64, 8));
        assertEquals(
                List.of(
                        new PacketTrace.Step("route", "fd00:21::2 is in network b: networks are isolated"),
                        new PacketTrace.Step(
                                DropReason.ISOLATED.stage().label(),
                                "dropped: isolated (" + DropReason.ISOLATED.description() + ")")),
                RouterTest.routeSteps(isolated));
        assertEquals("dropped at p0: isolated", isolated.verdict());

        final PacketTrace out = trace("p0", FrameBuilder.echoRequestV6(GW_MAC_A, MACS[0], NET_A, 2, OUTSIDE, 1, 64, 8));
        assertEquals(
                List.of(new PacketTrace.Step("route", "fd99::1 is beyond the networks: to the host link")),
                RouterTest.routeSteps(out));
        assertEquals("routed to the host link", out.verdict());

        assertEquals(
                List.of(
                        new PacketTrace.Step("route", "fd99::1 is beyond the networks: to the host link"),
                        new PacketTrace.Step("route", "hop limit 1: expires here"),
                        new PacketTrace.Step(
                                DropReason.TTL_EXCEEDED.stage().label(),
                                "dropped: ttl-exceeded (" + DropReason.TTL_EXCEEDED.description() + ")")),
                RouterTest.routeSteps(
                        trace("p0", FrameBuilder.echoRequestV6(GW_MAC_A, MACS[0], NET_A, 2, OUTSIDE, 1, 1, 8))));

        final PacketTrace in =
                trace("host", FrameBuilder.echoRequestV6(ROUTER_MAC, HOST_MAC, OUTSIDE, 1, NET_B, 2, 64, 1400));
        assertEquals(
                List.of(
                        new PacketTrace.Step("route", "from the host to fd00:21::2 in network b"),
                        new PacketTrace.Step("route", "1448 bytes, next hop MTU 1280: packet too big")),
                RouterTest.routeSteps(in).subList(0, 2));
        assertEquals("dropped at host: fragmentation-needed", in.verdict());

        assertEquals(
                List.of(
                        new PacketTrace.Step("route", "from the host to fd00:21::9 in network b"),
                        new PacketTrace.Step("route", "fd00:21::9 is no endpoint of b")),
                RouterTest.routeSteps(trace(
                                "host", FrameBuilder.echoRequestV6(ROUTER_MAC, HOST_MAC, OUTSIDE, 1, NET_B, 9, 64, 8)))
                        .subList(0, 2));
    }

    @Test
    void whatTheGatewayAndTheRouterAnswerIsTraced() {
        final PacketTrace ping = trace("p0", FrameBuilder.echoRequestV6(GW_MAC_A, MACS[0], NET_A, 2, NET_A, 1, 64, 8));
        assertTrue(
                ping.steps()
                        .contains(
                                new PacketTrace.Step("gateway", "echo request to fd00:20::1: answered by the switch")),
                ping.steps().toString());
        assertEquals("answered (ICMPv6 echo reply) out of p0", ping.verdict());

        final long routerLinkLocal = Ipv6Address.interfaceId(ROUTER_MAC);
        final PacketTrace solicitation = trace(
                "host",
                FrameBuilder.neighborSolicitation(
                        HOST_MAC, Ipv6Address.LINK_LOCAL_HIGH, 1, Ipv6Address.LINK_LOCAL_HIGH, routerLinkLocal));
        assertEquals(
                List.of(new PacketTrace.Step(
                        "ndp-proxy", "who-has fe80::4a:feff:fe2a:2 from the host: the router's link-local address")),
                solicitation.steps().subList(1, 2));
        assertEquals("answered (proxy-NDP) out of host", solicitation.verdict());

        final PacketTrace closed = trace(
                "host",
                FrameBuilder.ipv6(
                        ROUTER_MAC,
                        HOST_MAC,
                        OUTSIDE,
                        1,
                        Ipv6Address.LINK_LOCAL_HIGH,
                        routerLinkLocal,
                        17,
                        64,
                        new byte[8]));
        assertEquals(
                List.of(new PacketTrace.Step("route", "the router's link-local address answers ping6 only")),
                RouterTest.routeSteps(closed).subList(0, 1));
        assertEquals("dropped at host: gateway-closed", closed.verdict());
    }

    @Test
    void aRealFrameRoutedToTheHostLinkIsTracedToItsVerdict() {
        final CompletableFuture<PacketTrace> pending =
                CaptureAndTraceTest.armed(dp, stats("p0").slot(), (buffer, offset, length) -> true);
        ports[0].inject(FrameBuilder.echoRequestV6(GW_MAC_A, MACS[0], NET_A, 2, OUTSIDE, 1, 64, 8));
        dp.runDutyCycle();
        final PacketTrace trace = Dataplane.await(pending);
        assertEquals(
                List.of(new PacketTrace.Step("route", "fd99::1 is beyond the networks: to the host link")),
                RouterTest.routeSteps(trace));
        assertEquals("routed to the host link (host)", trace.verdict());
        assertNotNull(host.pollTransmitted(), "and really routed");
    }

    /**
     * Routing IPv6 and refusing it with an ICMPv6 error allocate nothing per packet, tracing off:
     * measured with the thread's allocation counter over many duty cycles after a warm-up.
     */
    @Test
    void routingAndRefusingAllocateNothingPerPacket() {
        final Dataplane quiet = new Dataplane(
                new SwitchContext().clock(new DataplaneTest.ManualClock()).captureRingBytes(0),
                ReadySet.NONE,
                (slot, name) -> {},
                e -> {
                    throw new AssertionError(e);
                });
        quiet.addNetwork(new NetworkSpec(1, "a", 0x0A00_0001, GW_MAC_A, 24, 1500, false, EtherTypePolicy.IP_ONLY));
        quiet.addNetwork(new NetworkSpec(2, "b", 0x0A00_0101, GW_MAC_B, 24, 1280, false, EtherTypePolicy.IP_ONLY));
        quiet.addIpv6(1, new Ipv6Gateway(NET_A, 1, 64));
        quiet.addIpv6(2, new Ipv6Gateway(NET_B, 1, 64));
        final MemoryPort routedSender = new MemoryPort("routed", 1500, false, false);
        final MemoryPort isolatedSender = new MemoryPort("isolated", 1500, false, false);
        final MemoryPort out = new MemoryPort("out", 1500, false, false);
        final CompletableFuture<Integer> routedSlot =
                quiet.plug(1, routedSender, MACS[0], 0x0A00_0002, PortSecurity.ENFORCE);
        final CompletableFuture<Integer> isolatedSlot =
                quiet.plug(1, isolatedSender, MACS[1], 0x0A00_0003, PortSecurity.ENFORCE);
        quiet.plugHostLink(out, new HostLinkSpec(ROUTER_MAC, 0xA9FE_2A02, HOST_MAC));
        quiet.runDutyCycle();
        quiet.assignIpv6(Dataplane.await(routedSlot), NET_A, 2);
        quiet.assignIpv6(Dataplane.await(isolatedSlot), NET_A, 3);
        routedSender.repeat(FrameBuilder.echoRequestV6(GW_MAC_A, MACS[0], NET_A, 2, OUTSIDE, 1, 64, 64));
        isolatedSender.repeat(FrameBuilder.echoRequestV6(GW_MAC_A, MACS[1], NET_A, 3, NET_B, 2, 64, 64));
        final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        try {
            for (int i = 0; i < 20_000; i++) {
                quiet.runDutyCycle(); // warm-up: commands applied, code compiled
            }
            final long routedBefore = out.transmitCount();
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20_000; i++) {
                quiet.runDutyCycle();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            final long routed = out.transmitCount() - routedBefore;
            assertTrue(routed > 20_000, "packets routed: " + routed);
            assertTrue(allocated < routed / 100, allocated + " bytes allocated for " + routed + " packets routed");
            assertTrue(drops(quiet, "isolated") > 20_000, "and as many refused");
        } finally {
            quiet.close();
        }
    }

    static long drops(Dataplane dp, String reason) {
        final CompletableFuture<List<PortStats>> f = dp.portStats();
        dp.runDutyCycle();
        return Dataplane.await(f).stream()
                .mapToLong(s -> s.drops().getOrDefault(reason, 0L))
                .sum();
    }

    PacketTrace trace(String port, byte[] frame) {
        return call(dp.traceSynthetic(stats(port).slot(), Arrays.copyOfRange(frame, FrameBuilder.ETH, frame.length)));
    }

    static void assertChecksumValid(UnsafeBuffer b, int frameLength) {
        final int length = frameLength - FrameBuilder.IPV6_L4;
        final int sum = InternetChecksum.partialSum(
                b,
                FrameBuilder.IPV6_L4,
                length,
                InternetChecksum.pseudoHeaderIpv6(b, FrameBuilder.L3 + 8, FrameBuilder.L3 + 24, 58, length));
        assertEquals(0xFFFF, InternetChecksum.fold(sum), "ICMPv6 checksum");
    }

    PortStats stats(String name) {
        final CompletableFuture<List<PortStats>> f = dp.portStats();
        dp.runDutyCycle();
        return Dataplane.await(f).stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    <T> T call(CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }
}
