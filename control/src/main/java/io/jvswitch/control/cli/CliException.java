package io.jvswitch.control.cli;

/** A failure to report to the user as one line, with a non-zero exit. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message, null, false, false);
    }
}
