package io.jvswitch.control.cluster;

/** No endpoint of the cluster store answered a request in time. */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
