package io.jvswitch.control.netns;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a system tool (ip, nsenter, docker) with a time limit and turns its failure into an error
 * that quotes what the tool said, so users see the kernel's reason and not a stack trace.
 */
public final class CommandRunner {
    private static final long TIMEOUT_SECONDS = 20;

    /** What a finished command printed. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    public Result run(List<String> command) {
        final Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot run " + command.getFirst() + ": " + e.getMessage() + " (is it installed and on PATH?)", e);
        }
        try {
            // Read stderr on its own thread so a chatty tool cannot block on a full pipe.
            final var out = process.getInputStream();
            final var err = process.getErrorStream();
            final byte[][] errBytes = new byte[1][];
            final Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try {
                    errBytes[0] = err.readAllBytes();
                } catch (IOException e) {
                    errBytes[0] = new byte[0];
                }
            });
            final byte[] outBytes = out.readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(
                        String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            reader.join();
            return new Result(
                    process.exitValue(),
                    new String(outBytes, StandardCharsets.UTF_8),
                    new String(errBytes[0], StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot read the output of " + command.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.getFirst());
        }
    }

    /** Runs the command and fails with {@code what} and the tool's own message if it fails. */
    public String check(String what, List<String> command) {
        final Result result = run(command);
        if (!result.ok()) {
            final String said = result.stderr().isBlank()
                    ? result.stdout().strip()
                    : result.stderr().strip();
            throw new IllegalStateException(what + ": " + said);
        }
        return result.stdout();
    }
}
