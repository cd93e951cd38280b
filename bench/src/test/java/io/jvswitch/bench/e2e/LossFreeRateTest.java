package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/** The search against a path with a known capacity: loss starts where the offered rate passes it. */
class LossFreeRateTest {
    /** Carries up to {@code capacity} pps with no loss; beyond, loses what exceeds it plus a little. */
    private static LossFreeRate.Outcome path(double capacity, double offered) {
        final double received = Math.min(offered, capacity) * (offered > capacity ? 0.999 : 1.0);
        return new LossFreeRate.Outcome(offered, received, (offered - received) / offered);
    }

    @Test
    void findsTheCapacityWithinTheSearchsResolution() throws Exception {
        final double capacity = 300_000;
        final List<Double> offers = new ArrayList<>();
        final LossFreeRate.Result r = LossFreeRate.search(path(capacity, 1_000_000), offered -> {
            offers.add(offered);
            return path(capacity, offered);
        });
        assertEquals(1 + 2 * LossFreeRate.STEPS, r.trials(), "a bounded number of trials");
        assertTrue(r.ndrPps() <= capacity && r.ndrPps() > capacity - 1_000_000 / 64.0, "NDR " + r.ndrPps());
        assertTrue(r.pdrPps() >= r.ndrPps(), "PDR " + r.pdrPps() + " at least NDR");
        assertTrue(r.pdrPps() <= capacity * 1.005 / 0.999, "PDR " + r.pdrPps());
        assertTrue(offers.stream().allMatch(o -> o > 0 && o < 1_000_000), offers.toString());
    }

    @Test
    void anUnpacedSenderWithoutLossIsTheAnswer() throws Exception {
        final LossFreeRate.Result r = LossFreeRate.search(new LossFreeRate.Outcome(500_000, 500_000, 0), offered -> {
            throw new AssertionError("no trial needed");
        });
        assertEquals(500_000, r.ndrPps());
        assertEquals(500_000, r.pdrPps());
        assertEquals(1, r.trials());
    }

    @Test
    void aPathThatLosesAtEveryRateHasNoLossFreeRate() throws Exception {
        final LossFreeRate.Result r = LossFreeRate.search(
                new LossFreeRate.Outcome(1_000_000, 100_000, 0.9),
                offered -> new LossFreeRate.Outcome(offered, offered * 0.5, 0.5));
        assertEquals(0, r.ndrPps());
        assertEquals(0, r.pdrPps());
    }
}
