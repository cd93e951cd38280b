package io.jvswitch.bench;

import static io.jvswitch.bench.SwitchFixture.BATCH;
import static io.jvswitch.bench.SwitchFixture.check;
import static io.jvswitch.bench.SwitchFixture.delta;

import io.jvswitch.switching.PortCounter;
import io.jvswitch.testsupport.FrameBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Proxy-ARP, one core: port A receives a broadcast ARP request for B's address (42-byte frame, as a
 * TAP delivers it, unpadded); the switch answers from the address book, rewriting the request
 * into the reply in place, and sends it back out of A. B sees nothing. The score is requests
 * answered per second; one invocation is one duty cycle reading {@link SwitchFixture#BATCH}
 * requests. The MemoryPort copies the original request into the rx buffer on every read, so every
 * request is fresh even though the previous one was overwritten by its answer.
 *
 * <p>Setup and teardown fail the run unless every request was answered out of A and nothing was
 * flooded, dropped or sent to B.
 */
public class ProxyArpBenchmark extends InMemoryBenchmark {
    private static final int A = 0;
    private static final int B = 1;

    private SwitchFixture sw;
    private SwitchFixture.Snapshot start;

    @Setup(Level.Trial)
    public void setUp() {
        sw = new SwitchFixture(2, 1500);
        final SwitchFixture.Snapshot plugged = sw.snapshot();
        sw.ports[A].repeat(FrameBuilder.arpRequest(SwitchFixture.mac(A), SwitchFixture.ip(A), SwitchFixture.ip(B)));
        sw.run(SwitchFixture.SETUP_CYCLES);
        start = sw.snapshot();
        verify(plugged, start);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int answer() {
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
                delta(before, after, A, p -> p.get(PortCounter.ARP_ANSWERED)) == received,
                "not every request was answered");
        check(delta(before, after, A, p -> p.get(PortCounter.TX_FRAMES)) == received, "not every answer went out of A");
        check(delta(before, after, A, p -> p.get(PortCounter.FLOODED)) == 0, "requests were flooded");
        check(delta(before, after, B, p -> p.get(PortCounter.TX_FRAMES)) == 0, "B was sent frames");
        sw.checkConsistent(after);
    }
}
