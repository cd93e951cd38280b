package io.jvswitch.bench;

import static io.jvswitch.bench.SwitchFixture.BATCH;
import static io.jvswitch.bench.SwitchFixture.check;
import static io.jvswitch.bench.SwitchFixture.delta;

import io.jvswitch.switching.PortCounter;
import io.jvswitch.testsupport.FrameBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Known-unicast forwarding between two ports of one network, one core: port A receives an
 * IPv4/UDP frame addressed to B's learned MAC, the switch forwards it out of B. One invocation is
 * one duty cycle reading {@link SwitchFixture#BATCH} frames from A; the score is frames per second.
 *
 * <p>Covers, per frame: the copy of the frame into the rx buffer (the MemoryPort's stand-in for a
 * TAP read), ingress checks, source MAC learning (refresh), EtherType policy, destination lookup,
 * the transmit call and the counters. Per duty cycle: the clock read, the command queue poll, the
 * empty poll of B and one MAC-aging slice.
 *
 * <p>{@code frameSize} is the Ethernet frame length without FCS: 64 (minimum-size frame) and 1514
 * (a full 1500-byte IP packet at MTU 1500). Setup and teardown fail the run if any frame was
 * flooded, dropped or not delivered to B.
 */
public class L2ForwardBenchmark extends InMemoryBenchmark {
    private static final int A = 0;
    private static final int B = 1;

    @Param({"64", "1514"})
    int frameSize;

    private SwitchFixture sw;
    private SwitchFixture.Snapshot start;

    @Setup(Level.Trial)
    public void setUp() {
        sw = new SwitchFixture(2, 1500);
        // B speaks once so the switch learns its MAC (the frame itself floods to A, A being unknown yet).
        sw.ports[B].inject(FrameBuilder.udpOfLength(
                SwitchFixture.mac(A), SwitchFixture.mac(B), SwitchFixture.ip(B), SwitchFixture.ip(A), 64));
        sw.dp.runDutyCycle();
        final SwitchFixture.Snapshot learned = sw.snapshot();
        check(learned.stats()[B].macsLearned() == 1, "B's MAC was not learned");

        // From now on only A receives, the same frame on every read.
        sw.ports[A].repeat(FrameBuilder.udpOfLength(
                SwitchFixture.mac(B), SwitchFixture.mac(A), SwitchFixture.ip(A), SwitchFixture.ip(B), frameSize));
        sw.run(SwitchFixture.SETUP_CYCLES);
        start = sw.snapshot();
        verify(learned, start);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int forward() {
        return sw.dp.runDutyCycle();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            verify(start, sw.snapshot());
        } finally {
            sw.close();
        }
    }

    private void verify(SwitchFixture.Snapshot before, SwitchFixture.Snapshot after) {
        final long received = delta(before, after, A, p -> p.get(PortCounter.RX_FRAMES));
        check(received > 0, "A received nothing");
        check(
                delta(before, after, A, p -> p.get(PortCounter.FORWARDED)) == received,
                "not every frame from A was forwarded");
        check(delta(before, after, A, p -> p.get(PortCounter.FLOODED)) == 0, "frames from A were flooded");
        check(delta(before, after, B, p -> p.get(PortCounter.TX_FRAMES)) == received, "B did not transmit every frame");
        check(delta(before, after, B, p -> p.get(PortCounter.RX_FRAMES)) == 0, "B received frames");
        check(delta(before, after, A, p -> p.get(PortCounter.TX_FRAMES)) == 0, "frames went back out of A");
        sw.checkConsistent(after);
    }
}
