package io.jvswitch.nat;

import static io.jvswitch.nat.NatEngineTest.CLIENT;
import static io.jvswitch.nat.NatEngineTest.FRONTEND;
import static io.jvswitch.nat.NatEngineTest.MASQ;
import static io.jvswitch.nat.NatEngineTest.SERVER;
import static io.jvswitch.nat.TestPackets.IP;
import static io.jvswitch.nat.TestPackets.assertChecksums;
import static io.jvswitch.packet.TcpPacket.ACK;
import static io.jvswitch.packet.TcpPacket.PSH;
import static io.jvswitch.packet.TcpPacket.SYN;
import static io.jvswitch.switching.service.RoutingHook.DROP;
import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.switching.service.ConnectionSlot;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link NatEngine#prefetch} is a hint: the same traffic routed with and without it must come out
 * byte for byte the same, with the same verdicts, counters and connections; malformed packets in a
 * batch must not make it throw; and it must really find the connections of a batch (else it
 * overlaps no miss at all).
 */
class NatPrefetchTest {
    private static final int FLOWS = 40; // with the extras below, more than one pass of ConnectionTable.BATCH

    private final long now = TimeUnit.SECONDS.toNanos(1000);
    private final NatEngine plain = NatEngineTest.engine(new NatContext().conclude());
    private final NatEngine prefetched = NatEngineTest.engine(new NatContext().conclude());

    @Test
    void prefetchChangesNothingAndFindsTheBatchsConnections() {
        // Openings from the network, with a retransmitted SYN in the same batch: its lookup must see
        // the connection the first one created, not what prefetch saw before it existed.
        final List<UnsafeBuffer> syns = new ArrayList<>();
        for (int i = 0; i < FLOWS; i++) {
            syns.add(TestPackets.tcp(CLIENT, 40000 + i, SERVER, 443, SYN));
        }
        syns.add(TestPackets.tcp(CLIENT, 40000, SERVER, 443, SYN));
        syns.add(TestPackets.udp(CLIENT, 5000, SERVER, 53, false));
        syns.add(TestPackets.icmpEcho(CLIENT, SERVER, 8, 77));
        syns.addAll(malformed());
        assertEquals(0, both(FRONTEND, HOST_LINK, syns), "nothing was tracked before");
        assertEquals(FLOWS + 3, prefetched.prefetchedTuples(), "the malformed ones were left out");

        // The answers: each belongs to a connection, and prefetch must find every one.
        final List<UnsafeBuffer> answers = new ArrayList<>();
        for (int i = 0; i < FLOWS; i++) {
            answers.add(TestPackets.tcp(SERVER, 443, MASQ, 40000 + i, SYN | ACK));
        }
        answers.add(TestPackets.udp(SERVER, 53, MASQ, 5000, false));
        answers.add(TestPackets.icmpEcho(SERVER, MASQ, 0, 77));
        answers.addAll(malformed());
        assertEquals(FLOWS + 2, both(HOST_LINK, FRONTEND, answers));
        assertEquals(FLOWS + 3 + FLOWS + 2, prefetched.prefetchedTuples(), "the malformed ones were left out");
        // Answers create nothing, so every one of them took its connection from what prefetch found;
        // of the openings only the first could (finding nothing): it changed the table.
        assertEquals(1 + FLOWS + 2, prefetched.prefetchedUsed(), "lookups answered by prefetch");

        final List<UnsafeBuffer> data = new ArrayList<>();
        for (int i = 0; i < FLOWS; i++) {
            data.add(TestPackets.tcp(CLIENT, 40000 + i, SERVER, 443, ACK));
            data.add(TestPackets.tcp(CLIENT, 40000 + i, SERVER, 443, ACK | PSH));
        }
        assertEquals(2 * FLOWS, both(FRONTEND, HOST_LINK, data));
        assertEquals(FLOWS, plain.counters().created() - 2, "TCP connections created");
        // 80 packets: a pass of ConnectionTable.BATCH, then one of 16, whose answers are the ones kept.
        assertEquals(1 + FLOWS + 2 + 2 * FLOWS - ConnectionTable.BATCH, prefetched.prefetchedUsed());
    }

    @Test
    void connectionsExpiringWithinABatchAreNotTakenFromIt() {
        final List<UnsafeBuffer> first = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            first.add(TestPackets.udp(CLIENT, 5000 + i, SERVER, 53, false));
        }
        assertEquals(0, both(FRONTEND, HOST_LINK, first, now));
        // Past the unreplied UDP timeout: prefetch still finds each connection, but the first packet
        // routed removes its expired connection (and the expiry slice others), so what prefetch
        // found no longer holds, and the rest must look up again and open new connections.
        final long later = now + TimeUnit.SECONDS.toNanos(31);
        assertEquals(20, both(FRONTEND, HOST_LINK, first, later));
        assertEquals(20, plain.counters().expired(), "every old connection expired");
        assertEquals(40, plain.counters().created(), "and each got a new one");
    }

    /**
     * Routes copies of {@code packets} through both engines, as one receive batch for the
     * prefetching one, and checks they agree on everything; returns how many prefetch found.
     */
    private long both(int from, int to, List<UnsafeBuffer> packets) {
        return both(from, to, packets, now);
    }

    private long both(int from, int to, List<UnsafeBuffer> packets, long now) {
        final int count = packets.size();
        final UnsafeBuffer[] a = new UnsafeBuffer[count];
        final UnsafeBuffer[] b = new UnsafeBuffer[count];
        final int[] ipLengths = new int[count];
        for (int i = 0; i < count; i++) {
            a[i] = copy(packets.get(i));
            b[i] = copy(packets.get(i));
            ipLengths[i] = packets.get(i).capacity() - IP;
        }
        final long foundBefore = prefetched.prefetchedFound();
        prefetched.prefetch(from, b, IP, ipLengths, count);
        for (int i = 0; i < count; i++) {
            final int expected = route(plain, from, to, a[i], ipLengths[i], now);
            assertEquals(expected, route(prefetched, from, to, b[i], ipLengths[i], now), "verdict of packet " + i);
            assertArrayEquals(a[i].byteArray(), b[i].byteArray(), "bytes of packet " + i);
            if (expected != DROP && ipLengths[i] >= 40 && isWellFormed(b[i])) {
                assertChecksums(b[i]);
            }
        }
        final NatCounters x = plain.counters();
        final NatCounters y = prefetched.counters();
        assertEquals(
                List.of(x.connections(), x.created(), x.expired(), x.translated(), x.untracked()),
                List.of(y.connections(), y.created(), y.expired(), y.translated(), y.untracked()));
        assertArrayEquals(x.drops(), y.drops());
        assertEquals(
                plain.connections(NatEngine.ALL_NETWORKS, now, 1000),
                prefetched.connections(NatEngine.ALL_NETWORKS, now, 1000));
        return prefetched.prefetchedFound() - foundBefore;
    }

    private static int route(NatEngine nat, int from, int to, UnsafeBuffer packet, int ipLength, long now) {
        final ConnectionSlot slot = new ConnectionSlot();
        final int before = nat.beforeRouting(from, packet, IP, ipLength, now, slot);
        if (before == DROP) {
            return DROP;
        }
        return nat.afterRouting(from, to, packet, IP, ipLength, now, slot) == DROP ? DROP : before;
    }

    /** Hostile input a receive batch may carry: none of it may be looked up, nor make prefetch throw. */
    private static List<UnsafeBuffer> malformed() {
        final List<UnsafeBuffer> out = new ArrayList<>();
        // Cut short: 10 bytes of IPv4 header in a buffer that ends there.
        out.add(new UnsafeBuffer(TestPackets.tcp(CLIENT, 1, SERVER, 2, SYN).byteArray(), 0, IP + 10));
        // A header length (60) beyond the packet.
        UnsafeBuffer p = TestPackets.tcp(CLIENT, 1, SERVER, 2, SYN, 0);
        p.putByte(IP, (byte) 0x4F);
        out.add(p);
        // A total length that leaves no room for the TCP header.
        p = TestPackets.tcp(CLIENT, 1, SERVER, 2, SYN);
        p.putShort(IP + Ipv4Packet.TOTAL_LENGTH_OFFSET, (short) 30, ByteOrder.BIG_ENDIAN);
        out.add(p);
        // A first fragment and a later one: no lookup for fragments.
        p = TestPackets.udp(CLIENT, 6000, SERVER, 53, false);
        p.putShort(IP + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) 0x2000, ByteOrder.BIG_ENDIAN);
        out.add(p);
        p = TestPackets.udp(CLIENT, 6000, SERVER, 53, false);
        p.putShort(IP + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) 0x0003, ByteOrder.BIG_ENDIAN);
        out.add(p);
        // Not TCP, UDP or ICMP; an ICMP error; an ICMP type tracking ignores.
        p = TestPackets.udp(CLIENT, 6000, SERVER, 53, false);
        p.putByte(IP + Ipv4Packet.PROTOCOL_OFFSET, (byte) 47);
        out.add(p);
        out.add(TestPackets.icmpError(SERVER, MASQ, 3, 3, TestPackets.udp(MASQ, 5000, SERVER, 53, false), 28));
        out.add(TestPackets.icmpEcho(CLIENT, SERVER, 13, 5));
        return out;
    }

    private static boolean isWellFormed(UnsafeBuffer packet) {
        final Ipv4Packet ip = new Ipv4Packet();
        return ip.wrap(packet, IP, packet.capacity() - IP)
                && ip.totalLength() == packet.capacity() - IP
                && !ip.isFragment()
                && ip.headerLength() == Ipv4Packet.MIN_HEADER_LENGTH
                && (ip.protocol() != Ipv4Packet.PROTOCOL_ICMP || (packet.getByte(IP + 20) & 0xFF) != 13);
    }

    private static UnsafeBuffer copy(UnsafeBuffer packet) {
        final byte[] bytes = new byte[packet.capacity()];
        packet.getBytes(0, bytes);
        return new UnsafeBuffer(bytes);
    }
}
