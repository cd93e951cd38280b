package io.jvswitch.control.service;

/**
 * The older name of a {@link ControlException}, given as an HTTP status, kept for the callers not
 * yet moved to the domain's kinds (the cluster agent). New code throws {@link ControlException}.
 */
public final class ApiException extends ControlException {
    public ApiException(int status, String message) {
        super(kindOf(status), message);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(409, message);
    }

    private static Kind kindOf(int status) {
        return switch (status) {
            case 404 -> Kind.NOT_FOUND;
            case 409 -> Kind.CONFLICT;
            case 503 -> Kind.UNAVAILABLE;
            case 507 -> Kind.UNSAVED;
            default -> Kind.INVALID;
        };
    }
}
