package io.jvswitch.nat;

import static io.jvswitch.switching.service.RoutingHook.DROP;
import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.switching.service.ConnectionSlot;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * Coverage-guided fuzz test of the connection tracker and translator in both directions: TCP, UDP
 * and ICMP echo between containers of three networks (one not masquerading), the host and the
 * world, published ports, and ICMP errors quoting what went before (translated or not, cut short),
 * with time passing; some packets get a byte or their length spoiled. Without {@code JAZZER_FUZZ}
 * it replays its inputs as a regression test.
 *
 * <p>Properties: nothing throws; a well-formed packet the engine lets through keeps valid IPv4 and
 * L4 checksums; no endpoint holds more connections than its share; the table never holds more
 * than its capacity.
 */
class NatEngineFuzzTest {
    static final int[] NETWORKS = {NatEngineTest.FRONTEND, NatEngineTest.BACKEND, NatEngineTest.ROUTED, HOST_LINK};
    static final String[] ADDRESSES = {
        NatEngineTest.CLIENT,
        NatEngineTest.WEB,
        NatEngineTest.OTHER,
        "172.21.0.7",
        NatEngineTest.SERVER,
        NatEngineTest.HOST,
        NatEngineTest.MASQ,
        "169.254.42.1",
        "172.19.0.1",
        "10.99.0.254",
        "0.0.0.0",
        "255.255.255.255"
    };
    static final int[] PORTS = {80, 8080, 5353, 53, 443, 40000, 40001, 32768, 60999, 0, 65535};
    static final int CAPACITY = 32;
    static final int PER_ENDPOINT = 6;

    @FuzzTest
    void packets(FuzzedDataProvider data) {
        final NatEngine nat = NatEngineTest.engine(new NatContext()
                .tableCapacity(CAPACITY)
                .endpointLimit(PER_ENDPOINT)
                .conclude());
        long now = TimeUnit.SECONDS.toNanos(1000);
        final ConnectionSlot slot = new ConnectionSlot(); // the switch's, reused for every packet
        UnsafeBuffer previous = null;
        for (int i = 0; i < 64 && data.remainingBytes() > 0; i++) {
            final int from = NETWORKS[data.consumeInt(0, NETWORKS.length - 1)];
            final int to = NETWORKS[data.consumeInt(0, NETWORKS.length - 1)];
            final String src = ADDRESSES[data.consumeInt(0, ADDRESSES.length - 1)];
            final String dst = ADDRESSES[data.consumeInt(0, ADDRESSES.length - 1)];
            final int sport = PORTS[data.consumeInt(0, PORTS.length - 1)];
            final int dport = PORTS[data.consumeInt(0, PORTS.length - 1)];
            final UnsafeBuffer packet;
            final int kind = data.consumeInt(0, 4);
            switch (kind) {
                case 0 -> packet = TestPackets.tcp(src, sport, dst, dport, data.consumeInt(0, 0x3F));
                case 1 -> packet = TestPackets.udp(src, sport, dst, dport, data.consumeBoolean());
                case 2 -> packet = TestPackets.icmpEcho(src, dst, data.consumeBoolean() ? 8 : 0, sport);
                case 3 -> packet = TestPackets.tcpPartial(src, sport, dst, dport, TcpPacket.SYN);
                default -> {
                    final UnsafeBuffer quoted =
                            previous != null ? previous : TestPackets.udp(dst, dport, src, sport, false);
                    packet = TestPackets.icmpError(
                            src,
                            dst,
                            data.consumeBoolean() ? 3 : 11,
                            data.consumeInt(0, 4),
                            quoted,
                            data.consumeInt(0, Math.min(64, TestPackets.ipLength(quoted))));
                }
            }
            boolean spoiled = false;
            if (data.consumeInt(0, 7) == 0) {
                final int at = data.consumeInt(TestPackets.IP, packet.capacity() - 1);
                packet.putByte(at, data.consumeByte());
                spoiled = true;
            }
            int length = TestPackets.ipLength(packet);
            if (data.consumeInt(0, 7) == 0) {
                length = data.consumeInt(0, length);
                spoiled = true;
            }
            now += TimeUnit.MILLISECONDS.toNanos(data.consumeInt(0, 200_000));
            final int before = nat.beforeRouting(from, packet, TestPackets.IP, length, now, slot);
            int verdict = before;
            if (before != DROP && data.consumeInt(0, 15) != 0) {
                verdict = nat.afterRouting(from, to, packet, TestPackets.IP, length, now, slot);
            }
            if (verdict != DROP && !spoiled) {
                if (kind == 3) {
                    assertPartialChecksum(packet);
                } else {
                    TestPackets.assertChecksums(packet);
                }
            }
            if (data.consumeInt(0, 15) == 0) {
                nat.housekeeping(now);
            }
            assertTrue(nat.counters().connections() <= CAPACITY);
            for (int network : NETWORKS) {
                for (String address : ADDRESSES) {
                    assertTrue(nat.connectionsOf(network, TestPackets.ip(address)) <= PER_ENDPOINT);
                }
            }
            previous = packet;
        }
        // Everything expires in the end, and every endpoint's count with it.
        now += TimeUnit.DAYS.toNanos(6);
        nat.expire(now, CAPACITY);
        assertTrue(nat.counters().connections() == 0);
        for (int network : NETWORKS) {
            for (String address : ADDRESSES) {
                assertTrue(nat.connectionsOf(network, TestPackets.ip(address)) == 0);
            }
        }
    }

    /** An offloaded segment's checksum field holds the pseudo-header sum of its addresses as they are now. */
    private static void assertPartialChecksum(UnsafeBuffer packet) {
        final Ipv4Packet ipv4 = new Ipv4Packet();
        assertTrue(ipv4.wrap(packet, TestPackets.IP, packet.capacity() - TestPackets.IP));
        assertTrue(ipv4.isHeaderChecksumValid(), "IPv4 header checksum");
        assertEquals(
                InternetChecksum.fold(ipv4.pseudoHeaderSum()) & 0xFFFF,
                packet.getShort(ipv4.payloadOffset() + 16, ByteOrder.BIG_ENDIAN) & 0xFFFF,
                "partial TCP checksum: the pseudo-header sum");
    }
}
