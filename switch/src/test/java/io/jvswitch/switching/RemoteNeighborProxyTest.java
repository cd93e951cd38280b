package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.testsupport.FrameBuilder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

/**
 * Proxy-NDP for another host's endpoints on a global network (programmed from the cluster store):
 * a solicitation for one is answered here and counted as such, never flooded (so it never crosses
 * the tunnel); a local endpoint's entry always wins; forgotten, the solicitation floods again.
 * What two real hosts see of the same is in ClusterIpv6IT.
 */
class RemoteNeighborProxyTest {
    static final long NET = 0xFD00_0030_0000_0000L;
    static final long GW_MAC = MacAddress.parse("02:4a:0a:1e:00:01");
    static final long LOCAL_MAC = MacAddress.parse("02:4a:0a:1e:00:02");
    static final long OTHER_MAC = MacAddress.parse("02:4a:0a:1e:00:03");
    static final long REMOTE_MAC = MacAddress.parse("02:4a:0a:1e:00:42");

    Dataplane dp;
    MemoryPort asker;
    MemoryPort other;

    @BeforeEach
    void setUp() {
        dp = new Dataplane(
                new SwitchContext().clock(new DataplaneTest.ManualClock()).captureRingBytes(0),
                ReadySet.NONE,
                (slot, name) -> {},
                e -> {
                    throw new AssertionError(e);
                });
        call(dp.addNetwork(new NetworkSpec(1, "g", 0x0A1E_0001, GW_MAC, 24, 1450, false, EtherTypePolicy.IP_ONLY)));
        call(dp.addIpv6(1, new Ipv6Gateway(NET, 1, 64)));
        asker = new MemoryPort("asker", 1450, false, true);
        other = new MemoryPort("other", 1450, false, true);
        call(dp.assignIpv6(call(dp.plug(1, asker, LOCAL_MAC, 0x0A1E_0002, PortSecurity.ENFORCE)), NET, 2));
        call(dp.assignIpv6(call(dp.plug(1, other, OTHER_MAC, 0x0A1E_0003, PortSecurity.ENFORCE)), NET, 3));
    }

    @AfterEach
    void tearDown() {
        dp.close();
    }

    @Test
    void aRemoteEndpointIsAnsweredHereWithItsMacAndCounted() {
        assertTrue(call(dp.programRemoteAddress6(1, NET, 0x4000, REMOTE_MAC)));
        asker.inject(FrameBuilder.neighborSolicitation(LOCAL_MAC, NET, 2, NET, 0x4000));
        dp.runDutyCycle();
        final byte[] answer = asker.pollTransmitted();
        assertNotNull(answer, "answered");
        assertNull(other.pollTransmitted(), "not flooded (on a tunnel port: not sent to the peers)");
        final UnsafeBuffer b = new UnsafeBuffer(answer);
        assertEquals(REMOTE_MAC, MacAddress.read(b, FrameBuilder.IPV6_L4 + 26), "the remote endpoint's MAC");
        Ipv6SwitchingTest.assertChecksumValid(b, answer.length);
        final NetworkStats stats = call(dp.networkStats(1));
        assertEquals(1, stats.get(NetworkCounter.REMOTE_NDP_ANSWERED));
        assertEquals(1, stats.get(NetworkCounter.ARP_ANSWERED));
    }

    @Test
    void aLocalEndpointsAnswerIsNotCountedAsRemote() {
        asker.inject(FrameBuilder.neighborSolicitation(LOCAL_MAC, NET, 2, NET, 3));
        dp.runDutyCycle();
        assertNotNull(asker.pollTransmitted());
        assertEquals(0, call(dp.networkStats(1)).get(NetworkCounter.REMOTE_NDP_ANSWERED));
    }

    @Test
    void aLocalEndpointWinsOverAProgrammedRemoteOne() {
        assertFalse(call(dp.programRemoteAddress6(1, NET, 3, REMOTE_MAC)), "a local endpoint holds fd00:30::3");
        assertFalse(call(dp.forgetRemoteAddress6(1, NET, 3)), "and forgetting a remote one leaves it");
        asker.inject(FrameBuilder.neighborSolicitation(LOCAL_MAC, NET, 2, NET, 3));
        dp.runDutyCycle();
        assertEquals(OTHER_MAC, MacAddress.read(new UnsafeBuffer(asker.pollTransmitted()), FrameBuilder.IPV6_L4 + 26));
    }

    @Test
    void aLocalAttachTakesTheAddressOverFromARemoteEntry() {
        assertTrue(call(dp.programRemoteAddress6(1, NET, 0x50, REMOTE_MAC)));
        final MemoryPort late = new MemoryPort("late", 1450, false, true);
        final long lateMac = MacAddress.parse("02:4a:0a:1e:00:50");
        call(dp.assignIpv6(call(dp.plug(1, late, lateMac, 0x0A1E_0050, PortSecurity.ENFORCE)), NET, 0x50));
        asker.inject(FrameBuilder.neighborSolicitation(LOCAL_MAC, NET, 2, NET, 0x50));
        dp.runDutyCycle();
        assertEquals(lateMac, MacAddress.read(new UnsafeBuffer(asker.pollTransmitted()), FrameBuilder.IPV6_L4 + 26));
        assertEquals(0, call(dp.networkStats(1)).get(NetworkCounter.REMOTE_NDP_ANSWERED));
    }

    @Test
    void aForgottenRemoteEndpointFloodsAgain() {
        call(dp.programRemoteAddress6(1, NET, 0x4000, REMOTE_MAC));
        assertTrue(call(dp.forgetRemoteAddress6(1, NET, 0x4000)));
        asker.inject(FrameBuilder.neighborSolicitation(LOCAL_MAC, NET, 2, NET, 0x4000));
        dp.runDutyCycle();
        assertNull(asker.pollTransmitted(), "not answered");
        assertNotNull(other.pollTransmitted(), "flooded, as for any unknown target");
    }

    private <T> T call(CompletableFuture<T> f) {
        dp.runDutyCycle();
        return Dataplane.await(f);
    }
}
