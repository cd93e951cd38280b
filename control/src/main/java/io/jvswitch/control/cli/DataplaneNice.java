package io.jvswitch.control.cli;

import io.jvswitch.tap.TapException;
import io.jvswitch.tap.ThreadNice;

/** Applies {@code --dataplane-nice} on the dataplane thread; a refusal is logged once and not fatal. */
record DataplaneNice(int nice) implements Runnable {
    private static final System.Logger LOG = System.getLogger("jvs.daemon");

    @Override
    public void run() {
        if (nice == 0) {
            return; // the thread already has the process's nice value
        }
        try {
            ThreadNice.applyToCurrentThread(nice);
        } catch (TapException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; the dataplane runs at the default priority");
        }
    }
}
