package io.jvswitch.switching;

import static io.jvswitch.switching.TestFrames.VNET;
import static io.jvswitch.switching.TestFrames.arp;
import static io.jvswitch.switching.TestFrames.arpRequest;
import static io.jvswitch.switching.TestFrames.ip;
import static io.jvswitch.switching.TestFrames.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A port with port security speaks only as its endpoint; one without it may speak for others. */
class PortSecurityTest {
    static final long MAC_A = mac("02:4a:0a:00:00:02");
    static final long MAC_B = mac("02:4a:0a:00:00:03");
    static final long MAC_R = mac("02:4a:0a:00:00:09");
    static final long GW_MAC = mac("02:4a:0a:00:00:01");
    static final int IP_A = ip("10.0.0.2");
    static final int IP_B = ip("10.0.0.3");
    static final int IP_R = ip("10.0.0.9");
    static final int GW = ip("10.0.0.1");

    Dataplane dp;
    MemoryPort a;
    MemoryPort b;
    MemoryPort router;
    int slotA;
    int slotR;

    @BeforeEach
    void setUp() {
        dp = new Dataplane(new SwitchContext(), ReadySet.NONE, PortListener.NONE, Throwable::printStackTrace);
        call(dp.addNetwork(1, "front", GW, GW_MAC, EtherTypePolicy.IP_ONLY));
        a = new MemoryPort("a", 1500, true, true);
        b = new MemoryPort("b", 1500, true, true);
        router = new MemoryPort("router", 1500, true, true);
        slotA = call(dp.plug(1, a, MAC_A, IP_A, PortSecurity.ENFORCE));
        call(dp.plug(1, b, MAC_B, IP_B, PortSecurity.ENFORCE));
        slotR = call(dp.plug(1, router, MAC_R, IP_R, PortSecurity.ALLOW_SPOOFING));
    }

    <T> T call(CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }

    static byte[] ipv4(long dstMac, long srcMac, int srcIp, int dstIp) {
        final ByteBuffer f = ByteBuffer.allocate(VNET + 14 + 20 + 8);
        f.position(VNET);
        f.putShort((short) (dstMac >>> 32))
                .putInt((int) dstMac)
                .putShort((short) (srcMac >>> 32))
                .putInt((int) srcMac);
        f.putShort((short) 0x0800)
                .put((byte) 0x45)
                .put((byte) 0)
                .putShort((short) 28)
                .putInt(0)
                .put((byte) 64)
                .put((byte) 17)
                .putShort((short) 0)
                .putInt(srcIp)
                .putInt(dstIp);
        return f.array();
    }

    static byte[] ipv6(long dstMac, long srcMac, long srcHigh) {
        final ByteBuffer f = ByteBuffer.allocate(VNET + 14 + 40);
        f.position(VNET);
        f.putShort((short) (dstMac >>> 32))
                .putInt((int) dstMac)
                .putShort((short) (srcMac >>> 32))
                .putInt((int) srcMac);
        f.putShort((short) 0x86DD)
                .putInt(0x6000_0000)
                .putShort((short) 0)
                .put((byte) 59)
                .put((byte) 64);
        f.putLong(srcHigh).putLong(1).putLong(0xFF02_0000_0000_0000L).putLong(1);
        return f.array();
    }

    Map<String, Long> drops(int slot) {
        return call(dp.portStats()).stream()
                .filter(s -> s.slot() == slot)
                .findFirst()
                .orElseThrow()
                .drops();
    }

    @Test
    void anEndpointMaySpeakOnlyAsItself() {
        a.inject(ipv4(MAC_B, MAC_A, IP_A, IP_B)); // itself: fine
        a.inject(ipv4(MAC_B, MAC_A, 0, IP_B)); // 0.0.0.0, as DHCP-style probes: fine
        a.inject(ipv4(MAC_B, mac("02:4a:0a:00:00:77"), IP_A, IP_B)); // forged source MAC
        a.inject(ipv4(MAC_B, MAC_A, IP_B, IP_B)); // takes over b's address
        a.inject(ipv6(MAC_B, MAC_A, 0xFE80_0000_0000_0000L)); // link-local: fine
        a.inject(ipv6(MAC_B, MAC_A, 0x2001_0DB8_0000_0000L)); // a global address it was never given
        a.inject(Arrays.copyOf(ipv4(MAC_B, MAC_A, IP_A, IP_B), VNET + 20)); // IPv4 header cut short
        dp.runDutyCycle();
        assertEquals(3, b.pendingTransmitted(), "the endpoint's own frames, the probe and link-local IPv6");
        assertEquals(Map.of("spoofed-source-mac", 1L, "spoofed-source-ip", 2L, "truncated-ip", 1L), drops(slotA));
    }

    @Test
    void arpPoisoningIsRefused() {
        // a claims to be the gateway, in a gratuitous ARP and in an unsolicited reply
        a.inject(arp(0xFFFF_FFFF_FFFFL, MAC_A, 1, MAC_A, GW, 0, GW));
        a.inject(arp(MAC_B, MAC_A, 2, MAC_A, GW, MAC_B, IP_B));
        // a claims b's address, and another MAC inside ARP than in Ethernet
        a.inject(arp(MAC_B, MAC_A, 2, MAC_A, IP_B, MAC_B, IP_B));
        a.inject(arp(0xFFFF_FFFF_FFFFL, MAC_A, 1, MAC_B, IP_A, 0, IP_B));
        // honest ARP: a request for b (answered by the switch) and a probe from 0.0.0.0
        a.inject(arpRequest(MAC_A, IP_A, IP_B));
        a.inject(arp(0xFFFF_FFFF_FFFFL, MAC_A, 1, MAC_A, 0, 0, IP_A));
        dp.runDutyCycle();
        assertEquals(Map.of("spoofed-arp", 4L), drops(slotA));
        assertNotNull(a.pollTransmitted(), "the honest request was answered");
        assertEquals(1, b.pendingTransmitted(), "b saw only the probe, flooded");
    }

    @Test
    void allowSpoofingLetsAnApplianceSpeakForOthers() {
        router.inject(ipv4(MAC_B, MAC_R, ip("192.0.2.7"), IP_B));
        router.inject(ipv4(MAC_B, mac("02:aa:00:00:00:01"), ip("192.0.2.8"), IP_B));
        router.inject(arp(0xFFFF_FFFF_FFFFL, MAC_R, 1, MAC_R, ip("10.0.0.50"), 0, ip("10.0.0.50")));
        dp.runDutyCycle();
        assertEquals(Map.of(), drops(slotR));
        assertEquals(3, b.pendingTransmitted(), "both packets and the announcement reached b");
    }
}
