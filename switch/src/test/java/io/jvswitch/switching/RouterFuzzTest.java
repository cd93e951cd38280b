package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.switching.service.GatewayDatagramService;
import io.jvswitch.testsupport.FrameBuilder;
import io.jvswitch.testsupport.Ipv4Frame;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

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

    /** Consumes the fuzzer's bytes in a fixed order (the corpus depends on it) and builds the frame they say. */
    static byte[] frame(FuzzedDataProvider data, int from, long ownMac) {
        byte[] vnet = new byte[VirtioNetHeader.LENGTH];
        if (data.consumeBoolean()) {
            final int flags = data.consumeInt(0, 3);
            final int gsoType = data.consumeInt(0, 5);
            final int gsoSize = data.consumeInt(0, 2000);
            vnet = FrameBuilder.vnetHeader(flags, gsoType, 0, gsoSize, 34, data.consumeInt(0, 16));
        }
        final int network = NETWORK_OF[from];
        final long dstMac = data.consumeBoolean()
                ? (network < 0 ? ROUTER_MAC : gatewayMac(network))
                : data.consumeLong(0, MacAddress.BROADCAST);
        final int optionWords = data.consumeInt(0, 2);
        final int headerLength = Ipv4Packet.MIN_HEADER_LENGTH + 4 * optionWords;
        final byte[] l4 = data.consumeBytes(data.consumeInt(0, 3000));
        final int protocol = new int[] {
                    Ipv4Packet.PROTOCOL_ICMP, Ipv4Packet.PROTOCOL_TCP, Ipv4Packet.PROTOCOL_UDP, data.consumeInt(0, 255)
                }
                [data.consumeInt(0, 3)];
        final int total = data.consumeBoolean() ? headerLength + l4.length : data.consumeInt(0, 0xFFFF);
        final int flags = (data.consumeBoolean() ? Ipv4Packet.FLAG_DONT_FRAGMENT : 0)
                | (data.consumeBoolean() ? Ipv4Packet.FLAG_MORE_FRAGMENTS : 0)
                | (data.consumeBoolean() ? data.consumeInt(0, Ipv4Packet.FRAGMENT_OFFSET_MASK) : 0);
        final int source = network < 0 ? IP_POOL[data.consumeInt(0, IP_POOL.length - 1)] : IP_POOL[from];
        final int id = data.consumeInt(0, 0xFFFF);
        final int ttl = data.consumeInt(0, 3);
        final int destination = IP_POOL[data.consumeInt(0, IP_POOL.length - 1)];
        final int checksumXor = data.consumeInt(0, 7) == 0 ? 0x1111 : 0;
        boolean echoChecksummed = false;
        if (protocol == Ipv4Packet.PROTOCOL_ICMP && l4.length >= 4 && data.consumeBoolean()) {
            l4[IcmpPacket.TYPE_OFFSET] = (byte) IcmpPacket.TYPE_ECHO_REQUEST;
            l4[IcmpPacket.CODE_OFFSET] = 0;
            echoChecksummed = true; // the builder fills in the checksum
        }
        if (protocol == Ipv4Packet.PROTOCOL_UDP && l4.length >= UdpPacket.HEADER_LENGTH && data.consumeBoolean()) {
            final UnsafeBuffer udp = new UnsafeBuffer(l4); // to the service, with no checksum
            udp.putShort(UdpPacket.DESTINATION_PORT_OFFSET, (short) 53, ByteOrder.BIG_ENDIAN);
            udp.putShort(UdpPacket.LENGTH_OFFSET, (short) l4.length, ByteOrder.BIG_ENDIAN);
            udp.putShort(UdpPacket.CHECKSUM_OFFSET, (short) 0);
        }
        final Ipv4Frame frame = FrameBuilder.ipv4Frame(dstMac, ownMac, source, destination, protocol, l4)
                .vnetHeader(vnet)
                .noOperationOptions(optionWords)
                .totalLength(total)
                .id(id)
                .flagsAndFragmentOffset(flags)
                .ttl(ttl)
                .headerChecksumXor(checksumXor);
        return (echoChecksummed ? frame : frame.rawTransport()).build();
    }

    static void check(Dataplane dp, MemoryPort[] ports, int from, List<Throwable> errors) {
        assertTrue(errors.isEmpty(), () -> "dataplane error: " + errors);
        assertOneVerdictPerFrame(Dataplane.await(submit(dp)));
        for (int p = 0; p < ports.length; p++) {
            byte[] out;
            while ((out = ports[p].pollTransmitted()) != null) {
                final UnsafeBuffer b = new UnsafeBuffer(out);
                final long dst = MacAddress.read(b, FrameBuilder.ETH + EthernetFrame.DESTINATION_OFFSET);
                final long src = MacAddress.read(b, FrameBuilder.ETH + EthernetFrame.SOURCE_OFFSET);
                final int network = NETWORK_OF[p];
                if (network < 0) {
                    assertEquals(ROUTER_MAC, src, "the host link hears the router only");
                } else if (src != gatewayMac(network)) {
                    assertEquals(network, NETWORK_OF[from], "switched frames stay in their network");
                }
                final int etherType =
                        b.getShort(FrameBuilder.ETH + EthernetFrame.ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                final boolean routed = src == ROUTER_MAC || (network >= 0 && src == gatewayMac(network));
                if (routed && etherType == EthernetFrame.ETHERTYPE_IPV4 && dst != 0) {
                    final int l3 = FrameBuilder.L3;
                    final int ihl = (b.getByte(l3 + Ipv4Packet.VERSION_IHL_OFFSET) & 0xF) * 4;
                    assertEquals(
                            0, InternetChecksum.compute(b, l3, ihl), "routed packets carry a valid header checksum");
                    final int total = b.getShort(l3 + Ipv4Packet.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                    assertTrue(
                            VirtioNetHeader.isGso(b, 0) || total <= ports[p].mtu(),
                            () -> total + " bytes out of a port with MTU " + ports[ports.length - 1].mtu());
                }
            }
        }
    }

    /** Every frame a port received has exactly one verdict: sent on, answered, routed, or dropped at ingress. */
    static void assertOneVerdictPerFrame(List<PortStats> ports) {
        for (PortStats s : ports) {
            assertEquals(
                    s.get(PortCounter.RX_FRAMES),
                    s.get(PortCounter.FORWARDED)
                            + s.get(PortCounter.FLOODED)
                            + s.get(PortCounter.ARP_ANSWERED)
                            + s.get(PortCounter.ROUTED)
                            + s.get(PortCounter.GATEWAY_ANSWERED)
                            + PipelineFuzzTest.ingressDrops(s),
                    () -> "one verdict per frame on " + s);
        }
    }

    static CompletableFuture<List<PortStats>> submit(Dataplane dp) {
        final var future = dp.portStats();
        dp.runDutyCycle();
        return future;
    }

    static <T> T call(Dataplane dp, CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }
}
