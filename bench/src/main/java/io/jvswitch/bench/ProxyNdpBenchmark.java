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
 * Proxy-NDP, one core, the IPv6 counterpart of {@link ProxyArpBenchmark}: port A receives a
 * neighbor solicitation for B's IPv6 address (86-byte frame, to B's solicited-node group, with a
 * source link-layer option, checksum right); the switch checks its checksum, answers from the
 * network's IPv6 address book with a neighbor advertisement written over the solicitation in place
 * (checksum computed over the pseudo-header) and sends it back out of A. B sees nothing. One
 * invocation is one duty cycle reading {@link SwitchFixture#BATCH} solicitations.
 *
 * <p>Setup and teardown fail the run unless every solicitation was answered out of A and nothing
 * was flooded, dropped or sent to B.
 */
public class ProxyNdpBenchmark extends InMemoryBenchmark {
    private static final int A = 0;
    private static final int B = 1;

    private SwitchFixture sw;
    private SwitchFixture.Snapshot start;

    @Setup(Level.Trial)
    public void setUp() {
        sw = new SwitchFixture(2, 1500);
        sw.enableIpv6();
        final SwitchFixture.Snapshot plugged = sw.snapshot();
        sw.ports[A].repeat(FrameBuilder.neighborSolicitation(
                SwitchFixture.mac(A),
                SwitchFixture.ip6(A)[0],
                SwitchFixture.ip6(A)[1],
                SwitchFixture.ip6(B)[0],
                SwitchFixture.ip6(B)[1]));
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
                "not every solicitation was answered");
        check(delta(before, after, A, p -> p.get(PortCounter.TX_FRAMES)) == received, "not every answer went out of A");
        check(delta(before, after, A, p -> p.get(PortCounter.FLOODED)) == 0, "solicitations were flooded");
        check(delta(before, after, B, p -> p.get(PortCounter.TX_FRAMES)) == 0, "B was sent frames");
        sw.checkConsistent(after);
    }
}
