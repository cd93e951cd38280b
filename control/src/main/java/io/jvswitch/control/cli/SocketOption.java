package io.jvswitch.control.cli;

import io.jvswitch.control.DaemonContext;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --socket}, shared by every command that talks to the daemon. */
final class SocketOption {
    static final String DEFAULT = DaemonContext.DEFAULT_SOCKET;

    @Option(
            names = "--socket",
            paramLabel = "PATH",
            description = "The daemon's API socket (default: $JVS_SOCKET, else " + DEFAULT + ").")
    Path socket;

    Path path() {
        if (socket != null) {
            return socket;
        }
        final String env = System.getenv("JVS_SOCKET");
        return Path.of(env == null || env.isBlank() ? DEFAULT : env);
    }

    ApiCall api() {
        return new ApiCall(path());
    }
}
