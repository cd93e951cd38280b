package io.jvswitch.bench;

import static io.jvswitch.bench.SwitchFixture.BATCH;
import static io.jvswitch.bench.SwitchFixture.check;
import static io.jvswitch.bench.SwitchFixture.delta;

import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.NetworkCounter;
import io.jvswitch.switching.NetworkStats;
import io.jvswitch.switching.PortCounter;
import io.jvswitch.switching.PortSecurity;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.Port;
import io.jvswitch.testsupport.FrameBuilder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Proxy-NDP for a static overlay's remote endpoint, one core: the IPv6 address book learning from
 * neighbor discovery on a tunnel port, and answering from what it learned. {@code learn}: the
 * tunnel port (an in-memory one that says it learns remote addresses) receives a solicited
 * neighbor advertisement for remote address R, unicast to endpoint A; each one re-learns R
 * (checksum, option, ownership and aging checks, the refresh) and is forwarded to A. {@code
 * answer}: R learned once in setup, A's solicitations for it are answered out of A from the learned
 * entry and counted as remote answers. {@code full}: the book filled to its limit in setup with
 * addresses learned from the tunnel (fresh for the whole run), each advertisement names a new
 * address and is refused (counted) and forwarded to A: the overflow policy's cost, which must not
 * rebuild the table per frame. One invocation is one duty cycle reading {@link SwitchFixture#BATCH}
 * frames; {@code -prof gc} shows the allocation per frame.
 *
 * <p>Setup and teardown fail the run unless every frame had its outcome (forwarded to A, or
 * answered out of A and counted remote, or refused by the full book), with nothing flooded or dropped.
 */
public class TunnelNdpBenchmark extends InMemoryBenchmark {
    private static final int A = 0;
    private static final int B = 1;
    private static final long REMOTE_MAC = MacAddress.parse("02:4a:0a:00:01:20");
    private static final long REMOTE_LOW = 0x120;
    private static final int PEER = 0x0A00_C802;
    /** More addresses than the address book's default limit (65536) holds. */
    private static final int FULL_BOOK = 65_536;

    @Param({"learn", "answer", "full"})
    String side;

    private SwitchFixture sw;
    private LearningPort tunnel;
    private Mark start;

    /**
     * The ports' counters and the network's remote answers and refused learning, each taken at the
     * start of a duty cycle, one after the other.
     */
    record Mark(long remoteAnswered, long learnRefused, SwitchFixture.Snapshot ports) {}

    /** A tunnel as the switch sees it, in memory: learns remote addresses, every frame from one peer. */
    static final class LearningPort implements Port {
        final MemoryPort frames = new MemoryPort("vxlan:bench", 1500, true, false);

        @Override
        public String name() {
            return frames.name();
        }

        @Override
        public int receive(MutableDirectBuffer buffer, int offset, int capacity) {
            return frames.receive(buffer, offset, capacity);
        }

        @Override
        public int transmit(DirectBuffer buffer, int offset, int length) {
            return frames.transmit(buffer, offset, length);
        }

        @Override
        public boolean acceptsOffloads() {
            return true;
        }

        @Override
        public int mtu() {
            return frames.mtu();
        }

        @Override
        public boolean learnsRemoteAddresses() {
            return true;
        }

        @Override
        public int lastFrameOrigin() {
            return PEER;
        }

        @Override
        public void close() {
            frames.close();
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        sw = new SwitchFixture(2, 1500);
        sw.enableIpv6();
        tunnel = new LearningPort();
        sw.call(sw.dp.plug(SwitchFixture.NETWORK, tunnel, 0L, 0, PortSecurity.ALLOW_SPOOFING));
        final byte[] advertisement =
                FrameBuilder.neighborAdvertisement(REMOTE_MAC, SwitchFixture.IPV6_NETWORK, REMOTE_LOW, REMOTE_MAC);
        MacAddress.write(new UnsafeBuffer(advertisement), FrameBuilder.ETH, SwitchFixture.mac(A)); // to A
        tunnel.frames.inject(advertisement);
        sw.dp.runDutyCycle();
        check(
                sw.call(sw.dp.proxyNdpLookup(SwitchFixture.NETWORK, SwitchFixture.IPV6_NETWORK, REMOTE_LOW))
                        == REMOTE_MAC,
                "the remote address was not learned");
        // A speaks once, so its MAC is known and the advertisements to it are not flooded
        sw.ports[A].inject(FrameBuilder.neighborSolicitation(
                SwitchFixture.mac(A), SwitchFixture.ip6(A)[0], SwitchFixture.ip6(A)[1], SwitchFixture.IPV6_NETWORK, 1));
        sw.dp.runDutyCycle();
        if (side.equals("learn")) {
            tunnel.frames.repeat(advertisement);
        } else if (side.equals("full")) {
            fillAddressBook();
            final byte[] newcomer = FrameBuilder.neighborAdvertisement(
                    REMOTE_MAC, SwitchFixture.IPV6_NETWORK, REMOTE_LOW + FULL_BOOK + 1, REMOTE_MAC);
            MacAddress.write(new UnsafeBuffer(newcomer), FrameBuilder.ETH, SwitchFixture.mac(A));
            tunnel.frames.repeat(newcomer);
        } else {
            sw.ports[A].repeat(FrameBuilder.neighborSolicitation(
                    SwitchFixture.mac(A),
                    SwitchFixture.ip6(A)[0],
                    SwitchFixture.ip6(A)[1],
                    SwitchFixture.IPV6_NETWORK,
                    REMOTE_LOW));
        }
        final Mark before = mark(); // with the repeat on: every duty cycle from here is a full batch
        sw.run(SwitchFixture.SETUP_CYCLES);
        start = mark();
        verify(before, start);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int run() {
        return sw.dp.runDutyCycle();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            verify(start, mark());
        } finally {
            sw.close();
        }
    }

    /**
     * Both kinds of counters, in the same order every time: each read runs one duty cycle (a batch),
     * so the two deltas between two marks cover the same number of batches.
     */
    private Mark mark() {
        final NetworkStats network = sw.call(sw.dp.networkStats(SwitchFixture.NETWORK));
        return new Mark(
                network.get(NetworkCounter.REMOTE_NDP_ANSWERED),
                network.get(NetworkCounter.NDP_LEARN_REFUSED),
                sw.snapshot());
    }

    /**
     * Teaches the book {@link #FULL_BOOK} more addresses from the tunnel than it has room for (the
     * default limit), so that it is full of fresh learned entries, and checks that it refused some.
     */
    private void fillAddressBook() {
        for (int i = 1; i <= FULL_BOOK; i++) {
            final byte[] filler = FrameBuilder.neighborAdvertisement(
                    REMOTE_MAC, SwitchFixture.IPV6_NETWORK, REMOTE_LOW + i, REMOTE_MAC);
            MacAddress.write(new UnsafeBuffer(filler), FrameBuilder.ETH, SwitchFixture.mac(A));
            tunnel.frames.inject(filler);
        }
        for (int cycle = 0; cycle < FULL_BOOK; cycle++) {
            if (sw.dp.runDutyCycle() == 0) {
                break; // the tunnel's queue is read
            }
        }
        check(
                sw.call(sw.dp.networkStats(SwitchFixture.NETWORK)).get(NetworkCounter.NDP_LEARN_REFUSED) > 0,
                "the address book did not fill up");
    }

    private void verify(Mark beforeMark, Mark afterMark) {
        final SwitchFixture.Snapshot before = beforeMark.ports();
        final SwitchFixture.Snapshot after = afterMark.ports();
        final long remoteAnswers = afterMark.remoteAnswered() - beforeMark.remoteAnswered();
        final long toA = delta(before, after, A, p -> p.get(PortCounter.TX_FRAMES));
        check(toA > 0, "A was sent nothing");
        check(delta(before, after, B, p -> p.get(PortCounter.TX_FRAMES)) == 0, "B was sent frames");
        if (side.equals("answer")) {
            final long asked = delta(before, after, A, p -> p.get(PortCounter.RX_FRAMES));
            check(delta(before, after, A, p -> p.get(PortCounter.ARP_ANSWERED)) == asked, "not every one answered");
            check(toA == asked, "not every answer went out of A");
            check(remoteAnswers == asked, "answers not counted as remote: " + remoteAnswers + " of " + asked);
            check(tunnel.frames.transmitCount() == 0, "solicitations crossed the tunnel");
        }
        if (side.equals("full")) {
            final long refused = afterMark.learnRefused() - beforeMark.learnRefused();
            check(refused == toA, "advertisements refused by the full book: " + refused + " of " + toA);
        }
        sw.checkConsistent(after);
    }
}
