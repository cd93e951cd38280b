package io.jvswitch.bench;

import static io.jvswitch.bench.SwitchFixture.BATCH;

import io.jvswitch.testsupport.FrameBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * IPv6 forwarding through the gateway, one core: port A sends a 118-byte ICMPv6 echo request for
 * B's IPv6 address to the gateway's MAC (as a host whose route to B goes via the gateway does); the
 * IPv6 router checks the header, looks up the network and B's address, decrements the hop limit,
 * rewrites the MACs and switches the packet to B. One invocation is one duty cycle reading
 * {@link SwitchFixture#BATCH} packets.
 *
 * <p>Setup and teardown fail the run unless every packet was routed and reached B, with nothing
 * flooded or dropped.
 */
public class Ipv6ForwardBenchmark extends InMemoryBenchmark {
    private static final int A = 0;
    private static final int B = 1;

    private SwitchFixture sw;
    private SwitchFixture.Snapshot start;

    @Setup(Level.Trial)
    public void setUp() {
        sw = new SwitchFixture(2, 1500);
        sw.enableIpv6();
        // B's MAC learned, as after its first frame, so the routed packet is forwarded, not flooded.
        sw.ports[B].inject(FrameBuilder.udpOfLength(
                SwitchFixture.mac(A), SwitchFixture.mac(B), SwitchFixture.ip(B), SwitchFixture.ip(A), 64));
        sw.dp.runDutyCycle();
        final SwitchFixture.Snapshot plugged = sw.snapshot();
        sw.ports[A].repeat(FrameBuilder.echoRequestV6(
                SwitchFixture.GATEWAY_MAC,
                SwitchFixture.mac(A),
                SwitchFixture.ip6(A)[0],
                SwitchFixture.ip6(A)[1],
                SwitchFixture.ip6(B)[0],
                SwitchFixture.ip6(B)[1],
                64,
                56));
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
