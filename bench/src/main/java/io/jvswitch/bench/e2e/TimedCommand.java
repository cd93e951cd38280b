package io.jvswitch.bench.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a tool inside a namespace with a hard deadline: its output goes to a file (so a tool that
 * hangs cannot block us on a pipe), and it is killed by PID when the deadline passes.
 */
final class TimedCommand {
    record Result(int exitCode, String output, boolean timedOut) {
        boolean ok() {
            return exitCode == 0 && !timedOut;
        }
    }

    private TimedCommand() {}

    static Result run(String namespace, long timeoutSeconds, String... command)
            throws IOException, InterruptedException {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(List.of(command));
        final Path output = Files.createTempFile("jvs-bench-cmd-", ".out");
        try {
            final Process process = new ProcessBuilder(full)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(output.toFile())
                    .start();
            final boolean done = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!done) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            return new Result(done ? process.exitValue() : -1, Files.readString(output, StandardCharsets.UTF_8), !done);
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
