package io.jvswitch.control.capture;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * pcap4j logs every handle and dumper it closes at INFO ("Closed."), which through slf4j-jdk14 lands
 * on stderr, between the drop reasons of {@code jvs capture -w -}. Its JUL level is raised to WARNING
 * unless logging configuration already set one for {@code org.pcap4j}.
 */
final class Pcap4jLogging {

    /** Held so that JUL, which references loggers weakly, keeps the level. */
    private static final Logger PCAP4J = Logger.getLogger("org.pcap4j");

    static {
        if (PCAP4J.getLevel() == null) {
            PCAP4J.setLevel(Level.WARNING);
        }
    }

    private Pcap4jLogging() {}

    /** Applies the level (once, on first call). */
    static void quiet() {
        // The static initializer does the work.
    }
}
