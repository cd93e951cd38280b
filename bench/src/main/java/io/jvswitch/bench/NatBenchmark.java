package io.jvswitch.bench;

import io.jvswitch.nat.NatContext;
import io.jvswitch.nat.NatEngine;
import io.jvswitch.nat.NatPolicy;
import io.jvswitch.nat.PublishedPorts;
import io.jvswitch.packet.Ipv4Packet;
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
 * Connection tracking and translation, one core, with {@code flows} established masqueraded TCP
 * connections in the table (1 M by default). Each operation is one packet of a connection picked
 * in a shuffled order over all of them (so the table is read from memory, not from a warm cache
 * line): the 64-byte frame is copied from its template into the work buffer (the stand-in for
 * the TAP read, since translation rewrites it in place), then {@code beforeRouting} (lookup, TCP
 * state, deadline) and {@code afterRouting} (source rewrite with RFC 1624 updates of the IPv4 and
 * TCP checksums) run as the router calls them. Score: packets per second; goal 8 M/s, 0 B/op.
 *
 * <p>{@code path}: {@code single} handles one packet at a time; {@code batch} is what the router
 * does with a hook installed: frames copied into their own buffers in bursts of
 * {@link RoutingHook#PREFETCH_BURST} (the stand-in for one burst of port reads), each burst shown
 * to {@link NatEngine#prefetch}, then every packet routed exactly as {@code single} does. Same
 * work per packet; the burst only lets the table's cache misses overlap.
 *
 * <p>Setup routes a real three-way handshake through the engine for every connection; teardown
 * fails the run if any packet was dropped or left untranslated.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class NatBenchmark {
    static final int BATCH = 64;
    private static final int FRAME = 64;
    private static final int IP = VirtioNetHeader.LENGTH + 14;
    private static final int L4 = IP + 20;
    private static final int NETWORK = 1;
    private static final int MASQ = 0xA9FE_2A02;
    private static final int CLIENT_BASE = 0xAC10_0000;
    private static final int SERVER_BASE = 0x0A00_0000;

    @Param({"1048576"})
    int flows;

    @Param({"single", "batch"})
    String path;

    private NatEngine nat;
    private UnsafeBuffer templates;
    private final UnsafeBuffer work = new UnsafeBuffer(new byte[FRAME]);
    private final UnsafeBuffer[] batch = new UnsafeBuffer[BATCH];
    private final int[] ipLengths = new int[BATCH];
    private final ConnectionSlot slot = new ConnectionSlot();
    private final UnsafeBuffer[] burst = new UnsafeBuffer[RoutingHook.PREFETCH_BURST];
    private boolean batched;
    private int next;
    private long now = TimeUnit.SECONDS.toNanos(1);
    private long translatedAtStart;

    @Setup(Level.Trial)
    public void setUp() {
        SwitchFixture.check(path.equals("single") || path.equals("batch"), "path is single or batch, not " + path);
        batched = path.equals("batch");
        nat = new NatEngine(new NatContext().tableCapacity(flows).conclude());
        nat.policy(new NatPolicy(
                MASQ,
                List.of(new NatPolicy.NetworkNat(NETWORK, true, CLIENT_BASE | 1)),
                new int[0],
                PublishedPorts.EMPTY));
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[FRAME]);
        for (int i = 0; i < flows; i++) {
            // A distinct server per connection keeps every original source port free: no port search here.
            final int client = client(i);
            final int port = port(i);
            final int server = SERVER_BASE + i;
            route(RoutingHook.HOST_LINK, frame(packet, client, port, server, 443, TcpPacket.SYN), NETWORK);
            route(
                    NETWORK,
                    frame(packet, server, 443, MASQ, port, TcpPacket.SYN | TcpPacket.ACK),
                    RoutingHook.HOST_LINK);
            route(RoutingHook.HOST_LINK, frame(packet, client, port, server, 443, TcpPacket.ACK), NETWORK);
        }
        NatTrial.checkSetUp(nat.counters(), flows);
        // Templates: one established-state ACK per connection, in a shuffled order.
        final int[] order = NatTrial.shuffledOrder(flows);
        templates = new UnsafeBuffer(new byte[flows * FRAME]);
        for (int i = 0; i < flows; i++) {
            final int f = order[i];
            frame(packet, client(f), port(f), SERVER_BASE + f, 443, TcpPacket.ACK | TcpPacket.PSH);
            templates.putBytes(i * FRAME, packet, 0, FRAME);
        }
        for (int i = 0; i < BATCH; i++) {
            batch[i] = new UnsafeBuffer(new byte[FRAME]);
            ipLengths[i] = FRAME - IP;
        }
        translatedAtStart = nat.counters().translated();
    }

    /** Routes one packet: {@code to} is where it goes; the source is the opposite side. */
    private void route(int to, UnsafeBuffer packet, int from) {
        final int before = nat.beforeRouting(from, packet, IP, FRAME - IP, now, slot);
        final int after = nat.afterRouting(from, to, packet, IP, FRAME - IP, now, slot);
        SwitchFixture.check(before != RoutingHook.DROP && after != RoutingHook.DROP, "setup packet dropped");
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int translate() {
        return batched ? translateBatch() : translateSingle();
    }

    /** As the router does with a hook: bursts of {@link RoutingHook#PREFETCH_BURST} frames, shown to the hook, then routed. */
    private int translateBatch() {
        int sum = 0;
        for (int start = 0; start < BATCH; start += RoutingHook.PREFETCH_BURST) {
            for (int i = start; i < start + RoutingHook.PREFETCH_BURST; i++) {
                batch[i].putBytes(0, templates, next * FRAME, FRAME);
                next = next + 1 == flows ? 0 : next + 1;
            }
            // the router passes each burst from the start of its own buffer array; so does this
            System.arraycopy(batch, start, burst, 0, RoutingHook.PREFETCH_BURST);
            nat.prefetch(NETWORK, burst, IP, ipLengths, RoutingHook.PREFETCH_BURST);
            for (int i = start; i < start + RoutingHook.PREFETCH_BURST; i++) {
                final UnsafeBuffer frame = batch[i];
                nat.beforeRouting(NETWORK, frame, IP, FRAME - IP, now, slot);
                nat.afterRouting(NETWORK, RoutingHook.HOST_LINK, frame, IP, FRAME - IP, now, slot);
                sum += frame.getShort(L4, ByteOrder.BIG_ENDIAN);
            }
        }
        now += 1000;
        return sum;
    }

    private int translateSingle() {
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
        NatTrial.checkTrial(nat.counters(), flows, translatedAtStart);
        final UnsafeBuffer last = batched ? batch[BATCH - 1] : work;
        SwitchFixture.check(
                last.getInt(IP + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN) == MASQ,
                "the last packet was not masqueraded");
    }

    private static int client(int i) {
        return CLIENT_BASE + 2 + (i >>> 6);
    }

    private static int port(int i) {
        return 20000 + (i & 63);
    }

    /** Writes an Ethernet/IPv4/TCP frame (no payload) with valid checksums into {@code b}. */
    private static UnsafeBuffer frame(
            UnsafeBuffer b, int source, int sourcePort, int destination, int destinationPort, int flags) {
        b.setMemory(0, FRAME, (byte) 0);
        b.putShort(VirtioNetHeader.LENGTH + 12, (short) 0x0800, ByteOrder.BIG_ENDIAN);
        b.putByte(IP, (byte) 0x45);
        b.putShort(IP + 2, (short) 40, ByteOrder.BIG_ENDIAN);
        b.putByte(IP + 8, (byte) 64);
        b.putByte(IP + 9, (byte) Ipv4Packet.PROTOCOL_TCP);
        b.putInt(IP + 12, source, ByteOrder.BIG_ENDIAN);
        b.putInt(IP + 16, destination, ByteOrder.BIG_ENDIAN);
        final Ipv4Packet ip = new Ipv4Packet();
        ip.wrap(b, IP, 40);
        ip.updateHeaderChecksum();
        b.putShort(L4, (short) sourcePort, ByteOrder.BIG_ENDIAN);
        b.putShort(L4 + 2, (short) destinationPort, ByteOrder.BIG_ENDIAN);
        b.putByte(L4 + 12, (byte) 0x50);
        b.putByte(L4 + 13, (byte) flags);
        final TcpPacket tcp = new TcpPacket();
        tcp.wrap(b, L4, 20);
        tcp.setChecksum(tcp.computeChecksum(ip.pseudoHeaderSum()));
        return b;
    }
}
