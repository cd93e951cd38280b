package io.jvswitch.control.api;

/** A status and a JSON body, as the API answers and the client receives. */
public record ApiResponse(int status, byte[] body) {
    public boolean ok() {
        return status >= 200 && status < 300;
    }
}
