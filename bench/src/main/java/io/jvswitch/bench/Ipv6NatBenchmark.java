package io.jvswitch.bench;

import io.jvswitch.nat.Ipv6NatEngine;
import io.jvswitch.nat.Ipv6NatPolicy;
import io.jvswitch.nat.NatContext;
import io.jvswitch.nat.NatEngine;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.service.ConnectionSlot;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * IPv6 masquerade, one core, beside {@link NatBenchmark}: {@code flows} established masqueraded TCP
 * connections in the IPv6 translator's table, each operation one packet of a connection picked in
 * a shuffled order, copied from its template into the work buffer, then {@code beforeRouting}
 * (address ids, lookup, TCP state) and {@code afterRouting} (source rewrite, RFC 1624 update of the
 * TCP checksum over the 128-bit address) as the IPv6 router calls them. Score: packets per second;
 * goal 0 B/op. Teardown fails the run if a packet was dropped or left untranslated.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class Ipv6NatBenchmark {
    static final int BATCH = 64;
    private static final int IP = VirtioNetHeader.LENGTH + 14;
    private static final int L4 = IP + Ipv6Packet.HEADER_LENGTH;
    private static final int FRAME = L4 + TcpPacket.MIN_HEADER_LENGTH;
    private static final int NETWORK = 1;
    private static final long CLIENT_HIGH = 0xfd00_0020_0000_0000L;
    private static final long SERVER_HIGH = 0x2001_0db8_0000_0000L;
    private static final long MASQ_HIGH = 0xfd4a_5653_0000_0000L;
    private static final long MASQ_LOW = 1;

    @Param({"65536"})
    int flows;

    private Ipv6NatEngine nat;
    private NatEngine engine;
    private UnsafeBuffer templates;
    private final UnsafeBuffer work = new UnsafeBuffer(new byte[FRAME]);
    private final ConnectionSlot slot = new ConnectionSlot();
    private int next;
    private long now = TimeUnit.SECONDS.toNanos(1);
    private long translatedAtStart;

    @Setup(Level.Trial)
    public void setUp() {
        engine = new NatEngine(new NatContext().tableCapacity(flows).conclude());
        engine.ipv6Policy(new Ipv6NatPolicy(MASQ_HIGH, MASQ_LOW, List.of(NETWORK), new long[0]));
        nat = engine.ipv6();
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[FRAME]);
        for (int i = 0; i < flows; i++) {
            // A distinct server per connection keeps every original source port free: no port search here.
            final long client = client(i);
            final int port = port(i);
            route(
                    RoutingHook.HOST_LINK,
                    frame(packet, CLIENT_HIGH, client, port, SERVER_HIGH, i, 443, TcpPacket.SYN),
                    NETWORK);
            route(
                    NETWORK,
                    frame(packet, SERVER_HIGH, i, 443, MASQ_HIGH, MASQ_LOW, port, TcpPacket.SYN | TcpPacket.ACK),
                    RoutingHook.HOST_LINK);
            route(
                    RoutingHook.HOST_LINK,
                    frame(packet, CLIENT_HIGH, client, port, SERVER_HIGH, i, 443, TcpPacket.ACK),
                    NETWORK);
        }
        NatTrial.checkSetUp(engine.counters(), flows);
        final int[] order = NatTrial.shuffledOrder(flows);
        templates = new UnsafeBuffer(new byte[flows * FRAME]);
        for (int i = 0; i < flows; i++) {
            final int f = order[i];
            frame(packet, CLIENT_HIGH, client(f), port(f), SERVER_HIGH, f, 443, TcpPacket.ACK | TcpPacket.PSH);
            templates.putBytes(i * FRAME, packet, 0, FRAME);
        }
        translatedAtStart = engine.counters().translated();
    }

    /** Routes one packet: {@code to} is where it goes, {@code from} where it came from. */
    private void route(int to, UnsafeBuffer packet, int from) {
        final int before = nat.beforeRouting(from, packet, IP, FRAME - IP, now, slot);
        final int after = nat.afterRouting(from, to, packet, IP, FRAME - IP, now, slot);
        SwitchFixture.check(before != RoutingHook.DROP && after != RoutingHook.DROP, "setup packet dropped");
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int translate() {
        int sum = 0;
        for (int i = 0; i < BATCH; i++) {
            work.putBytes(0, templates, next * FRAME, FRAME);
            next = next + 1 == flows ? 0 : next + 1;
            nat.beforeRouting(NETWORK, work, IP, FRAME - IP, now, slot);
            nat.afterRouting(NETWORK, RoutingHook.HOST_LINK, work, IP, FRAME - IP, now, slot);
            sum += work.getShort(L4, ByteOrder.BIG_ENDIAN);
        }
        now += 1000;
        return sum;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        NatTrial.checkTrial(engine.counters(), flows, translatedAtStart);
        SwitchFixture.check(
                work.getLong(IP + Ipv6Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN) == MASQ_HIGH
                        && work.getLong(IP + Ipv6Packet.SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN) == MASQ_LOW,
                "the last packet was not masqueraded");
    }

    private static long client(int i) {
        return 2 + (i >>> 6);
    }

    private static int port(int i) {
        return 20000 + (i & 63);
    }

    /** Writes an Ethernet/IPv6/TCP frame (no payload) with a valid checksum into {@code b}. */
    private static UnsafeBuffer frame(
            UnsafeBuffer b,
            long sourceHigh,
            long sourceLow,
            int sourcePort,
            long destinationHigh,
            long destinationLow,
            int destinationPort,
            int flags) {
        b.setMemory(0, FRAME, (byte) 0);
        b.putShort(VirtioNetHeader.LENGTH + 12, (short) 0x86DD, ByteOrder.BIG_ENDIAN);
        b.putInt(IP, Ipv6Packet.VERSION_WORD, ByteOrder.BIG_ENDIAN);
        b.putShort(IP + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) TcpPacket.MIN_HEADER_LENGTH, ByteOrder.BIG_ENDIAN);
        final Ipv6Packet ip = new Ipv6Packet();
        ip.wrap(b, IP, FRAME - IP);
        ip.setNextHeader(Ipv6Packet.NEXT_HEADER_TCP);
        ip.setHopLimit(64);
        ip.setSource(sourceHigh, sourceLow);
        ip.setDestination(destinationHigh, destinationLow);
        b.putShort(L4, (short) sourcePort, ByteOrder.BIG_ENDIAN);
        b.putShort(L4 + 2, (short) destinationPort, ByteOrder.BIG_ENDIAN);
        b.putByte(L4 + 12, (byte) 0x50);
        b.putByte(L4 + 13, (byte) flags);
        final TcpPacket tcp = new TcpPacket();
        tcp.wrap(b, L4, TcpPacket.MIN_HEADER_LENGTH);
        tcp.setChecksum(
                tcp.computeChecksum(ip.pseudoHeaderSum(Ipv6Packet.NEXT_HEADER_TCP, TcpPacket.MIN_HEADER_LENGTH)));
        return b;
    }
}
