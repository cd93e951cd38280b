package io.jvswitch.control.api;

import io.jvswitch.control.service.ControlException;

/** The HTTP status that tells a client why the control plane refused its request. */
public final class HttpStatus {
    public static final int BAD_REQUEST = 400;
    public static final int NOT_FOUND = 404;
    public static final int METHOD_NOT_ALLOWED = 405;
    public static final int CONFLICT = 409;
    public static final int SERVICE_UNAVAILABLE = 503;
    public static final int INSUFFICIENT_STORAGE = 507;

    private HttpStatus() {}

    public static int of(ControlException refusal) {
        return switch (refusal.kind()) {
            case INVALID -> BAD_REQUEST;
            case NOT_FOUND -> NOT_FOUND;
            case CONFLICT -> CONFLICT;
            case UNAVAILABLE -> SERVICE_UNAVAILABLE;
            case UNSAVED -> INSUFFICIENT_STORAGE;
        };
    }
}
