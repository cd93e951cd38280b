package io.jvswitch.bench;

import io.jvswitch.nat.NatCounters;

import java.util.Random;

/**
 * What the NAT benchmarks ({@link NatBenchmark}, {@link Ipv6NatBenchmark}) do alike around their
 * measured loop: the shuffled order their templates take, and the checks of the engine after setup
 * and after the trial. Written once, so both families' runs are judged by the same rules.
 */
final class NatTrial {
    private NatTrial() {}

    /**
     * @return 0 to {@code flows - 1} shuffled, the same order every run (a fixed seed), so packets
     *     visit the connections in an order the table's layout does not predict
     */
    static int[] shuffledOrder(int flows) {
        final int[] order = new int[flows];
        for (int i = 0; i < flows; i++) {
            order[i] = i;
        }
        final Random random = new Random(7);
        for (int i = flows - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** After setup: a connection per flow, each opened by a real handshake. */
    static void checkSetUp(NatCounters counters, int flows) {
        SwitchFixture.check(counters.connections() == flows, "connections in the table: " + counters.connections());
    }

    /**
     * After the trial: no packet dropped, no connection lost, and packets translated during it
     * ({@code translatedAtStart} is the count when setup ended).
     */
    static void checkTrial(NatCounters counters, int flows, long translatedAtStart) {
        long dropped = 0;
        for (long d : counters.drops()) {
            dropped += d;
        }
        SwitchFixture.check(dropped == 0, "packets dropped: " + counters.dropsByReason());
        SwitchFixture.check(counters.connections() == flows, "connections lost: " + counters.connections());
        SwitchFixture.check(counters.translated() > translatedAtStart, "nothing translated");
    }
}
