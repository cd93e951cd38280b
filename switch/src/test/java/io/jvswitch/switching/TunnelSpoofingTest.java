package io.jvswitch.switching;

import static io.jvswitch.testsupport.FrameBuilder.arp;
import static io.jvswitch.testsupport.FrameBuilder.arpRequest;
import static io.jvswitch.testsupport.FrameBuilder.ip;
import static io.jvswitch.testsupport.FrameBuilder.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.testsupport.FrameBuilder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A sender on the tunnel (anyone who can spoof a peer's underlay address) against this host's
 * endpoints and proxy-ARP: it cannot take a local MAC or address, nor a remote address another
 * peer holds, until that ages.
 */
class TunnelSpoofingTest {
    static final long MAC_A = mac("02:4a:0a:00:00:02");
    static final long MAC_B = mac("02:4a:0a:00:00:03");
    static final long MAC_R = mac("02:4a:0a:00:00:20");
    static final long MAC_X = mac("02:66:66:66:66:66");
    static final long GW_MAC = mac("02:4a:0a:00:00:01");
    static final int IP_A = ip("10.0.0.2");
    static final int IP_B = ip("10.0.0.3");
    static final int IP_R = ip("10.0.0.32");
    static final int GW = ip("10.0.0.1");
    static final int PEER_1 = ip("192.0.2.1");
    static final int PEER_2 = ip("192.0.2.2");
    static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    final DataplaneTest.ManualClock clock = new DataplaneTest.ManualClock();
    Dataplane dp;
    MemoryPort a;
    MemoryPort b;
    TunnelStandIn tunnel;
    int tunnelSlot;

    /** A tunnel port as the switch sees it: learns remote addresses, tells each frame's peer. */
    static final class TunnelStandIn implements Port {
        final MemoryPort frames = new MemoryPort("vxlan", 1450, true, true);
        int origin;

        @Override
        public String name() {
            return frames.name();
        }

        @Override
        public int receive(MutableDirectBuffer buffer, int offset, int capacity) {
            return frames.receive(buffer, offset, capacity);
        }

        @Override
        public int transmit(DirectBuffer buffer, int offset, int length) {
            return frames.transmit(buffer, offset, length);
        }

        @Override
        public boolean acceptsOffloads() {
            return true;
        }

        @Override
        public int mtu() {
            return frames.mtu();
        }

        @Override
        public boolean learnsRemoteAddresses() {
            return true;
        }

        @Override
        public int lastFrameOrigin() {
            return origin;
        }

        @Override
        public void close() {
            frames.close();
        }

        void from(int peer, byte[] frame) {
            origin = peer;
            frames.inject(frame);
        }
    }

    @BeforeEach
    void setUp() {
        dp = new Dataplane(
                new SwitchContext().clock(clock), ReadySet.NONE, PortListener.NONE, Throwable::printStackTrace);
        call(dp.addNetwork(1, "front", GW, GW_MAC, EtherTypePolicy.IP_ONLY));
        a = new MemoryPort("a", 1500, true, true);
        b = new MemoryPort("b", 1500, true, true);
        tunnel = new TunnelStandIn();
        call(dp.plug(1, a, MAC_A, IP_A, PortSecurity.ENFORCE));
        call(dp.plug(1, b, MAC_B, IP_B, PortSecurity.ENFORCE));
        tunnelSlot = call(dp.plug(1, tunnel, 0L, 0, PortSecurity.ALLOW_SPOOFING));
    }

    <T> T call(CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }

    Map<String, Long> tunnelDrops() {
        return dropsOf(dp, tunnelSlot);
    }

    /** What the port in {@code slot} dropped, by reason. */
    static Map<String, Long> dropsOf(Dataplane dp, int slot) {
        final CompletableFuture<List<PortStats>> stats = dp.portStats();
        dp.runDutyCycle();
        return Dataplane.await(stats).stream()
                .filter(s -> s.slot() == slot)
                .findFirst()
                .orElseThrow()
                .drops();
    }

    void drain(MemoryPort port) {
        while (port.pollTransmitted() != null) {
            // discard
        }
    }

    /** What a's ARP request for {@code ip} brings back: the answered MAC, or null (flooded instead). */
    Long proxyAnswer(int ip) {
        drain(a);
        a.inject(arpRequest(MAC_A, IP_A, ip));
        dp.runDutyCycle();
        final byte[] reply = a.pollTransmitted();
        return reply == null ? null : FrameBuilder.readMac(reply, FrameBuilder.ETH + 14 + 8);
    }

    @Test
    void aLocalMacNeverMovesOntoTheTunnel() {
        a.inject(PortSecurityTest.ipv4(MAC_B, MAC_A, IP_A, IP_B)); // a speaks: its MAC is on a's port
        tunnel.from(PEER_1, PortSecurityTest.ipv4(MAC_B, MAC_A, IP_A, IP_B)); // the tunnel claims it
        dp.runDutyCycle();
        assertEquals(Map.of("tunnel-local-mac", 1L), tunnelDrops());
        drain(a);
        b.inject(PortSecurityTest.ipv4(MAC_A, MAC_B, IP_B, IP_A));
        dp.runDutyCycle();
        assertEquals(1, a.pendingTransmitted(), "b's frame to a still goes to a");
        assertEquals(1, tunnel.frames.pendingTransmitted(), "only a's first frame, flooded, went out");
    }

    @Test
    void forgedArpForTheGatewayOrALocalEndpointIsDroppedNotFlooded() {
        drain(a);
        drain(b);
        tunnel.from(PEER_1, arp(BROADCAST, MAC_X, 1, MAC_X, GW, 0, GW));
        tunnel.from(PEER_1, arp(BROADCAST, MAC_X, 2, MAC_X, IP_A, MAC_B, IP_B));
        dp.runDutyCycle();
        assertEquals(Map.of("tunnel-spoofed-arp", 2L), tunnelDrops());
        assertEquals(0, a.pendingTransmitted(), "nothing reached the local containers' ARP caches");
        assertEquals(0, b.pendingTransmitted());
        assertEquals(MAC_B, proxyAnswer(IP_B));
        // Another host's router speaking for the shared gateway, with the gateway's MAC, is no claim
        tunnel.from(PEER_1, arp(BROADCAST, GW_MAC, 1, GW_MAC, GW, 0, IP_R));
        dp.runDutyCycle();
        assertEquals(Map.of("tunnel-spoofed-arp", 2L), tunnelDrops());
    }

    @Test
    void aRemoteAddressIsChangedOnlyByItsPeerUntilItAges() {
        tunnel.from(PEER_1, arp(BROADCAST, MAC_R, 1, MAC_R, IP_R, 0, IP_R));
        dp.runDutyCycle();
        assertEquals(MAC_R, proxyAnswer(IP_R), "learned from the tunnel");
        // A sender spoofing another peer's underlay address claims the remote container's address
        tunnel.from(PEER_2, arp(BROADCAST, MAC_X, 1, MAC_X, IP_R, 0, IP_R));
        dp.runDutyCycle();
        assertEquals(Map.of("tunnel-spoofed-arp", 1L), tunnelDrops());
        assertEquals(MAC_R, proxyAnswer(IP_R), "not poisoned");
        assertEquals(
                1,
                call(dp.networkStats(1)).get(NetworkCounter.ARP_LEARN_REFUSED),
                "the refusal is in the network's stats");
        // The peer that holds it may change it (its container got a new MAC)
        final long newMac = mac("02:4a:0a:00:00:21");
        tunnel.from(PEER_1, arp(BROADCAST, newMac, 1, newMac, IP_R, 0, IP_R));
        dp.runDutyCycle();
        assertEquals(newMac, proxyAnswer(IP_R));
        // Not heard of for the aging time: no longer answered, and another peer may take it
        clock.advance(TimeUnit.SECONDS.toNanos(301));
        assertNull(proxyAnswer(IP_R), "an aged entry is not answered: the request floods");
        tunnel.from(PEER_2, arp(BROADCAST, MAC_X, 1, MAC_X, IP_R, 0, IP_R));
        dp.runDutyCycle();
        assertEquals(MAC_X, proxyAnswer(IP_R), "the address moved hosts after aging");
        assertNotEquals(newMac, MAC_X);
    }
}
