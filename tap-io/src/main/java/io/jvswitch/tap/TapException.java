package io.jvswitch.tap;

import java.io.IOException;

/**
 * A TAP device or network namespace could not be set up: opening {@code /dev/net/tun}, creating or
 * attaching a device, configuring it, or entering a namespace failed.
 *
 * <p>A checked {@link IOException} on purpose: these failures come from the machine (missing
 * privileges, a missing kernel module, a name taken by another process, a namespace that was deleted)
 * and the control plane is expected to report them to the user, not crash. The packet path never
 * throws this: {@link TapPort} turns errors into {@link io.jvswitch.switching.port.Port} result codes.
 */
public final class TapException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String deviceName;

    TapException(String message, int errno, String deviceName) {
        super(message);
        this.errno = errno;
        this.deviceName = deviceName;
    }

    /** The errno behind the failure, or 0 if it was found before any system call (e.g. a bad name). */
    public int errno() {
        return errno;
    }

    /** Symbolic name of {@link #errno()}, e.g. {@code "EBUSY"}. */
    public String errnoName() {
        return errno == 0 ? "none" : Errno.name(errno);
    }

    /** The device (or namespace file) the failure concerns; may be null. */
    public String deviceName() {
        return deviceName;
    }
}
