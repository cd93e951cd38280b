package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.switching.service.GatewayDatagramService;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Coverage-guided fuzz test of the gateway: three routed networks (one internal, one with a small
 * MTU), a host link and a gateway service, fed IPv4 frames built from fuzzed fields (TTL, DF,
 * fragments, options, protocols, addresses from a pool, lengths, checksums right or wrong) on any
 * port. Without {@code JAZZER_FUZZ} it replays its inputs as a regression test.
 *
 * <p>Properties checked after every frame:
 * <ul>
 * <li>nothing throws and the dataplane's error handler is never called;</li>
 * <li>every received frame has exactly one verdict on its port;</li>
 * <li>a frame that left into a network came from that network, from the host link, or is the
 * gateway's own (ICMP error, answer); what the host link sends goes from the router's MAC to the
 * host's;</li>
 * <li>every IPv4 packet the router made or forwarded has a valid header checksum and fits the
 * MTU of the port it left by (or is a GSO super-frame passed whole).</li>
 * </ul>
 */
class RouterFuzzTest {
    static final long ROUTER_MAC = MacAddress.parse("02:4a:fe:2a:00:02");
    static final long HOST_MAC = MacAddress.parse("02:4a:fe:2a:00:01");
    static final int ROUTER_IP = Ipv4Address.parse("169.254.42.2");
    static final int[] GATEWAYS = {
        Ipv4Address.parse("10.0.0.1"), Ipv4Address.parse("10.0.1.1"), Ipv4Address.parse("10.0.2.1")
    };
    static final int[] MTUS = {1500, 1280, 1500};
    static final boolean[] INTERNAL = {false, false, true};
    static final int[] IP_POOL = {
        Ipv4Address.parse("10.0.0.2"),
        Ipv4Address.parse("10.0.0.3"),
        Ipv4Address.parse("10.0.1.2"),
        Ipv4Address.parse("10.0.2.2"),
        Ipv4Address.parse("10.0.0.9"),
        GATEWAYS[0],
        GATEWAYS[1],
        GATEWAYS[2],
        ROUTER_IP,
        Ipv4Address.parse("169.254.42.1"),
        Ipv4Address.parse("192.0.2.1"),
        Ipv4Address.parse("10.0.0.255"),
        -1,
        0,
        Ipv4Address.parse("224.0.0.1"),
    };
    static final int MAX_RECORDS = 48;

    /** Port index -> network index (-1: the host link). */
    static final int[] NETWORK_OF = {0, 0, 1, 2, -1};

    @FuzzTest
    void packets(FuzzedDataProvider data) {
        final List<Throwable> errors = new ArrayList<>();
        final Dataplane dp = new Dataplane(
                new SwitchContext().clock(new DataplaneTest.ManualClock()).captureRingBytes(0),
                ReadySet.NONE,
                (slot, name) -> {},
                errors::add);
        final MemoryPort[] ports = new MemoryPort[NETWORK_OF.length];
        final long[] macs = new long[NETWORK_OF.length];
        try {
            for (int n = 0; n < GATEWAYS.length; n++) {
                call(
                        dp,
                        dp.addNetwork(new NetworkSpec(
                                n + 1,
                                "n" + n,
                                GATEWAYS[n],
                                gatewayMac(n),
                                24,
                                MTUS[n],
                                INTERNAL[n],
                                EtherTypePolicy.IP_ONLY)));
            }
            for (int p = 0; p < ports.length; p++) {
                ports[p] = new MemoryPort("p" + p, p == 4 ? 9000 : MTUS[NETWORK_OF[p]], p != 1, true);
                if (NETWORK_OF[p] < 0) {
                    macs[p] = HOST_MAC;
                    call(dp, dp.plugHostLink(ports[p], new HostLinkSpec(ROUTER_MAC, ROUTER_IP, HOST_MAC)));
                } else {
                    macs[p] = 0x024a_0000_0000L | (IP_POOL[p] & 0xFFFF_FFFFL);
                    call(dp, dp.plug(NETWORK_OF[p] + 1, ports[p], macs[p], IP_POOL[p], PortSecurity.ENFORCE));
                }
            }
            call(dp, dp.gatewayService(new EchoService(dp)));
            for (int record = 0; record < MAX_RECORDS && data.remainingBytes() > 0; record++) {
                final int from = data.consumeInt(0, ports.length - 1);
                final byte[] frame = frame(data, from, macs[from]);
                ports[from].inject(frame);
                dp.runDutyCycle();
                check(dp, ports, from, errors);
            }
        } finally {
            dp.close();
        }
    }

    static long gatewayMac(int network) {
        return 0x024a_0000_0000L | (GATEWAYS[network] & 0xFFFF_FFFFL);
    }

    /** A service that answers some datagrams at once, defers others, refuses the rest. */
    record EchoService(Dataplane dp) implements GatewayDatagramService {
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
            if (length == 0) {
                return DROP;
            }
            final int mode = buffer.getByte(offset) & 3;
            if (mode == 1) {
                dp.gatewayReplies().send(networkId, clientIp, clientPort, 53, buffer, offset, Math.min(length, 3000));
                return DEFERRED;
            }
            return mode == 2 ? Math.min(capacity, length * 3) : Math.min(length, capacity); // some answers fragment
        }
    }

    static byte[] frame(FuzzedDataProvider data, int from, long ownMac) {
        final ByteBuffer vnet = ByteBuffer.allocate(VirtioNetHeader.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        if (data.consumeBoolean()) {
            vnet.put((byte) data.consumeInt(0, 3))
                    .put((byte) data.consumeInt(0, 5))
                    .putShort((short) 0)
                    .putShort((short) data.consumeInt(0, 2000))
                    .putShort((short) 34)
                    .putShort((short) data.consumeInt(0, 16));
        }
        final int network = NETWORK_OF[from];
        final long dstMac = data.consumeBoolean()
                ? (network < 0 ? ROUTER_MAC : gatewayMac(network))
                : data.consumeLong(0, MacAddress.BROADCAST);
        final int optionWords = data.consumeInt(0, 2);
        final int ihl = 5 + optionWords;
        final byte[] l4 = data.consumeBytes(data.consumeInt(0, 3000));
        final ByteBuffer f = ByteBuffer.allocate(14 + ihl * 4 + l4.length);
        f.putShort((short) (dstMac >>> 32)).putInt((int) dstMac);
        f.putShort((short) (ownMac >>> 32)).putInt((int) ownMac);
        f.putShort((short) 0x0800);
        final int protocol = new int[] {1, 6, 17, data.consumeInt(0, 255)}[data.consumeInt(0, 3)];
        final int total = data.consumeBoolean() ? ihl * 4 + l4.length : data.consumeInt(0, 0xFFFF);
        final int flags = (data.consumeBoolean() ? 0x4000 : 0)
                | (data.consumeBoolean() ? 0x2000 : 0)
                | (data.consumeBoolean() ? data.consumeInt(0, 0x1FFF) : 0);
        final int source = network < 0 ? IP_POOL[data.consumeInt(0, IP_POOL.length - 1)] : IP_POOL[from];
        f.put((byte) (0x40 | ihl))
                .put((byte) 0)
                .putShort((short) total)
                .putShort((short) data.consumeInt(0, 0xFFFF))
                .putShort((short) flags)
                .put((byte) data.consumeInt(0, 3))
                .put((byte) protocol)
                .putShort((short) 0)
                .putInt(source)
                .putInt(IP_POOL[data.consumeInt(0, IP_POOL.length - 1)]);
        for (int i = 0; i < optionWords; i++) {
            f.putInt(0x01010101); // NOPs
        }
        final int checksum = InternetChecksum.compute(new UnsafeBuffer(f.array()), 14, ihl * 4);
        f.putShort(24, (short) (data.consumeInt(0, 7) == 0 ? checksum ^ 0x1111 : checksum));
        if (protocol == 1 && l4.length >= 4 && data.consumeBoolean()) {
            l4[0] = 8;
            l4[1] = 0;
            l4[2] = 0;
            l4[3] = 0;
            final int sum = InternetChecksum.compute(new UnsafeBuffer(l4), 0, l4.length);
            l4[2] = (byte) (sum >>> 8);
            l4[3] = (byte) sum;
        }
        if (protocol == 17 && l4.length >= 8 && data.consumeBoolean()) {
            l4[2] = 0;
            l4[3] = 53;
            l4[4] = (byte) (l4.length >>> 8);
            l4[5] = (byte) l4.length;
            l4[6] = 0;
            l4[7] = 0;
        }
        f.put(l4);
        final byte[] frame = new byte[VirtioNetHeader.LENGTH + f.capacity()];
        System.arraycopy(vnet.array(), 0, frame, 0, VirtioNetHeader.LENGTH);
        System.arraycopy(f.array(), 0, frame, VirtioNetHeader.LENGTH, f.capacity());
        return frame;
    }

    static void check(Dataplane dp, MemoryPort[] ports, int from, List<Throwable> errors) {
        assertTrue(errors.isEmpty(), () -> "dataplane error: " + errors);
        for (PortStats s : Dataplane.await(submit(dp))) {
            long ingressDrops = 0;
            for (var drop : s.drops().entrySet()) {
                if (DropReason.parse(drop.getKey()).isIngress()) {
                    ingressDrops += drop.getValue();
                }
            }
            assertEquals(
                    s.get(PortCounter.RX_FRAMES),
                    s.get(PortCounter.FORWARDED)
                            + s.get(PortCounter.FLOODED)
                            + s.get(PortCounter.ARP_ANSWERED)
                            + s.get(PortCounter.ROUTED)
                            + s.get(PortCounter.GATEWAY_ANSWERED)
                            + ingressDrops,
                    () -> "one verdict per frame on " + s);
        }
        for (int p = 0; p < ports.length; p++) {
            byte[] out;
            while ((out = ports[p].pollTransmitted()) != null) {
                final UnsafeBuffer b = new UnsafeBuffer(out);
                final long dst = mac(b, VirtioNetHeader.LENGTH);
                final long src = mac(b, VirtioNetHeader.LENGTH + 6);
                final int network = NETWORK_OF[p];
                if (network < 0) {
                    assertEquals(ROUTER_MAC, src, "the host link hears the router only");
                } else if (src != gatewayMac(network)) {
                    assertEquals(network, NETWORK_OF[from], "switched frames stay in their network");
                }
                final int etherType = b.getShort(VirtioNetHeader.LENGTH + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                final boolean routed = src == ROUTER_MAC || (network >= 0 && src == gatewayMac(network));
                if (routed && etherType == 0x0800 && dst != 0) {
                    final int l3 = VirtioNetHeader.LENGTH + 14;
                    final int ihl = (b.getByte(l3) & 0xF) * 4;
                    assertEquals(
                            0, InternetChecksum.compute(b, l3, ihl), "routed packets carry a valid header checksum");
                    final int total = b.getShort(l3 + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                    assertTrue(
                            VirtioNetHeader.isGso(b, 0) || total <= ports[p].mtu(),
                            () -> total + " bytes out of a port with MTU " + ports[ports.length - 1].mtu());
                }
            }
        }
    }

    static CompletableFuture<List<PortStats>> submit(Dataplane dp) {
        final var future = dp.portStats();
        dp.runDutyCycle();
        return future;
    }

    static long mac(UnsafeBuffer b, int offset) {
        return ((long) (b.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF) << 32)
                | (b.getInt(offset + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL);
    }

    static <T> T call(Dataplane dp, CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }
}
