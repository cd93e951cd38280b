package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.testsupport.FrameBuilder;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Coverage-guided fuzz test of the IPv6 side of the switch: proxy-NDP, IPv6 port security and the
 * IPv6 router. Three dual-stack networks (one internal, one with MTU 1280) and a host link, fed
 * IPv6 frames built from fuzzed fields (addresses from a pool that holds endpoints, gateways,
 * link-local, unspecified and multicast addresses; next header; hop limit; payload length right or
 * wrong; ICMPv6 types among them solicitations for pool addresses; checksums right or wrong) on any
 * port. Without {@code JAZZER_FUZZ} it replays its inputs as a regression test.
 *
 * <p>Properties checked after every frame: nothing throws and the error handler is never called;
 * every received frame has exactly one verdict on its port; a frame leaving into a network came
 * from it, from the host link, or is the switch's own; the host link hears the router only; every
 * ICMPv6 message the switch made or routed has a valid checksum, and nothing it sends exceeds the
 * MTU of the port it leaves by.
 */
class Ipv6RouterFuzzTest {
    static final long ROUTER_MAC = MacAddress.parse("02:4a:fe:2a:00:02");
    static final long HOST_MAC = MacAddress.parse("02:4a:fe:2a:00:01");
    static final long[] NETS = {0xFD00_0000_0000_0000L, 0xFD00_0000_0000_0001L, 0xFD00_0000_0000_0002L};
    static final int[] MTUS = {1500, 1280, 1500};
    static final boolean[] INTERNAL = {false, false, true};
    /** Port index -> network index (-1: the host link). */
    static final int[] NETWORK_OF = {0, 0, 1, 2, -1};
    /** Addresses as {high, low}. */
    static final long[][] POOL = {
        {NETS[0], 2},
        {NETS[0], 3},
        {NETS[1], 2},
        {NETS[2], 2}, // the endpoints, by port
        {NETS[0], 1},
        {NETS[1], 1},
        {NETS[2], 1}, // gateways
        {NETS[0], 9}, // unknown in network 0
        {0xFE80_0000_0000_0000L, 0x004a_feff_fefe_2a02L}, // the router's link-local
        {0xFE80_0000_0000_0000L, 5},
        {0, 0},
        {0xFF02_0000_0000_0000L, 1},
        {0xFF02_0000_0000_0000L, 0x0000_0001_FF00_0003L},
        {0xFD99_0000_0000_0000L, 1}, // beyond the networks
        {0x2001_0db8_0000_0000L, 7},
    };

    static final int MAX_RECORDS = 48;

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
            for (int n = 0; n < NETS.length; n++) {
                call(
                        dp,
                        dp.addNetwork(new NetworkSpec(
                                n + 1,
                                "n" + n,
                                0x0A00_0001 + (n << 8),
                                gatewayMac(n),
                                24,
                                MTUS[n],
                                INTERNAL[n],
                                EtherTypePolicy.IP_ONLY)));
                call(dp, dp.addIpv6(n + 1, new Ipv6Gateway(NETS[n], 1, 64)));
            }
            for (int p = 0; p < ports.length; p++) {
                ports[p] = new MemoryPort("p" + p, p == 4 ? 9000 : MTUS[NETWORK_OF[p]], p != 1, true);
                if (NETWORK_OF[p] < 0) {
                    macs[p] = HOST_MAC;
                    call(dp, dp.plugHostLink(ports[p], new HostLinkSpec(ROUTER_MAC, 0xA9FE_2A02, HOST_MAC)));
                } else {
                    macs[p] = 0x024a_0000_0000L | (p + 2);
                    final int slot = call(
                            dp, dp.plug(NETWORK_OF[p] + 1, ports[p], macs[p], 0x0A00_0010 + p, PortSecurity.ENFORCE));
                    call(dp, dp.assignIpv6(slot, POOL[p][0], POOL[p][1]));
                }
            }
            for (int record = 0; record < MAX_RECORDS && data.remainingBytes() > 0; record++) {
                final int from = data.consumeInt(0, ports.length - 1);
                ports[from].inject(frame(data, from, macs[from]));
                dp.runDutyCycle();
                check(dp, ports, from, errors);
            }
        } finally {
            dp.close();
        }
    }

    static long gatewayMac(int network) {
        return 0x024a_0a00_0001L + ((long) network << 8);
    }

    static long[] address(FuzzedDataProvider data) {
        return POOL[data.consumeInt(0, POOL.length - 1)];
    }

    static byte[] frame(FuzzedDataProvider data, int from, long ownMac) {
        byte[] vnet = new byte[VirtioNetHeader.LENGTH];
        if (data.consumeBoolean()) {
            final int flags = data.consumeInt(0, 3);
            final int gsoType = data.consumeInt(0, 5);
            final int gsoSize = data.consumeInt(0, 2000);
            vnet = FrameBuilder.vnetHeader(flags, gsoType, 0, gsoSize, 54, data.consumeInt(0, 16));
        }
        final int network = NETWORK_OF[from];
        final long dstMac = switch (data.consumeInt(0, 2)) {
            case 0 -> network < 0 ? ROUTER_MAC : gatewayMac(network);
            case 1 -> 0x3333_FF00_0000L | data.consumeInt(0, 3);
            default -> data.consumeLong(0, MacAddress.BROADCAST);
        };
        final long[] src = network >= 0 && data.consumeBoolean() ? POOL[from] : address(data);
        final long[] dst = address(data);
        final int nextHeader = new int[] {58, 6, 17, 0, 44, data.consumeInt(0, 255)}[data.consumeInt(0, 5)];
        final int hopLimit = new int[] {255, 64, 1, 0, data.consumeInt(0, 255)}[data.consumeInt(0, 4)];
        final byte[] l4 = data.consumeBytes(data.consumeInt(0, 3000));
        if (nextHeader == 58 && l4.length >= 24) {
            l4[0] = (byte) new int[] {135, 128, 136, 134, 1, 2, 3, 129}[data.consumeInt(0, 7)];
            l4[1] = 0;
            final long[] target = address(data);
            ByteBuffer.wrap(l4, 8, 16).putLong(target[0]).putLong(target[1]);
        }
        final boolean rightLength = data.consumeBoolean();
        final boolean rightChecksum = data.consumeInt(0, 7) != 0;
        final byte[] frame =
                FrameBuilder.ipv6(dstMac, ownMac, src[0], src[1], dst[0], dst[1], nextHeader, hopLimit, l4);
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        if (!rightChecksum && l4.length >= 4) {
            final int checksum = FrameBuilder.IPV6_L4 + Icmpv6Packet.CHECKSUM_OFFSET;
            b.putShort(checksum, (short) (b.getShort(checksum) ^ 0x1111));
        }
        if (!rightLength) {
            b.putShort(
                    FrameBuilder.L3 + Ipv6Packet.PAYLOAD_LENGTH_OFFSET,
                    (short) data.consumeInt(0, 0xFFFF),
                    ByteOrder.BIG_ENDIAN);
        }
        b.putBytes(0, vnet);
        return frame;
    }

    static void check(Dataplane dp, MemoryPort[] ports, int from, List<Throwable> errors) {
        assertTrue(errors.isEmpty(), () -> "dataplane error: " + errors);
        RouterFuzzTest.assertOneVerdictPerFrame(Dataplane.await(RouterFuzzTest.submit(dp)));
        for (int p = 0; p < ports.length; p++) {
            byte[] out;
            while ((out = ports[p].pollTransmitted()) != null) {
                final UnsafeBuffer b = new UnsafeBuffer(out);
                final long src = MacAddress.read(b, FrameBuilder.ETH + EthernetFrame.SOURCE_OFFSET);
                final int network = NETWORK_OF[p];
                if (network < 0) {
                    assertEquals(ROUTER_MAC, src, "the host link hears the router only");
                } else if (src != gatewayMac(network)) {
                    assertEquals(network, NETWORK_OF[from], "switched frames stay in their network");
                }
                final boolean switchMade = src == ROUTER_MAC || (network >= 0 && src == gatewayMac(network));
                final int etherType =
                        b.getShort(FrameBuilder.ETH + EthernetFrame.ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                if (switchMade && etherType == EthernetFrame.ETHERTYPE_IPV6 && !VirtioNetHeader.isGso(b, 0)) {
                    final int mtu = ports[p].mtu();
                    final int packet = out.length - FrameBuilder.L3;
                    assertTrue(packet <= mtu, () -> packet + " bytes out of a port with MTU " + mtu);
                }
                if (p == from
                        && etherType == EthernetFrame.ETHERTYPE_IPV6
                        && (b.getByte(FrameBuilder.L3 + Ipv6Packet.NEXT_HEADER_OFFSET) & 0xFF)
                                == Ipv6Packet.NEXT_HEADER_ICMPV6) {
                    // Nothing leaves by the port it came in on but the switch's own answers and errors,
                    // which always carry a right checksum.
                    final int length =
                            b.getShort(FrameBuilder.L3 + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN)
                                    & 0xFFFF;
                    assertEquals(out.length - FrameBuilder.IPV6_L4, length, "the payload length covers the message");
                    final int sum = InternetChecksum.partialSum(
                            b,
                            FrameBuilder.IPV6_L4,
                            length,
                            InternetChecksum.pseudoHeaderIpv6(
                                    b,
                                    FrameBuilder.L3 + Ipv6Packet.SOURCE_OFFSET,
                                    FrameBuilder.L3 + Ipv6Packet.DESTINATION_OFFSET,
                                    Ipv6Packet.NEXT_HEADER_ICMPV6,
                                    length));
                    assertEquals(
                            0xFFFF,
                            InternetChecksum.fold(sum),
                            "ICMPv6 checksum of type " + (b.getByte(FrameBuilder.IPV6_L4) & 0xFF));
                }
            }
        }
    }

    static <T> T call(Dataplane dp, CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }
}
