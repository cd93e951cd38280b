package io.jvswitch.control.service;

/**
 * A request the control plane refuses, with the domain's reason. How a reason reaches a client
 * (an HTTP status, a Docker plugin error) is the API's business ({@code api.HttpStatus}), not the
 * service's.
 */
public class ControlException extends RuntimeException {
    /** Why a request was refused. */
    public enum Kind {
        /** The request can never succeed as given. */
        INVALID,
        /** It names a network, endpoint or peer that does not exist. */
        NOT_FOUND,
        /** It collides with what exists (a name, an address, an attached endpoint). */
        CONFLICT,
        /** Something it needs does not answer now (the cluster store): it may succeed later. */
        UNAVAILABLE,
        /** The state could not be written (a full disk): nothing was changed. */
        UNSAVED
    }

    private final Kind kind;

    public ControlException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public final Kind kind() {
        return kind;
    }

    public static ControlException invalid(String message) {
        return new ControlException(Kind.INVALID, message);
    }

    public static ControlException notFound(String message) {
        return new ControlException(Kind.NOT_FOUND, message);
    }

    public static ControlException conflict(String message) {
        return new ControlException(Kind.CONFLICT, message);
    }

    public static ControlException unavailable(String message) {
        return new ControlException(Kind.UNAVAILABLE, message);
    }

    public static ControlException unsaved(String message) {
        return new ControlException(Kind.UNSAVED, message);
    }
}
