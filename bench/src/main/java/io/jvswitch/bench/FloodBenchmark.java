package io.jvswitch.bench;

import static io.jvswitch.bench.SwitchFixture.BATCH;
import static io.jvswitch.bench.SwitchFixture.check;
import static io.jvswitch.bench.SwitchFixture.delta;

import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.PortCounter;
import io.jvswitch.testsupport.FrameBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Broadcast flooding, one core: port A of a network of {@code ports} ports receives a 64-byte
 * IPv4/UDP broadcast (to ff:ff:ff:ff:ff:ff, 10.0.0.255); the switch sends a copy out of every
 * other port. The score is ingress frames per second; each one costs {@code ports - 1} transmits.
 * One invocation is one duty cycle reading {@link SwitchFixture#BATCH} frames from A.
 *
 * <p>Setup and teardown fail the run unless every frame from A was flooded and every other port
 * sent exactly one copy of each, with no drops.
 */
public class FloodBenchmark extends InMemoryBenchmark {
    private static final int A = 0;

    @Param({"4"})
    int ports;

    private SwitchFixture sw;
    private SwitchFixture.Snapshot start;

    @Setup(Level.Trial)
    public void setUp() {
        check(ports >= 2, "a flood needs at least two ports");
        sw = new SwitchFixture(ports, 1500);
        final SwitchFixture.Snapshot plugged = sw.snapshot();
        sw.ports[A].repeat(FrameBuilder.udpOfLength(
                MacAddress.BROADCAST, SwitchFixture.mac(A), SwitchFixture.ip(A), SwitchFixture.BROADCAST_IP, 64));
        sw.run(SwitchFixture.SETUP_CYCLES);
        start = sw.snapshot();
        verify(plugged, start);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int flood() {
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
                delta(before, after, A, p -> p.get(PortCounter.FLOODED)) == received,
                "not every frame from A was flooded");
        check(delta(before, after, A, p -> p.get(PortCounter.TX_FRAMES)) == 0, "a flood went back out of A");
        for (int i = 1; i < ports; i++) {
            check(
                    delta(before, after, i, p -> p.get(PortCounter.TX_FRAMES)) == received,
                    "port " + i + " missed copies");
            check(
                    delta(before, after, i, p -> p.get(PortCounter.FLOODED_OUT)) == received,
                    "port " + i + " floodedOut is off");
            check(delta(before, after, i, p -> p.get(PortCounter.RX_FRAMES)) == 0, "port " + i + " received frames");
        }
        sw.checkConsistent(after);
    }
}
