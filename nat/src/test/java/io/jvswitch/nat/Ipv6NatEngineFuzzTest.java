package io.jvswitch.nat;

import static io.jvswitch.switching.service.RoutingHook.DROP;
import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.switching.service.ConnectionSlot;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * Coverage-guided fuzz test of the IPv6 translator, as {@link NatEngineFuzzTest} is of IPv4's: TCP,
 * UDP and ping6 between containers of a masquerading and a routed network, the host and the world,
 * ICMPv6 errors quoting what went before (translated or not, cut short), fragments, with time
 * passing; some packets get a byte or their length spoiled. Without {@code JAZZER_FUZZ} it replays
 * its inputs as a regression test.
 *
 * <p>Properties: nothing throws; a well-formed packet the engine lets through keeps a valid L4
 * checksum; the table never holds more than its capacity; once everything has expired no address
 * keeps an id.
 */
class Ipv6NatEngineFuzzTest {
    static final int[] NETWORKS = {Ipv6NatEngineTest.FRONTEND, Ipv6NatEngineTest.ROUTED, HOST_LINK};
    static final String[] ADDRESSES = {
        Ipv6NatEngineTest.CLIENT,
        Ipv6NatEngineTest.WEB,
        Ipv6NatEngineTest.FLAT,
        Ipv6NatEngineTest.SERVER,
        Ipv6NatEngineTest.ROUTER,
        Ipv6NatEngineTest.HOST,
        Ipv6NatEngineTest.MASQ,
        Ipv6NatEngineTest.GATEWAY,
        "::",
        "ff02::1"
    };
    static final int[] PORTS = {80, 53, 443, 40000, 40001, 32768, 60999, 0, 65535};
    static final int CAPACITY = 32;

    @FuzzTest
    void packets(FuzzedDataProvider data) {
        final NatEngine nat = Ipv6NatEngineTest.engine(
                new NatContext().tableCapacity(CAPACITY).endpointLimit(6).conclude());
        final Ipv6NatEngine nat6 = nat.ipv6();
        long now = TimeUnit.SECONDS.toNanos(1000);
        final ConnectionSlot slot = new ConnectionSlot();
        UnsafeBuffer previous = null;
        for (int i = 0; i < 64 && data.remainingBytes() > 0; i++) {
            final int from = NETWORKS[data.consumeInt(0, NETWORKS.length - 1)];
            final int to = NETWORKS[data.consumeInt(0, NETWORKS.length - 1)];
            final String src = ADDRESSES[data.consumeInt(0, ADDRESSES.length - 1)];
            final String dst = ADDRESSES[data.consumeInt(0, ADDRESSES.length - 1)];
            final int sport = PORTS[data.consumeInt(0, PORTS.length - 1)];
            final int dport = PORTS[data.consumeInt(0, PORTS.length - 1)];
            final UnsafeBuffer packet;
            final int kind = data.consumeInt(0, 5);
            switch (kind) {
                case 0 -> packet = TestPackets6.tcp(src, sport, dst, dport, data.consumeInt(0, 0x3F));
                case 1 -> packet = TestPackets6.udp(src, sport, dst, dport);
                case 2 ->
                    packet = TestPackets6.echo(
                            src,
                            dst,
                            data.consumeBoolean() ? Icmpv6Packet.TYPE_ECHO_REQUEST : Icmpv6Packet.TYPE_ECHO_REPLY,
                            sport);
                case 3 -> packet = TestPackets6.tcpPartial(src, sport, dst, dport, TcpPacket.SYN);
                case 4 -> packet = TestPackets6.fragment(src, dst);
                default -> {
                    final UnsafeBuffer quoted = previous != null ? previous : TestPackets6.udp(dst, dport, src, sport);
                    packet = TestPackets6.icmpError(
                            src,
                            dst,
                            data.consumeInt(1, 4),
                            data.consumeInt(0, 4),
                            quoted,
                            data.consumeInt(0, Math.min(96, TestPackets6.ipLength(quoted))));
                }
            }
            boolean spoiled = false;
            if (data.consumeInt(0, 7) == 0) {
                packet.putByte(data.consumeInt(TestPackets6.IP, packet.capacity() - 1), data.consumeByte());
                spoiled = true;
            }
            int length = TestPackets6.ipLength(packet);
            if (data.consumeInt(0, 7) == 0) {
                length = data.consumeInt(0, length);
                spoiled = true;
            }
            now += TimeUnit.MILLISECONDS.toNanos(data.consumeInt(0, 200_000));
            final int before = nat6.beforeRouting(from, packet, TestPackets6.IP, length, now, slot);
            int verdict = before;
            if (before != DROP && data.consumeInt(0, 15) != 0) {
                verdict = nat6.afterRouting(from, to, packet, TestPackets6.IP, length, now, slot);
            }
            slot.clear(); // as the switch does when the next frame begins
            if (verdict != DROP && !spoiled && kind != 4) {
                if (kind == 3) {
                    assertPartialChecksum(packet);
                } else {
                    TestPackets6.assertChecksums(packet);
                }
            }
            if (data.consumeInt(0, 15) == 0) {
                nat.housekeeping(now);
            }
            assertTrue(nat6.table().size() <= CAPACITY);
            previous = packet;
        }
        now += TimeUnit.DAYS.toNanos(6);
        nat.expire(now, CAPACITY);
        assertEquals(0, nat6.table().size());
        assertEquals(0, nat6.ids().size(), "ids left");
    }

    /** An offloaded segment's checksum field holds the pseudo-header sum of its addresses as they are now. */
    private static void assertPartialChecksum(UnsafeBuffer packet) {
        final Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(packet, TestPackets6.IP, packet.capacity() - TestPackets6.IP));
        assertEquals(
                InternetChecksum.fold(ip.pseudoHeaderSum(Ipv6Packet.NEXT_HEADER_TCP, ip.payloadLength())) & 0xFFFF,
                packet.getShort(TestPackets6.L4 + 16, ByteOrder.BIG_ENDIAN) & 0xFFFF,
                "partial TCP checksum: the pseudo-header sum");
    }
}
