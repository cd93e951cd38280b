package io.jvswitch.switching;

import static io.jvswitch.testsupport.FrameBuilder.ETH;
import static io.jvswitch.testsupport.FrameBuilder.arp;
import static io.jvswitch.testsupport.FrameBuilder.arpRequest;
import static io.jvswitch.testsupport.FrameBuilder.ethernet;
import static io.jvswitch.testsupport.FrameBuilder.ip;
import static io.jvswitch.testsupport.FrameBuilder.ipv4Shaped;
import static io.jvswitch.testsupport.FrameBuilder.mac;
import static io.jvswitch.testsupport.FrameBuilder.readMac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The switch pipeline end to end over in-memory ports, driven one duty cycle at a time. */
class DataplaneTest {
    static final long MAC_A = mac("02:4a:0a:00:00:02");
    static final long MAC_B = mac("02:4a:0a:00:00:03");
    static final long MAC_C = mac("02:4a:0a:00:00:04");
    static final long MAC_X = mac("02:4a:0a:01:00:02");
    static final long GW_MAC = mac("02:4a:0a:00:00:01");
    static final int IP_A = ip("10.0.0.2");
    static final int IP_B = ip("10.0.0.3");
    static final int IP_C = ip("10.0.0.4");
    static final int GW_IP = ip("10.0.0.1");

    final ManualClock clock = new ManualClock();
    final List<String> gone = new ArrayList<>();
    Dataplane dp;
    MemoryPort a;
    MemoryPort b;
    MemoryPort c;
    MemoryPort x;
    int slotA;
    int slotB;
    int slotC;
    int slotX;

    @BeforeEach
    void setUp() {
        dp = newDataplane(new SwitchContext().clock(clock).macsPerPortLimit(8).macTableLimit(16));
        call(dp.addNetwork(1, "front", GW_IP, GW_MAC, EtherTypePolicy.IP_ONLY));
        call(dp.addNetwork(2, "back", ip("10.0.1.1"), mac("02:4a:0a:00:01:01"), EtherTypePolicy.IP_ONLY));
        a = new MemoryPort("a", 1500, true, true);
        b = new MemoryPort("b", 1500, true, true);
        c = new MemoryPort("c", 1500, true, true);
        x = new MemoryPort("x", 1500, true, true);
        slotA = call(dp.plug(1, a, MAC_A, IP_A, PortSecurity.ALLOW_SPOOFING));
        slotB = call(dp.plug(1, b, MAC_B, IP_B, PortSecurity.ALLOW_SPOOFING));
        slotC = call(dp.plug(1, c, MAC_C, IP_C, PortSecurity.ALLOW_SPOOFING));
        slotX = call(dp.plug(2, x, MAC_X, ip("10.0.1.2"), PortSecurity.ALLOW_SPOOFING));
    }

    Dataplane newDataplane(SwitchContext ctx) {
        return new Dataplane(ctx, ReadySet.NONE, (slot, name) -> gone.add(name), Throwable::printStackTrace);
    }

    <T> T call(CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }

    void cycle() {
        dp.runDutyCycle();
    }

    PortStats stats(int slot) {
        return call(dp.portStats()).stream()
                .filter(s -> s.slot() == slot)
                .findFirst()
                .orElseThrow();
    }

    @Test
    void unknownUnicastFloodsWithinTheNetworkOnlyThenLearnedUnicastGoesToOnePort() {
        a.inject(ipv4Shaped(MAC_B, MAC_A));
        cycle();
        assertNotNull(b.pollTransmitted());
        assertNotNull(c.pollTransmitted(), "unknown unicast is flooded in the network");
        assertNull(x.pollTransmitted(), "never to another network");
        assertNull(a.pollTransmitted(), "never back out of the ingress port");

        b.inject(ipv4Shaped(MAC_A, MAC_B));
        cycle();
        assertNotNull(a.pollTransmitted());
        assertNull(c.pollTransmitted(), "A was learned: unicast, no flood");

        a.inject(ipv4Shaped(MAC_B, MAC_A));
        cycle();
        assertNotNull(b.pollTransmitted());
        assertNull(c.pollTransmitted());
        assertEquals(1, stats(slotA).get(PortCounter.FORWARDED));
        assertEquals(1, stats(slotA).get(PortCounter.FLOODED));
    }

    @Test
    void broadcastStaysInItsNetwork() {
        x.inject(ipv4Shaped(0xFFFF_FFFF_FFFFL, MAC_X));
        cycle();
        assertNull(a.pollTransmitted());
        assertNull(b.pollTransmitted());
        assertNull(c.pollTransmitted());
        assertEquals(1, stats(slotX).get(PortCounter.FLOODED));
    }

    @Test
    void proxyArpAnswersKnownAddressesWithoutFlooding() {
        a.inject(arpRequest(MAC_A, IP_A, IP_B));
        cycle();
        final byte[] reply = a.pollTransmitted();
        assertNotNull(reply, "the switch answers on the asking port");
        assertNull(b.pollTransmitted(), "the owner does not see the request");
        assertNull(c.pollTransmitted(), "nor does anyone else");
        assertEquals(MAC_A, readMac(reply, ETH), "to the asker");
        assertEquals(MAC_B, readMac(reply, ETH + 6), "from the owner");
        assertEquals(2, reply[ETH + 14 + 7], "an ARP reply");
        assertEquals(MAC_B, readMac(reply, ETH + 14 + 8), "sender hardware address is the owner");
        assertEquals(IP_B, ByteBuffer.wrap(reply).getInt(ETH + 14 + 14));
        assertEquals(IP_A, ByteBuffer.wrap(reply).getInt(ETH + 14 + 24));
        assertEquals(1, stats(slotA).get(PortCounter.ARP_ANSWERED));

        a.inject(arpRequest(MAC_A, IP_A, GW_IP));
        cycle();
        assertEquals(GW_MAC, readMac(a.pollTransmitted(), ETH + 6), "the gateway is answered too");
    }

    @Test
    void arpForUnknownAddressAndGratuitousArpAreFlooded() {
        a.inject(arpRequest(MAC_A, IP_A, ip("10.0.0.99")));
        a.inject(arpRequest(MAC_A, IP_A, IP_A));
        cycle();
        assertEquals(2, b.pendingTransmitted());
        assertEquals(2, c.pendingTransmitted());
        assertNull(a.pollTransmitted());
    }

    @Test
    void addressesOfAnotherNetworkAreNotAnswered() {
        x.inject(arpRequest(MAC_X, ip("10.0.1.2"), IP_A));
        cycle();
        assertNull(x.pollTransmitted(), "no answer: 10.0.0.2 is on another network");
        assertNull(a.pollTransmitted(), "and the request does not cross networks");
    }

    @Test
    void badFramesAreDroppedAndCountedAndForwardingContinues() {
        a.inject(new byte[ETH + 10]); // runt
        a.inject(ethernet(MAC_B, MAC_A, 0x0800, 1600)); // oversize for MTU 1500
        a.inject(ipv4Shaped(MAC_B, mac("01:00:5e:00:00:01"))); // multicast source
        a.inject(ipv4Shaped(MAC_B, 0)); // zero source
        a.inject(ethernet(0xFFFF_FFFF_FFFFL, MAC_A, 0x0806, 20)); // truncated ARP
        a.inject(arp(0xFFFF_FFFF_FFFFL, MAC_A, 7, MAC_A, IP_A, 0, IP_B)); // unknown operation
        a.inject(ethernet(0xFFFF_FFFF_FFFFL, MAC_A, 0x88CC, 46)); // LLDP: not IP
        a.inject(ipv4Shaped(GW_MAC, MAC_A)); // to the gateway, which does not route yet
        a.inject(ipv4Shaped(MAC_B, MAC_A)); // a good frame after all that
        cycle();
        assertNotNull(b.pollTransmitted(), "the good frame still goes through");
        assertNull(b.pollTransmitted(), "and nothing bad did");
        final PortStats s = stats(slotA);
        assertEquals(
                Map.of(
                        "runt",
                        1L,
                        "oversize",
                        1L,
                        "multicast-source",
                        1L,
                        "zero-source",
                        1L,
                        "truncated-arp",
                        1L,
                        "malformed-arp",
                        1L,
                        "unknown-ethertype",
                        1L,
                        "no-route",
                        1L),
                s.drops());
        assertEquals(9, s.get(PortCounter.RX_FRAMES));
        long dropped = s.drops().values().stream().mapToLong(Long::longValue).sum();
        assertEquals(
                s.get(PortCounter.RX_FRAMES),
                s.get(PortCounter.FORWARDED) + s.get(PortCounter.FLOODED) + s.get(PortCounter.ARP_ANSWERED) + dropped,
                "every frame received has exactly one verdict");
    }

    @Test
    void macsAgeOutOnTheInjectedClock() {
        b.inject(ipv4Shaped(MAC_A, MAC_B));
        cycle();
        assertEquals(1, call(dp.fdb(1)).size());
        clock.advance(TimeUnit.SECONDS.toNanos(299));
        for (int i = 0; i < 10; i++) {
            cycle();
        }
        assertEquals(1, call(dp.fdb(1)).size(), "not yet 300 s");
        // Aging is paced by the clock: the table is swept once per quarter of the aging time, so an
        // entry goes within 75 s of turning 300 s old, whatever the number of duty cycles.
        for (int s = 0; s < 76; s++) {
            clock.advance(TimeUnit.SECONDS.toNanos(1));
            cycle();
        }
        assertEquals(0, call(dp.fdb(1)).size(), "aged out after 300 s, within a sweep period");
        assertEquals(1, call(dp.networkStats(1)).macsAged());
        drainAll();
        a.inject(ipv4Shaped(MAC_B, MAC_A));
        cycle();
        assertNotNull(c.pollTransmitted(), "an aged-out MAC is unknown again: flooded");
    }

    @Test
    void perPortMacLimitRefusesAndCountsButKeepsForwardingByFlooding() {
        for (int i = 0; i < 20; i++) {
            b.inject(ipv4Shaped(MAC_A, 0x024a_0000_1000L + i));
        }
        cycle();
        final NetworkStats n = call(dp.networkStats(1));
        assertEquals(8, n.macEntries(), "port limit of 8 holds");
        assertEquals(12, n.macRefusedPortLimit());
        assertEquals(20, a.pendingTransmitted(), "all 20 frames were still delivered");
        drainAll();
        // Frames to a refused MAC are flooded, so it stays reachable.
        a.inject(ipv4Shaped(0x024a_0000_1000L + 19, MAC_A));
        cycle();
        assertNotNull(b.pollTransmitted());
        assertNotNull(c.pollTransmitted());
        // Other ports still learn within the network limit.
        c.inject(ipv4Shaped(MAC_A, MAC_C));
        cycle();
        assertTrue(call(dp.fdb(1)).stream().anyMatch(e -> e.mac().equals("02:4a:0a:00:00:04")));
    }

    @Test
    void networkMacLimitRefusesAndCounts() {
        for (int port = 0; port < 3; port++) {
            final MemoryPort p = port == 0 ? a : port == 1 ? b : c;
            for (int i = 0; i < 8; i++) {
                p.inject(ipv4Shaped(0xFFFF_FFFF_FFFFL, 0x024a_0000_2000L + port * 100 + i));
            }
        }
        cycle();
        final NetworkStats n = call(dp.networkStats(1));
        assertEquals(16, n.macEntries());
        assertEquals(8, n.macRefusedTableFull());
    }

    @Test
    void macMovesToTheNewPort() {
        a.inject(ipv4Shaped(MAC_B, MAC_A));
        cycle();
        c.inject(ipv4Shaped(MAC_B, MAC_A)); // A moved behind port c
        cycle();
        drainAll();
        b.inject(ipv4Shaped(MAC_A, MAC_B));
        cycle();
        assertNotNull(c.pollTransmitted());
        assertNull(a.pollTransmitted());
        assertEquals(1, call(dp.networkStats(1)).macsMoved());
    }

    @Test
    void announceFloodsAGratuitousArpAndLearnsTheMac() {
        call(dp.announce(slotA));
        final byte[] garp = b.pollTransmitted();
        assertNotNull(garp);
        assertNotNull(c.pollTransmitted());
        assertNull(x.pollTransmitted());
        assertEquals(MAC_A, readMac(garp, ETH + 6));
        assertEquals(IP_A, ByteBuffer.wrap(garp).getInt(ETH + 14 + 14));
        assertEquals(IP_A, ByteBuffer.wrap(garp).getInt(ETH + 14 + 24));
        assertEquals(slotA, call(dp.fdb(1)).getFirst().slot());
    }

    @Test
    void aVanishedPortIsUnpluggedAndReported() {
        a.inject(ipv4Shaped(MAC_B, MAC_A));
        cycle();
        b.vanish();
        a.inject(ipv4Shaped(MAC_B, MAC_A)); // learned on b: transmit finds it gone
        cycle();
        assertEquals(List.of("b"), gone);
        assertTrue(b.isClosed());
        assertEquals(3, call(dp.portStats()).size());
        a.inject(arpRequest(MAC_A, IP_A, IP_B));
        cycle();
        assertNull(a.pollTransmitted(), "its address is no longer answered");
    }

    @Test
    void unplugForgetsMacsAndAddress() {
        b.inject(ipv4Shaped(MAC_A, MAC_B));
        cycle();
        call(dp.unplug(slotB));
        assertTrue(b.isClosed());
        assertTrue(call(dp.fdb(1)).isEmpty());
        drainAll();
        a.inject(arpRequest(MAC_A, IP_A, IP_B));
        cycle();
        assertNull(a.pollTransmitted());
        assertNotNull(c.pollTransmitted(), "unknown now: flooded");
    }

    @Test
    void commandErrorsAreReportedAndChangeNothing() {
        assertThrows(
                IllegalArgumentException.class,
                () -> call(dp.plug(9, new MemoryPort("z", 1500, true, true), MAC_A, 0, PortSecurity.ALLOW_SPOOFING)));
        assertThrows(
                IllegalStateException.class,
                () -> call(dp.plug(
                        1,
                        new MemoryPort("z", 1500, true, true),
                        mac("02:4a:00:00:00:99"),
                        IP_B,
                        PortSecurity.ALLOW_SPOOFING)),
                "an address owned by another MAC");
        assertThrows(IllegalStateException.class, () -> call(dp.removeNetwork(1)), "a network with ports");
        assertEquals(4, call(dp.portStats()).size());
    }

    @Test
    void gsoFramesAreNotSentToPortsWithoutOffloads() {
        final MemoryPort plain = new MemoryPort("plain", 1500, false, true);
        call(dp.plug(1, plain, mac("02:4a:0a:00:00:09"), 0, PortSecurity.ALLOW_SPOOFING));
        final byte[] superFrame = ethernet(0xFFFF_FFFF_FFFFL, MAC_A, 0x0800, 9000);
        superFrame[1] = 1; // GSO_TCPV4
        superFrame[4] = (byte) 0xA8; // gso_size 1448, little-endian
        superFrame[5] = 0x05;
        a.inject(superFrame);
        cycle();
        assertNotNull(b.pollTransmitted(), "an offload-capable port takes the super-frame whole");
        assertNull(plain.pollTransmitted());
        assertTrue(call(dp.portStats()).stream()
                .anyMatch(s -> s.name().equals("plain") && s.drops().getOrDefault("gso-unsupported", 0L) == 1));
    }

    void drainAll() {
        for (MemoryPort p : List.of(a, b, c, x)) {
            while (p.pollTransmitted() != null) {
                // discard
            }
        }
    }

    static final class ManualClock implements NanoClock {
        private long now = 1_000_000_000L;

        @Override
        public long nanoTime() {
            return now;
        }

        void advance(long nanos) {
            now += nanos;
        }
    }
}
