package io.jvswitch.control.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks the capabilities the daemon needs before it touches anything: CAP_NET_ADMIN for TAP
 * devices and interface configuration, CAP_SYS_ADMIN to enter containers' namespaces (setns).
 */
public final class Privileges {
    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_SYS_ADMIN = 21;

    private Privileges() {}

    /** Throws with a message that says what to do when the process lacks the capabilities. */
    public static void requireDaemonCapabilities() {
        final long effective = effectiveCapabilities(Path.of("/proc/self/status"));
        final boolean netAdmin = (effective >>> CAP_NET_ADMIN & 1) != 0;
        final boolean sysAdmin = (effective >>> CAP_SYS_ADMIN & 1) != 0;
        if (!netAdmin || !sysAdmin) {
            throw new IllegalStateException("the jvs daemon needs root: CAP_NET_ADMIN to create TAP devices and "
                    + "CAP_SYS_ADMIN to enter container namespaces (missing: "
                    + (!netAdmin ? "CAP_NET_ADMIN" : "") + (!netAdmin && !sysAdmin ? ", " : "")
                    + (!sysAdmin ? "CAP_SYS_ADMIN" : "") + "). Run it with sudo.");
        }
    }

    static long effectiveCapabilities(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("CapEff:")) {
                    return Long.parseUnsignedLong(line.substring(7).strip(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
