package io.jvswitch.control.api;

/** A known API path asked with a method it does not take: HTTP 405, a matter of the API alone. */
final class MethodNotAllowedException extends RuntimeException {
    MethodNotAllowedException(String message) {
        super(message, null, false, false);
    }
}
