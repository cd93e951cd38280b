package io.jvswitch.bench;

import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.EtherTypePolicy;
import io.jvswitch.switching.Ipv6Gateway;
import io.jvswitch.switching.NetworkSpec;
import io.jvswitch.switching.PortCounter;
import io.jvswitch.switching.PortListener;
import io.jvswitch.switching.PortSecurity;
import io.jvswitch.switching.PortStats;
import io.jvswitch.switching.SwitchContext;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * One dataplane with in-memory ports on one network, driven on the benchmark thread with
 * {@link Dataplane#runDutyCycle()} (never started). Endpoint {@code i} has MAC
 * 02:4a:0a:00:00:(i+2) and address 10.0.0.(i+2); the gateway is 10.0.0.1.
 *
 * <p>The ports are created in repeat-free mode; a benchmark makes exactly one of them
 * {@linkplain MemoryPort#repeat repeat} a frame, so each duty cycle processes {@link #BATCH} frames
 * received on that port and nothing else. Counters are compared through {@link #snapshot()}, which
 * allocates and must only be called outside the measured method.
 */
final class SwitchFixture implements AutoCloseable {
    /** Frames read from a port per duty cycle; every measured invocation processes exactly this many. */
    static final int BATCH = 32;
    /** Duty cycles run in setup before the first snapshot check. */
    static final int SETUP_CYCLES = 1_000;

    static final int NETWORK = 1;
    static final long GATEWAY_MAC = MacAddress.parse("02:4a:0a:00:00:01");
    static final int GATEWAY_IP = Ipv4Address.parse("10.0.0.1");
    static final int BROADCAST_IP = Ipv4Address.parse("10.0.0.255");
    static final long IPV6_NETWORK = 0xFD00_0000_0000_0001L;

    final Dataplane dp;
    final MemoryPort[] ports;
    final int[] slots;

    SwitchFixture(int portCount, int mtu) {
        this(
                portCount,
                mtu,
                NetworkSpec.switchedOnly(NETWORK, "bench", GATEWAY_IP, GATEWAY_MAC, EtherTypePolicy.IP_ONLY));
    }

    private SwitchFixture(int portCount, int mtu, NetworkSpec network) {
        final SwitchContext ctx = new SwitchContext()
                .rxBatch(BATCH)
                // A destination learned once in setup is never refreshed afterwards: keep it for the
                // whole run (default aging is 300 s) so a long run does not turn into unknown-unicast flooding.
                .macAgingNanos(TimeUnit.DAYS.toNanos(1));
        dp = new Dataplane(ctx, ReadySet.NONE, PortListener.NONE, Throwable::printStackTrace);
        call(dp.addNetwork(network));
        ports = new MemoryPort[portCount];
        slots = new int[portCount];
        for (int i = 0; i < portCount; i++) {
            // offloads: true (a TAP with vnet headers); retainTransmitted: false, transmits are only counted.
            ports[i] = new MemoryPort("ep" + i, mtu, true, false);
            slots[i] = call(dp.plug(NETWORK, ports[i], mac(i), ip(i), PortSecurity.ENFORCE));
        }
    }

    /** As {@link #SwitchFixture(int, int)} on a network the gateway routes IPv4 for (10.0.0.0/24). */
    static SwitchFixture routed(int portCount, int mtu) {
        return new SwitchFixture(
                portCount,
                mtu,
                new NetworkSpec(NETWORK, "bench", GATEWAY_IP, GATEWAY_MAC, 24, mtu, false, EtherTypePolicy.IP_ONLY));
    }

    static long mac(int endpoint) {
        return GATEWAY_MAC + 1 + endpoint;
    }

    static int ip(int endpoint) {
        return GATEWAY_IP + 1 + endpoint;
    }

    /** Endpoint {@code i}'s IPv6 address fd00:0:0:1::(i+2), as {high, low}, after {@link #enableIpv6()}. */
    static long[] ip6(int endpoint) {
        return new long[] {IPV6_NETWORK, 2 + endpoint};
    }

    /** Makes the network dual-stack (gateway fd00:0:0:1::1/64) and gives every endpoint its {@link #ip6}. */
    void enableIpv6() {
        call(dp.addIpv6(NETWORK, new Ipv6Gateway(IPV6_NETWORK, 1, 64)));
        for (int i = 0; i < slots.length; i++) {
            call(dp.assignIpv6(slots[i], ip6(i)[0], ip6(i)[1]));
        }
    }

    /** Runs a control command: it is executed by the next duty cycle, on this thread. */
    <T> T call(CompletableFuture<T> command) {
        dp.runDutyCycle();
        return Dataplane.await(command);
    }

    /** Runs duty cycles as the benchmark does, failing unless each processes a full batch. */
    void run(int cycles) {
        for (int i = 0; i < cycles; i++) {
            final int work = dp.runDutyCycle();
            check(work == BATCH, "a duty cycle did " + work + " units of work, expected " + BATCH + " frames");
        }
    }

    /**
     * The switch's counters of every port and the ports' own transmit counts, indexed like
     * {@link #ports}. The switch's side is taken by a command at the start of a duty cycle, before
     * that cycle reads any frame, so it matches the ports' counts read just before that cycle.
     */
    Snapshot snapshot() {
        final long[] transmitted = new long[ports.length];
        for (int i = 0; i < ports.length; i++) {
            transmitted[i] = ports[i].transmitCount();
        }
        final List<PortStats> all = call(dp.portStats());
        final PortStats[] byEndpoint = new PortStats[ports.length];
        for (PortStats s : all) {
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] == s.slot()) {
                    byEndpoint[i] = s;
                }
            }
        }
        for (int i = 0; i < byEndpoint.length; i++) {
            check(byEndpoint[i] != null, "port " + ports[i].name() + " is no longer plugged");
        }
        return new Snapshot(byEndpoint, transmitted);
    }

    record Snapshot(PortStats[] stats, long[] portTransmits) {}

    /** The MemoryPorts' own transmit counts must match what the switch says it sent them, and nothing was dropped. */
    void checkConsistent(Snapshot now) {
        for (int i = 0; i < ports.length; i++) {
            final PortStats s = now.stats()[i];
            check(s.drops().isEmpty(), "port " + ports[i].name() + " dropped frames: " + s.drops());
            check(
                    s.get(PortCounter.TX_FRAMES) == now.portTransmits()[i],
                    "port " + ports[i].name() + ": switch counted " + s.get(PortCounter.TX_FRAMES)
                            + " transmits, the port saw " + now.portTransmits()[i]);
        }
    }

    /**
     * What a routing benchmark must see between two snapshots: {@code from} received packets, every
     * one was routed and reached {@code to}, none was flooded, and the switch's counters agree.
     */
    void checkAllRouted(Snapshot before, Snapshot after, int from, int to) {
        final long received = delta(before, after, from, p -> p.get(PortCounter.RX_FRAMES));
        check(received > 0, "port " + from + " received nothing");
        check(delta(before, after, from, p -> p.get(PortCounter.ROUTED)) == received, "not every packet was routed");
        check(
                delta(before, after, to, p -> p.get(PortCounter.TX_FRAMES)) == received,
                "not every packet reached " + to);
        check(delta(before, after, from, p -> p.get(PortCounter.FLOODED)) == 0, "packets were flooded");
        checkConsistent(after);
    }

    static long delta(Snapshot before, Snapshot after, int endpoint, ToLongFunction<PortStats> counter) {
        return counter.applyAsLong(after.stats()[endpoint]) - counter.applyAsLong(before.stats()[endpoint]);
    }

    static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("benchmark measures the wrong thing: " + message);
        }
    }

    @Override
    public void close() {
        dp.close();
    }
}
