package io.jvswitch.switching;

import static io.jvswitch.testsupport.FrameBuilder.ETH;
import static io.jvswitch.testsupport.FrameBuilder.arp;
import static io.jvswitch.testsupport.FrameBuilder.arpRequest;
import static io.jvswitch.testsupport.FrameBuilder.ip;
import static io.jvswitch.testsupport.FrameBuilder.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.NeighborDiscovery;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.testsupport.FrameBuilder;
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
    static final long LINK_LOCAL = NeighborDiscovery.LINK_LOCAL_HIGH;

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

    /** UDP in IPv4 with an all-zero UDP header: what port security reads is the addresses. */
    static byte[] ipv4(long dstMac, long srcMac, int srcIp, int dstIp) {
        return FrameBuilder.ipv4(dstMac, srcMac, srcIp, dstIp, Ipv4Packet.PROTOCOL_UDP, new byte[8]);
    }

    /** An IPv6 frame from {@code srcHigh:srcLow} to ff02::1 with the given next header and payload. */
    static byte[] ipv6From(long dstMac, long srcMac, long srcHigh, long srcLow, int nextHeader, byte... payload) {
        final ByteBuffer f = ByteBuffer.allocate(ETH + 14 + 40 + payload.length);
        f.position(ETH);
        f.putShort((short) (dstMac >>> 32))
                .putInt((int) dstMac)
                .putShort((short) (srcMac >>> 32))
                .putInt((int) srcMac);
        f.putShort((short) 0x86DD)
                .putInt(0x6000_0000)
                .putShort((short) payload.length)
                .put((byte) nextHeader)
                .put((byte) 255);
        f.putLong(srcHigh).putLong(srcLow).putLong(0xFF02_0000_0000_0000L).putLong(1);
        f.put(payload);
        return f.array();
    }

    /** Bytes from shorts, longs as two ints, for readable payloads. */
    static byte[] bytes(int... values) {
        final byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        final ByteBuffer b =
                ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] part : parts) {
            b.put(part);
        }
        return b.array();
    }

    static byte[] address(long high, long low) {
        return ByteBuffer.allocate(16).putLong(high).putLong(low).array();
    }

    static byte[] linkOption(int type, long mac) {
        return ByteBuffer.allocate(8)
                .put((byte) type)
                .put((byte) 1)
                .putShort((short) (mac >>> 32))
                .putInt((int) mac)
                .array();
    }

    /** A neighbour advertisement (or solicitation) for {@code target} with the given options. */
    static byte[] nd(int type, long targetLow, byte[]... options) {
        return concat(bytes(type, 0, 0, 0, 0x60, 0, 0, 0), address(LINK_LOCAL, targetLow), concat(options));
    }

    static byte[] ipv6(long dstMac, long srcMac, long srcHigh) {
        final ByteBuffer f = ByteBuffer.allocate(ETH + 14 + 40);
        f.position(ETH);
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
        a.inject(ipv6From(MAC_B, MAC_A, LINK_LOCAL, NeighborDiscovery.linkLocalLow(MAC_A), 59)); // its link-local
        a.inject(ipv6(MAC_B, MAC_A, 0x2001_0DB8_0000_0000L)); // a global address it was never given
        a.inject(Arrays.copyOf(ipv4(MAC_B, MAC_A, IP_A, IP_B), ETH + 20)); // IPv4 header cut short
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

    @Test
    void routerAdvertisementsAndRedirectsFromEndpointsAreDroppedAndCounted() {
        final long own = NeighborDiscovery.linkLocalLow(MAC_A);
        final byte[] ra = bytes(134, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0);
        a.inject(ipv6From(0x3333_0000_0001L, MAC_A, LINK_LOCAL, own, 58, ra));
        a.inject(ipv6From(0x3333_0000_0001L, MAC_A, LINK_LOCAL, 1, 58, ra)); // as fe80::1: spoofed first
        // hidden behind a hop-by-hop and a destination options header
        a.inject(ipv6From(
                0x3333_0000_0001L,
                MAC_A,
                LINK_LOCAL,
                own,
                0,
                concat(bytes(60, 0, 1, 4, 0, 0, 0, 0), bytes(58, 0, 1, 4, 0, 0, 0, 0), ra)));
        // five extension headers: more than the switch walks
        a.inject(ipv6From(
                0x3333_0000_0001L,
                MAC_A,
                LINK_LOCAL,
                own,
                60,
                concat(
                        bytes(60, 0, 1, 4, 0, 0, 0, 0),
                        bytes(60, 0, 1, 4, 0, 0, 0, 0),
                        bytes(60, 0, 1, 4, 0, 0, 0, 0),
                        bytes(60, 0, 1, 4, 0, 0, 0, 0),
                        bytes(58, 0, 1, 4, 0, 0, 0, 0),
                        ra)));
        a.inject(ipv6From(MAC_B, MAC_A, LINK_LOCAL, own, 58, concat(bytes(137, 0, 0, 0, 0, 0, 0, 0), new byte[32])));
        // a router solicitation is a host's to send
        a.inject(ipv6From(0x3333_0000_0002L, MAC_A, LINK_LOCAL, own, 58, bytes(133, 0, 0, 0, 0, 0, 0, 0)));
        dp.runDutyCycle();
        assertEquals(
                Map.of("ra-guard", 2L, "spoofed-source-ip", 1L, "ipv6-header-chain", 1L, "icmpv6-redirect", 1L),
                drops(slotA));
        assertEquals(1, b.pendingTransmitted(), "only the solicitation reached b");
    }

    @Test
    void neighbourAdvertisementsOnlyForTheSendersOwnAddress() {
        final long own = NeighborDiscovery.linkLocalLow(MAC_A);
        final long bs = NeighborDiscovery.linkLocalLow(MAC_B);
        a.inject(ipv6From(MAC_B, MAC_A, LINK_LOCAL, own, 58, nd(136, own, linkOption(2, MAC_A)))); // honest
        a.inject(ipv6From(MAC_B, MAC_A, LINK_LOCAL, own, 58, nd(136, bs, linkOption(2, MAC_A)))); // b's address
        a.inject(ipv6From(MAC_B, MAC_A, LINK_LOCAL, own, 58, nd(136, own, linkOption(2, MAC_B)))); // b's MAC
        a.inject(ipv6From(MAC_B, MAC_A, LINK_LOCAL, own, 58, nd(135, bs, linkOption(1, MAC_A)))); // asks: fine
        a.inject(ipv6From(MAC_B, MAC_A, LINK_LOCAL, own, 58, nd(135, bs, linkOption(1, MAC_R)))); // poisons
        a.inject(ipv6From(MAC_B, MAC_A, LINK_LOCAL, own, 58, nd(135, bs, bytes(1, 0, 0, 0, 0, 0, 0, 0)))); // len 0
        a.inject(ipv6From(MAC_B, MAC_A, 0, 0, 58, nd(135, own))); // duplicate address detection: fine
        dp.runDutyCycle();
        assertEquals(Map.of("spoofed-nd", 4L), drops(slotA));
        assertEquals(3, b.pendingTransmitted());
    }

    @Test
    void dhcpAndDhcpv6ServerMessagesFromEndpointsAreDropped() {
        final byte[] offer = ipv4(0xFFFF_FFFF_FFFFL, MAC_A, IP_A, ip("255.255.255.255"));
        final ByteBuffer udp = ByteBuffer.wrap(offer, ETH + 14 + 20, 8);
        udp.putShort((short) 67).putShort((short) 68).putShort((short) 8);
        a.inject(offer);
        final byte[] request = ipv4(0xFFFF_FFFF_FFFFL, MAC_A, 0, ip("255.255.255.255"));
        ByteBuffer.wrap(request, ETH + 14 + 20, 8)
                .putShort((short) 68)
                .putShort((short) 67)
                .putShort((short) 8);
        a.inject(request); // a client's own request: fine
        final long own = NeighborDiscovery.linkLocalLow(MAC_A);
        a.inject(ipv6From(MAC_B, MAC_A, LINK_LOCAL, own, 17, bytes(0x02, 0x23, 0x02, 0x22, 0, 8, 0, 0)));
        a.inject(ipv6From(MAC_B, MAC_A, LINK_LOCAL, own, 17, bytes(0x02, 0x22, 0x02, 0x23, 0, 8, 0, 0)));
        dp.runDutyCycle();
        assertEquals(Map.of("dhcp-server", 1L, "dhcpv6-server", 1L), drops(slotA));
        assertEquals(2, b.pendingTransmitted(), "the client messages pass");
    }

    @Test
    void anApplianceAllowedToSpoofMayAdvertiseRoutes() {
        router.inject(ipv6From(
                0x3333_0000_0001L,
                MAC_R,
                LINK_LOCAL,
                1,
                58,
                bytes(134, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0)));
        dp.runDutyCycle();
        assertEquals(Map.of(), drops(slotR));
        assertEquals(1, b.pendingTransmitted());
    }
}
