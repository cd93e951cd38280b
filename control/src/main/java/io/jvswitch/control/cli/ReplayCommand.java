package io.jvswitch.control.cli;

import io.jvswitch.control.capture.CapturedFrame;
import io.jvswitch.control.capture.PcapReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "replay", description = "Inject the frames of a pcap file as if an endpoint's port had received them.")
final class ReplayCommand implements Callable<Integer> {
    private static final int BATCH_BYTES = 1 << 20;

    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE")
    Path file;

    @Option(names = "--into", paramLabel = "ENDPOINT", required = true, description = "The port the frames come in on.")
    String into;

    @Option(
            names = "--network",
            paramLabel = "NETWORK",
            description = "Which of the endpoint's networks, when it is on several.")
    String network;

    @Option(
            names = "--timed",
            description = "Keep the gaps between frames as recorded (default: as fast as the daemon takes them).")
    boolean timed;

    @Override
    public Integer call() throws Exception {
        if (!Files.isReadable(file)) {
            throw new CliException("cannot read " + file);
        }
        final String path = "/v1/ports/" + NetworkCommand.encode(into) + "/inject"
                + (network == null ? "" : "?network=" + NetworkCommand.encode(network));
        final ApiCall api = socket.api();
        long frames = 0;
        long skipped = 0;
        try (PcapReader reader = PcapReader.open(file)) {
            final ByteArrayOutputStream batch = new ByteArrayOutputStream();
            final DataOutputStream out = new DataOutputStream(batch);
            long firstCapture = -1;
            final long start = System.nanoTime();
            while (reader.hasNext()) {
                final CapturedFrame frame = reader.next();
                if (frame.capturedLength() < frame.originalLength() || frame.capturedLength() < 14) {
                    skipped++; // cut by the snap length when captured: not the frame that was sent
                    continue;
                }
                if (timed) {
                    if (firstCapture < 0) {
                        firstCapture = frame.epochNanos();
                    }
                    final long due = start + (frame.epochNanos() - firstCapture);
                    final long wait = due - System.nanoTime();
                    if (wait > 0) {
                        if (batch.size() > 0) {
                            api.postBytes(path, batch.toByteArray());
                            batch.reset();
                        }
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
                out.writeInt(frame.capturedLength());
                out.write(frame.data(), 0, frame.capturedLength());
                frames++;
                if (batch.size() >= BATCH_BYTES) {
                    api.postBytes(path, batch.toByteArray());
                    batch.reset();
                }
            }
            if (batch.size() > 0) {
                api.postBytes(path, batch.toByteArray());
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException("cannot replay " + file + ": " + e.getMessage());
        }
        spec.commandLine()
                .getOut()
                .printf(
                        "%d frames injected into %s%s%n",
                        frames, into, skipped == 0 ? "" : " (" + skipped + " skipped: cut short when captured)");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
