package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.testsupport.Await;

import java.time.Duration;

/**
 * The host's policy rules and routes of one family, in the fixture's host namespace. Published ports
 * add rules and routes to the host; the ITs take a {@link Snapshot} before and check that detach,
 * stop and a restart after kill -9 leave the host as it was.
 */
final class HostRouting {
    private final DaemonFixture f;
    /** "-4" or "-6", as ip takes it. */
    private final String family;

    /** The rules and routes as they stood at one moment. */
    record Snapshot(String rules, String routes) {}

    HostRouting(DaemonFixture f, String family) {
        this.f = f;
        this.family = family;
    }

    String rules() {
        return f.lab.check(f.host, "ip", family, "rule", "show");
    }

    /** Every route of every table. */
    String routes() {
        return f.lab.check(f.host, "ip", family, "route", "show", "table", "all");
    }

    /**
     * For IPv6, waits until duplicate address detection is done on the host's addresses, so that
     * their routes (the link-local ones of every link) are all there to compare; IPv4 has no such wait.
     */
    void settled() {
        if (family.equals("-6")) {
            Await.until(
                    "the host's IPv6 addresses settled",
                    Duration.ofSeconds(10),
                    () -> f.lab.check(f.host, "ip", "-6", "address", "show", "tentative")
                            .isBlank());
        }
    }

    Snapshot now() {
        return new Snapshot(rules(), routes());
    }

    /** The rules and routes are {@code before}'s again, once {@code what} is done. */
    void assertAsBefore(Snapshot before, String what) {
        assertEquals(before.rules(), rules(), what + " removed every rule");
        assertEquals(before.routes(), routes(), what + " removed every route");
    }

    /** How many of the rules mention {@code text}. */
    long rulesWith(String text) {
        return rules().lines().filter(l -> l.contains(text)).count();
    }

    /**
     * kill -9 gives the daemon no chance to remove its rules, so they stay; the next start replaces
     * them (the published {@code port}'s rule and the moved local-table rule once each), never adds
     * a second copy.
     */
    void assertKillLeavesRulesTheNextStartReplaces(int port) throws Exception {
        f.daemon.kill();
        assertTrue(rules().contains("proto 242"), "kill -9 leaves the rules behind:\n" + rules());
        f.startDaemon();
        assertEquals(1, rulesWith("dport " + port + " "), rules());
        assertEquals(1, rulesWith("lookup local"), rules());
    }
}
