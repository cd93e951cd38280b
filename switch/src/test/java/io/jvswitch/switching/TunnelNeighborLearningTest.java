package io.jvswitch.switching;

import static io.jvswitch.testsupport.FrameBuilder.mac;
import static io.jvswitch.testsupport.FrameBuilder.neighborAdvertisement;
import static io.jvswitch.testsupport.FrameBuilder.neighborSolicitation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
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
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Proxy-NDP for the remote endpoints of an overlay with static peers: the IPv6 address book learns
 * them from neighbor discovery arriving on the tunnel, by the IPv4 book's rules, so a local
 * container's second solicitation for one is answered here instead of crossing the tunnel. What
 * two real hosts see of the same is in Ipv6OnlyOverlayIT and Ipv6VxlanIT.
 */
class TunnelNeighborLearningTest {
    static final long NET = 0xFD00_0040_0000_0000L;
    static final long GW_MAC = mac("02:4a:0a:28:00:01");
    static final long MAC_A = mac("02:4a:0a:28:00:02");
    static final long MAC_B = mac("02:4a:0a:28:00:03");
    static final long MAC_R = mac("02:4a:0a:28:00:20");
    static final long MAC_X = mac("02:66:66:66:66:66");
    static final int PEER_1 = FrameBuilder.ip("192.0.2.1");
    static final int PEER_2 = FrameBuilder.ip("192.0.2.2");
    static final long R = 0x20; // the remote endpoint's address: NET::20
    static final long AGED = TimeUnit.SECONDS.toNanos(301);

    final DataplaneTest.ManualClock clock = new DataplaneTest.ManualClock();
    Dataplane dp;
    MemoryPort a;
    MemoryPort b;
    TunnelSpoofingTest.TunnelStandIn tunnel;
    int tunnelSlot;

    @BeforeEach
    void setUp() {
        dp = newDataplane();
        a = new MemoryPort("a", 1450, false, true);
        b = new MemoryPort("b", 1450, false, true);
        tunnel = new TunnelSpoofingTest.TunnelStandIn();
        call(dp.assignIpv6(call(dp.plug(1, a, MAC_A, 0x0A28_0002, PortSecurity.ENFORCE)), NET, 2));
        call(dp.assignIpv6(call(dp.plug(1, b, MAC_B, 0x0A28_0003, PortSecurity.ENFORCE)), NET, 3));
        tunnelSlot = call(dp.plug(1, tunnel, 0L, 0, PortSecurity.ALLOW_SPOOFING));
    }

    @AfterEach
    void tearDown() {
        dp.close();
    }

    @Test
    void anAdvertisementFromTheTunnelTeachesTheAddressAndTheNextSolicitationIsAnsweredHere() {
        assertNull(ask(R), "unknown at first: the solicitation floods, the tunnel carries it");
        assertEquals(1, drain(tunnel.frames));
        tunnel.from(PEER_1, neighborAdvertisement(MAC_R, NET, R, MAC_R)); // the far side's answer
        dp.runDutyCycle();
        drain(b);
        assertEquals(MAC_R, ask(R), "answered here with the remote endpoint's MAC");
        assertEquals(0, drain(tunnel.frames), "nothing crossed the tunnel");
        assertEquals(0, drain(b));
        final NetworkStats stats = call(dp.networkStats(1));
        assertEquals(1, stats.get(NetworkCounter.REMOTE_NDP_ANSWERED));
    }

    @Test
    void aSolicitationFromTheTunnelTeachesItsSource() {
        tunnel.from(PEER_1, neighborSolicitation(MAC_R, NET, R, NET, 2)); // a remote container asks for a
        dp.runDutyCycle();
        assertEquals(MAC_R, ask(R));
        assertEquals(1, call(dp.networkStats(1)).get(NetworkCounter.REMOTE_NDP_ANSWERED));
    }

    @Test
    void aTracedAdvertisementTellsWhatItWouldTeachAndTeachesNothing() {
        final byte[] na = neighborAdvertisement(MAC_R, NET, R, MAC_R);
        final PacketTrace trace =
                call(dp.traceSynthetic(tunnelSlot, Arrays.copyOfRange(na, FrameBuilder.ETH, na.length)));
        assertTrue(
                trace.steps()
                        .contains(new PacketTrace.Step(
                                "ndp-proxy", "learned fd00:40::20 at 02:4a:0a:28:00:20 from the tunnel")),
                trace.steps().toString());
        assertNull(ask(R), "a dry run learns nothing");
    }

    @Test
    void nothingIsLearnedFromAContainerEvenOneAllowedToSpoof() {
        final MemoryPort loose = new MemoryPort("loose", 1450, false, true);
        final long looseMac = mac("02:4a:0a:28:00:30");
        call(dp.plug(1, loose, looseMac, 0x0A28_0030, PortSecurity.ALLOW_SPOOFING));
        loose.inject(neighborAdvertisement(looseMac, NET, 0x99, looseMac));
        loose.inject(neighborSolicitation(looseMac, NET, 0x98, NET, 2));
        dp.runDutyCycle();
        assertNull(ask(0x99));
        assertNull(ask(0x98));
    }

    @Test
    void aLinkLocalAddressOrAnOptionNamingAnotherMacTeachesNothing() {
        final long linkLocal = 0xFE80_0000_0000_0000L;
        tunnel.from(PEER_1, neighborAdvertisement(MAC_R, linkLocal, R, MAC_R));
        tunnel.from(PEER_1, neighborAdvertisement(MAC_R, NET, R, MAC_X));
        dp.runDutyCycle();
        assertEquals(-1L, call(dp.proxyNdpLookup(1, linkLocal, R)));
        assertNull(ask(R));
    }

    @Test
    void theControlPlanesEntriesWinAndAClaimOnThemIsDropped() {
        call(dp.programRemoteAddress6(1, NET, 0x40, MAC_R)); // another host's endpoint, from the cluster store
        drain(a);
        drain(b);
        tunnel.from(PEER_1, neighborAdvertisement(MAC_X, NET, 3, MAC_X)); // b's address
        tunnel.from(PEER_1, neighborAdvertisement(MAC_X, NET, 0x40, MAC_X));
        tunnel.from(PEER_1, neighborAdvertisement(MAC_X, NET, 1, MAC_X)); // the gateway's
        dp.runDutyCycle();
        assertEquals(Map.of("tunnel-spoofed-nd", 3L), tunnelDrops());
        assertEquals(0, drain(a), "nothing reached the local containers' neighbor caches");
        assertEquals(MAC_B, ask(3));
        assertEquals(MAC_R, ask(0x40));
        assertEquals(GW_MAC, ask(1));
        // Another host's router speaking for the shared gateway, with the gateway's MAC, is no claim
        tunnel.from(PEER_1, neighborAdvertisement(GW_MAC, NET, 1, GW_MAC));
        dp.runDutyCycle();
        assertEquals(Map.of("tunnel-spoofed-nd", 3L), tunnelDrops());
    }

    @Test
    void aRemoteAddressIsChangedOnlyByItsPeerUntilItAges() {
        tunnel.from(PEER_1, neighborAdvertisement(MAC_R, NET, R, MAC_R));
        dp.runDutyCycle();
        tunnel.from(PEER_2, neighborAdvertisement(MAC_X, NET, R, MAC_X)); // spoofing another peer
        dp.runDutyCycle();
        assertEquals(Map.of("tunnel-spoofed-nd", 1L), tunnelDrops());
        assertEquals(MAC_R, ask(R), "not poisoned");
        assertEquals(
                1,
                call(dp.networkStats(1)).get(NetworkCounter.NDP_LEARN_REFUSED),
                "the refusal is in the network's stats");
        final long newMac = mac("02:4a:0a:28:00:21");
        tunnel.from(PEER_1, neighborAdvertisement(newMac, NET, R, newMac)); // its own peer may change it
        dp.runDutyCycle();
        assertEquals(newMac, ask(R));
        clock.advance(AGED);
        assertNull(ask(R), "an aged entry is not answered: the solicitation floods");
        tunnel.from(PEER_2, neighborAdvertisement(MAC_X, NET, R, MAC_X));
        dp.runDutyCycle();
        assertEquals(MAC_X, ask(R), "the address moved hosts after aging");
    }

    @Test
    void aLocalAttachTakesALearnedAddressOver() {
        tunnel.from(PEER_1, neighborAdvertisement(MAC_R, NET, 0x50, MAC_R));
        dp.runDutyCycle();
        final MemoryPort late = new MemoryPort("late", 1450, false, true);
        final long lateMac = mac("02:4a:0a:28:00:50");
        call(dp.assignIpv6(call(dp.plug(1, late, lateMac, 0x0A28_0050, PortSecurity.ENFORCE)), NET, 0x50));
        assertEquals(lateMac, ask(0x50));
        assertEquals(0, call(dp.networkStats(1)).get(NetworkCounter.REMOTE_NDP_ANSWERED));
    }

    @Test
    void unpluggingTheTunnelForgetsWhatItTaught() {
        tunnel.from(PEER_1, neighborAdvertisement(MAC_R, NET, R, MAC_R));
        dp.runDutyCycle();
        assertEquals(MAC_R, ask(R));
        call(dp.unplug(tunnelSlot));
        assertEquals(-1L, call(dp.proxyNdpLookup(1, NET, R)));
        assertNull(ask(R));
    }

    @Test
    void theBookIsBoundedAndRefusalsAreCounted() {
        final Ipv6AddressBook book = new Ipv6AddressBook(4, AGED - 1);
        final long now = 1_000;
        for (int i = 1; i <= 4; i++) {
            assertEquals(AddressOwners.LEARNED, book.learn(NET, i, MAC_R + i, 7, PEER_1, now, true));
        }
        assertEquals(AddressOwners.REFUSED_FULL, book.learn(NET, 5, MAC_R + 5, 7, PEER_1, now, true));
        assertEquals(4, book.size());
        assertEquals(1, book.learnRefused());
        book.put(NET, 1, MAC_A); // the control plane takes a learned address over
        assertEquals(AddressOwners.REFUSED_LOCAL, book.learn(NET, 1, MAC_X, 7, PEER_1, now, true), "and keeps it");
        assertEquals(AddressOwners.IGNORED, book.learn(0, 0, MAC_X, 7, PEER_1, now, true), ":: is nobody's");
        assertEquals(2, book.learnRefused());
        // once aged, learned entries make room for new ones; the control plane's stay
        assertEquals(AddressOwners.LEARNED, book.learn(NET, 5, MAC_R + 5, 7, PEER_1, now + AGED, true));
        assertEquals(2, book.size());
        assertEquals(MAC_A, book.lookup(NET, 1, now + AGED));
        book.removeLearnedOn(7);
        assertEquals(1, book.size());
    }

    /**
     * Learning (an advertisement from the tunnel, refreshing its entry) and answering (a local
     * container's solicitation for the learned address) allocate nothing per frame.
     */
    @Test
    void learningAndAnsweringAllocateNothingPerFrame() {
        final Dataplane quiet = newDataplane();
        try {
            final MemoryPort asker = new MemoryPort("asker", 1450, false, false); // keeps no copies
            final MemoryPort other = new MemoryPort("other", 1450, false, false);
            final TunnelSpoofingTest.TunnelStandIn vtep = new TunnelSpoofingTest.TunnelStandIn();
            final CompletableFuture<Integer> askerSlot = quiet.plug(1, asker, MAC_A, 0x0A28_0002, PortSecurity.ENFORCE);
            quiet.plug(1, other, MAC_B, 0x0A28_0003, PortSecurity.ENFORCE);
            quiet.plug(1, vtep, 0L, 0, PortSecurity.ALLOW_SPOOFING);
            quiet.runDutyCycle();
            quiet.assignIpv6(Dataplane.await(askerSlot), NET, 2);
            vtep.origin = PEER_1;
            vtep.frames.repeat(neighborAdvertisement(MAC_R, NET, R, MAC_R)); // refreshes the learned entry
            asker.repeat(neighborSolicitation(MAC_A, NET, 2, NET, R)); // answered from it
            final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            for (int i = 0; i < 20_000; i++) {
                quiet.runDutyCycle(); // warm-up: commands applied, code compiled
            }
            final long answeredBefore = asker.transmitCount();
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20_000; i++) {
                quiet.runDutyCycle();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            final long answered = asker.transmitCount() - answeredBefore;
            assertTrue(answered > 20_000, "solicitations answered: " + answered);
            assertTrue(allocated < answered / 100, allocated + " bytes allocated for " + answered + " answers");
        } finally {
            quiet.close();
        }
    }

    /** A dataplane with one overlay network, dual-stack. */
    Dataplane newDataplane() {
        final Dataplane d = new Dataplane(
                new SwitchContext().clock(clock).captureRingBytes(0), ReadySet.NONE, (slot, name) -> {}, e -> {
                    throw new AssertionError(e);
                });
        d.addNetwork(new NetworkSpec(1, "o", 0x0A28_0001, GW_MAC, 24, 1450, false, EtherTypePolicy.IP_ONLY));
        d.addIpv6(1, new Ipv6Gateway(NET, 1, 64));
        return d;
    }

    /** What a's solicitation for {@code NET::low} brings back: the advertised MAC, or null (not answered). */
    Long ask(long low) {
        drain(a);
        a.inject(neighborSolicitation(MAC_A, NET, 2, NET, low));
        dp.runDutyCycle();
        final byte[] answer = a.pollTransmitted();
        if (answer == null) {
            return null;
        }
        final UnsafeBuffer frame = new UnsafeBuffer(answer);
        Ipv6SwitchingTest.assertChecksumValid(frame, answer.length);
        return MacAddress.read(frame, FrameBuilder.IPV6_L4 + 26);
    }

    Map<String, Long> tunnelDrops() {
        return TunnelSpoofingTest.dropsOf(dp, tunnelSlot);
    }

    static int drain(MemoryPort port) {
        int n = 0;
        while (port.pollTransmitted() != null) {
            n++;
        }
        return n;
    }

    <T> T call(CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }
}
