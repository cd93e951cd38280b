package io.jvswitch.bench;

import static io.jvswitch.bench.SwitchFixture.BATCH;

import io.jvswitch.testsupport.FrameBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * IPv4 routing through the gateway of a routed network (10.0.0.0/24), one core: port A sends an IPv4/UDP frame for B's address to the
 * gateway's MAC (as a host whose route to B goes via the gateway does); the router checks the
 * header, looks up the network and B's address, decrements the TTL, rewrites the MACs and switches
 * the packet to B. One invocation is one duty cycle reading {@link SwitchFixture#BATCH} packets.
 *
 * <p>Setup and teardown fail the run unless every packet was routed and reached B, with nothing
 * flooded or dropped.
 */
public class Ipv4ForwardBenchmark extends InMemoryBenchmark {
    private static final int A = 0;
    private static final int B = 1;

    @Param({"64", "1514"})
    int frameSize;

    private SwitchFixture sw;
    private SwitchFixture.Snapshot start;

    @Setup(Level.Trial)
    public void setUp() {
        sw = SwitchFixture.routed(2, 1500);
        // B's MAC learned, as after its first frame, so the routed packet is forwarded, not flooded.
        sw.ports[B].inject(FrameBuilder.udpOfLength(
                SwitchFixture.mac(A), SwitchFixture.mac(B), SwitchFixture.ip(B), SwitchFixture.ip(A), 64));
        sw.dp.runDutyCycle();
        final SwitchFixture.Snapshot plugged = sw.snapshot();
        sw.ports[A].repeat(FrameBuilder.udpOfLength(
                SwitchFixture.GATEWAY_MAC, SwitchFixture.mac(A), SwitchFixture.ip(A), SwitchFixture.ip(B), frameSize));
        sw.run(SwitchFixture.SETUP_CYCLES);
        start = sw.snapshot();
        sw.checkAllRouted(plugged, start, A, B);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int forward() {
        return sw.dp.runDutyCycle();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            sw.checkAllRouted(start, sw.snapshot(), A, B);
        } finally {
            sw.close();
        }
    }
}
