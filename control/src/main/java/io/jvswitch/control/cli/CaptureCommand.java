package io.jvswitch.control.cli;

import io.jvswitch.control.capture.CaptureSink;
import io.jvswitch.control.capture.CapturedFrame;
import io.jvswitch.control.capture.DropReasonLog;
import io.jvswitch.control.capture.PcapFileOptions;
import io.jvswitch.control.capture.PcapFileSink;
import io.jvswitch.control.capture.RingSink;
import io.jvswitch.control.debug.CaptureRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(
        name = "capture",
        description = {
            "Capture frames at ports or pipeline points to a pcap file (tcpdump, tshark and Wireshark read it).",
            "  jvs capture web -w web.pcap                          a port's rx and tx",
            "  jvs capture web 'tcp port 80' -w - | tcpdump -nr -   a BPF filter, streamed to stdout",
            "  jvs capture --network frontend --point rx -c 100 -w f.pcap",
            "  jvs capture --drops -w drops.pcap                    every dropped frame; reasons in drops.pcap.reasons",
            "With --network, --drops or --port, every positional word is part of the filter;",
            "otherwise the first one names the port."
        })
final class CaptureCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "PORT|FILTER", arity = "0..*", description = "An endpoint name, then a tcpdump filter.")
    List<String> words = new ArrayList<>();

    @Option(names = "--port", paramLabel = "ENDPOINT", description = "Capture this endpoint's port (repeatable).")
    List<String> ports = new ArrayList<>();

    @Option(names = "--network", paramLabel = "NETWORK", description = "Capture every port of this network.")
    String network;

    @Option(
            names = "--point",
            paramLabel = "POINTS",
            split = ",",
            description = "Where: rx, tx, drop (default: rx,tx).")
    List<String> points = new ArrayList<>();

    @Option(
            names = "--drops",
            description = "Capture dropped frames (of every port unless --port/--network), with their reasons.")
    boolean drops;

    @Option(names = "-w", paramLabel = "FILE", required = true, description = "Write to FILE, or - for stdout.")
    String file;

    @Option(names = "-c", paramLabel = "COUNT", description = "Stop after COUNT frames.")
    long count;

    @Option(names = "-G", paramLabel = "SECONDS", description = "Start a new file every SECONDS (FILE-0000.pcap, ...).")
    long rotateSeconds;

    @Option(
            names = "-C",
            paramLabel = "MB",
            description = "Start a new file when this one would exceed MB million bytes.")
    long rotateMegabytes;

    @Option(
            names = "-W",
            paramLabel = "FILES",
            description = "With -G or -C: keep at most FILES files, reused in a ring.")
    int ringFiles;

    @Option(
            names = "--ring",
            paramLabel = "FRAMES",
            description = "Keep only the last FRAMES frames; write them when the capture ends.")
    int ringFrames;

    @Option(
            names = {"-s", "--snaplen"},
            paramLabel = "BYTES",
            description = "Keep at most BYTES of each frame (default: 262144).")
    Integer snapLength;

    @Override
    public Integer call() throws Exception {
        final List<String> filterWords = new ArrayList<>(words);
        final List<String> capturePorts = new ArrayList<>(ports);
        if (network == null && !drops && ports.isEmpty()) {
            if (filterWords.isEmpty()) {
                throw new CliException(
                        "say what to capture: a port (jvs capture ENDPOINT ...), --network NETWORK or --drops");
            }
            capturePorts.add(filterWords.removeFirst());
        }
        final List<String> capturePoints = new ArrayList<>(points);
        if (drops && !capturePoints.contains("drop")) {
            capturePoints.add("drop");
        }
        final String filter = filterWords.isEmpty() ? null : String.join(" ", filterWords);
        final PcapFileOptions options;
        try {
            options = new PcapFileOptions(
                    count,
                    rotateSeconds,
                    rotateMegabytes,
                    ringFiles,
                    snapLength == null ? PcapFileOptions.DEFAULT_SNAPLEN : snapLength);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        final PrintWriter err = spec.commandLine().getErr();
        final boolean toStdout = file.equals(PcapFileSink.STDOUT);
        final CaptureSink sink;
        try {
            final PcapFileSink pcap = new PcapFileSink(file, options, toStdout ? new DropReasonLog(err, true) : null);
            sink = ringFrames > 0 ? new RingSink(ringFrames, pcap) : pcap;
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException("cannot write " + file + ": " + e.getMessage());
        }
        final CaptureStream stream = new CaptureStream(socket.path());
        final Finish finish = new Finish(sink, err, toStdout ? "stdout" : file);
        final Thread onInterrupt = new Thread(
                () -> {
                    stream.stop();
                    finish.run();
                },
                "jvs-capture-stop");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        final byte[] request = ApiCall.JSON.writeValueAsBytes(new CaptureRequest(
                capturePorts.isEmpty() ? null : capturePorts,
                network,
                capturePoints.isEmpty() ? null : capturePoints,
                filter,
                snapLength));
        if (!toStdout || System.console() != null) {
            err.printf(
                    "capturing %s%s%s to %s (Ctrl-C to stop)%n",
                    capturePorts.isEmpty()
                            ? (network == null ? "all ports" : "network " + network)
                            : String.join(", ", capturePorts),
                    capturePoints.isEmpty() ? " rx,tx" : " " + String.join(",", capturePoints),
                    filter == null ? "" : " matching '" + filter + "'",
                    toStdout ? "stdout" : file);
            err.flush();
        }
        final String problem = stream.run(request, new CaptureStream.Listener() {
            @Override
            public boolean frame(CapturedFrame frame) throws Exception {
                synchronized (finish) {
                    if (finish.done) {
                        return false;
                    }
                    sink.write(frame);
                    return !sink.isDone();
                }
            }

            @Override
            public void status(String json) {
                finish.lastStatus = json;
            }
        });
        try {
            Runtime.getRuntime().removeShutdownHook(onInterrupt);
        } catch (IllegalStateException alreadyExiting) {
            // Ctrl-C: the hook finishes the file
        }
        finish.run();
        if (problem != null) {
            throw new CliException(problem);
        }
        return 0;
    }

    /** Closes the file once, whichever way the capture ends, and says what was written and lost. */
    private static final class Finish implements Runnable {
        private final CaptureSink sink;
        private final PrintWriter err;
        private final String where;
        volatile String lastStatus;
        boolean done;

        Finish(CaptureSink sink, PrintWriter err, String where) {
            this.sink = sink;
            this.err = err;
            this.where = where;
        }

        @Override
        public synchronized void run() {
            if (done) {
                return;
            }
            done = true;
            try {
                sink.close();
            } catch (Exception e) {
                err.println("jvs: closing " + where + ": " + e.getMessage());
            }
            err.printf(
                    "%d frames written to %s%s%n",
                    sink.written(),
                    where,
                    lastStatus == null
                            ? ""
                            : "; daemon: "
                                    + lastStatus
                                            .replaceAll("[{}\"]", "")
                                            .replace(",", ", ")
                                            .replace(":", " "));
            err.flush();
        }
    }
}
