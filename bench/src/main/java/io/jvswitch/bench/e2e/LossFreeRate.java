package io.jvswitch.bench.e2e;

/**
 * The highest offered rate a path carries with at most a given loss (RFC 2544 throughput; FD.io
 * CSIT's NDR at 0.1 % and PDR at 0.5 %), found by a bounded binary search with a paced sender.
 *
 * <p>A flood through a TAP measures the TAP's queue (it drops when its ring is full instead of
 * slowing the sender); a paced sender that backs off until loss stops measures the switch. The
 * search first offers the unpaced sender's rate: when that passes, it is the answer. Otherwise it
 * halves the interval between the highest rate that passed (0 at first) and the lowest that failed
 * for a fixed number of trials, so its cost is bounded: {@code 1 + steps} trials per threshold,
 * and the second threshold starts from what the first found.
 */
final class LossFreeRate {
    /** Loss allowed at the no-drop rate, as a fraction. */
    static final double NDR_LOSS = 0.001;
    /** Loss allowed at the partial-drop rate, as a fraction. */
    static final double PDR_LOSS = 0.005;
    /** Halvings per threshold: the answer lies within 1/64 of the unpaced sender's rate. */
    static final int STEPS = 6;

    /** One trial: offers {@code packetsPerSecond} for a while and says what arrived. */
    @FunctionalInterface
    interface Trial {
        Outcome offer(double packetsPerSecond) throws Exception;
    }

    /**
     * What one trial saw.
     *
     * @param offeredPps packets per second the sender sent
     * @param receivedPps packets per second that arrived
     * @param loss the share of the packets sent that did not arrive
     */
    record Outcome(double offeredPps, double receivedPps, double loss) {}

    /**
     * The search's answers, in packets per second received at each threshold's rate.
     *
     * @param trials trials run in all
     */
    record Result(double ndrPps, double pdrPps, double unpacedPps, int trials) {}

    private LossFreeRate() {}

    /** {@code unpaced} is the outcome of the unpaced sender, which bounds the search from above. */
    static Result search(Outcome unpaced, Trial trial) throws Exception {
        final double ndr = threshold(unpaced, 0, NDR_LOSS, trial);
        final double pdr = threshold(unpaced, ndr, PDR_LOSS, trial);
        // the unpaced trial, and STEPS more for each threshold the unpaced sender did not pass
        final int trials = 1 + (unpaced.loss() <= NDR_LOSS ? 0 : STEPS) + (unpaced.loss() <= PDR_LOSS ? 0 : STEPS);
        return new Result(ndr, pdr, unpaced.receivedPps(), trials);
    }

    /** Received pps at the highest offered rate found with at most {@code loss}; {@code floor} passed already. */
    private static double threshold(Outcome unpaced, double floor, double loss, Trial trial) throws Exception {
        if (unpaced.loss() <= loss) {
            return unpaced.receivedPps();
        }
        double passed = floor;
        double passedReceived = floor;
        double failed = unpaced.offeredPps();
        for (int step = 0; step < STEPS; step++) {
            final double offer = (passed + failed) / 2;
            final Outcome outcome = trial.offer(offer);
            if (outcome.loss() <= loss) {
                passed = offer;
                passedReceived = outcome.receivedPps();
            } else {
                failed = offer;
            }
        }
        return passedReceived;
    }
}
