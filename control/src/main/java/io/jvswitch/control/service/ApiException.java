package io.jvswitch.control.service;

/** A request the daemon refuses, with the HTTP status that says why and a message for the user. */
public final class ApiException extends RuntimeException {
    public static final int BAD_REQUEST = 400;
    public static final int NOT_FOUND = 404;
    public static final int CONFLICT = 409;
    public static final int INSUFFICIENT_STORAGE = 507;

    private final int status;

    public ApiException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(BAD_REQUEST, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(NOT_FOUND, message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(CONFLICT, message);
    }

    /** The state could not be written (a full disk): the change was not applied. */
    public static ApiException unsaved(String message) {
        return new ApiException(INSUFFICIENT_STORAGE, message);
    }
}
