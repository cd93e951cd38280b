package io.jvswitch.control.service;

import java.util.concurrent.TimeUnit;

/**
 * A test hook: with {@code JVS_TEST_PAUSE_AT=STEP} in its environment the daemon logs "paused at
 * STEP" when it reaches that named step and waits there (at most {@link #MAX_PAUSE_SECONDS}), so a
 * test can {@code kill -9} it in the middle of an attach or detach. Without the variable nothing
 * happens. The steps: {@code attach:tap-unmoved} (the TAP exists in the daemon's namespace under
 * its temporary name), {@code attach:device-created} (the interface is in the container, configured,
 * not yet plugged), {@code detach:intent-saved} (nothing removed yet).
 */
final class StepPause {
    static final String VARIABLE = "JVS_TEST_PAUSE_AT";
    static final int MAX_PAUSE_SECONDS = 60;

    private static final System.Logger LOG = System.getLogger("jvs.control");
    private static final String STEP = System.getenv(VARIABLE);

    private StepPause() {}

    static void at(String step) {
        if (STEP == null || !STEP.equals(step)) {
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "{0}: paused at {1}", VARIABLE, step);
        try {
            TimeUnit.SECONDS.sleep(MAX_PAUSE_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
