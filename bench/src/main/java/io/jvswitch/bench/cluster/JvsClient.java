package io.jvswitch.bench.cluster;

import io.jvswitch.control.cli.JvsCommand;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The jvs CLI, run in this process against one daemon's API socket (no process start per call). */
final class JvsClient {
    private final Path socket;

    JvsClient(Path socket) {
        this.socket = socket;
    }

    /** The command's output; a failure throws, with the CLI's message. */
    String run(String... args) {
        final String out = runOrNull(args);
        if (out == null) {
            throw new IllegalStateException("jvs " + String.join(" ", args) + " failed");
        }
        return out;
    }

    /** The command's output, or null when it failed (its message goes to stderr). */
    String runOrNull(String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final String[] full = Stream.concat(Stream.of(args), Stream.of("--socket", socket.toString()))
                .toArray(String[]::new);
        if (JvsCommand.run(full, new PrintWriter(out, true), new PrintWriter(err, true)) != 0) {
            System.err.println(
                    "jvs " + String.join(" ", args) + ": " + err.toString().strip());
            return null;
        }
        return out.toString();
    }
}
