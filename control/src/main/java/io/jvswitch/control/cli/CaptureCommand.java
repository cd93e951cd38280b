package io.jvswitch.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(
        name = "capture",
        description = {
            "Capture frames at ports or pipeline points to a pcap file (tcpdump, tshark",
            "and Wireshark read it).",
            "  jvs capture web -w web.pcap                       web's rx and tx",
            "  jvs capture web 'tcp port 80' -w - | tcpdump -nr -",
            "  jvs capture --network frontend --point rx -c 100 -w f.pcap",
            "  jvs capture --drops -w drops.pcap                 reasons: drops.pcap.reasons",
            "  jvs capture web --point pre-nat,post-nat -w nat.pcap",
            "  jvs capture host:jvs0 -w host.pcap                the host link",
            "  jvs capture vxlan:ov --point encap,decap -w ov.pcap",
            "With --network, --drops or --port, every positional word is part of the",
            "filter; otherwise the first one names the port: an endpoint, host:LINK (the",
            "host link, jvs0 by default) or vxlan:NETWORK (an overlay's tunnel port).",
            "Points:",
            "  rx, tx     a frame entering or leaving by the port",
            "  drop       where the switch dropped a frame (the reason is kept)",
            "  pre-nat    a routed packet of the port as the router got it",
            "  post-nat   the same packet after address translation, as it goes on",
            "             (by the port it came in on: capture host:jvs0 for the replies)",
            "  dns        DNS queries to the gateway's responder, and its answers",
            "  encap      a tunnel port's datagrams to each VTEP, with the outer IPv4/UDP",
            "             headers and the VNI (tshark decodes UDP 4789 as VXLAN)",
            "  decap      the datagrams it received from each VTEP, likewise"
        })
final class CaptureCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @Parameters(
            paramLabel = "PORT|FILTER",
            arity = "0..*",
            description = "An endpoint name (or host:LINK, vxlan:NETWORK), then a tcpdump filter.")
    List<String> words = new ArrayList<>();

    @Option(
            names = "--port",
            paramLabel = "ENDPOINT",
            description = "Capture this endpoint's port, or host:LINK or vxlan:NETWORK (repeatable).")
    List<String> ports = new ArrayList<>();

    @Option(names = "--network", paramLabel = "NETWORK", description = "Capture every port of this network.")
    String network;

    @Option(
            names = "--point",
            paramLabel = "POINTS",
            split = ",",
            description = "Where: rx, tx, drop, pre-nat, post-nat, dns, encap, decap (default: rx,tx).")
    List<String> points = new ArrayList<>();

    @Option(
            names = "--drops",
            description = "Capture dropped frames (of every port unless --port/--network), with their reasons.")
    boolean drops;

    @Option(names = "-w", paramLabel = "FILE", required = true, description = "Write to FILE, or - for stdout.")
    String file;

    @Option(names = "-c", paramLabel = "COUNT", description = "Stop after COUNT frames (at least 1).")
    Long count;

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
        if (count != null && count < 1) {
            throw new CliException("-c must be at least 1, not " + count);
        }
        final PcapFileOptions options;
        try {
            options = new PcapFileOptions(
                    count == null ? 0 : count,
                    rotateSeconds,
                    rotateMegabytes,
                    ringFiles,
                    snapLength == null ? PcapFileOptions.DEFAULT_SNAPLEN : snapLength);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        final PrintWriter err = spec.commandLine().getErr();
        final boolean toStdout = file.equals(PcapFileSink.STDOUT);
        if (!toStdout) {
            requireWritable(Path.of(file));
        }
        final CaptureStream stream = new CaptureStream(socket.path());
        final String where = toStdout ? "stdout" : file;
        final Finish finish = new Finish(err, where);
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
        final String what = (capturePorts.isEmpty()
                        ? (network == null ? "all ports" : "network " + network)
                        : String.join(", ", capturePorts))
                + (capturePoints.isEmpty() ? " rx,tx" : " " + String.join(",", capturePoints))
                + (filter == null ? "" : " matching '" + filter + "'");
        final String problem = stream.run(request, new CaptureStream.Listener() {
            /** The file is opened only now: a capture the daemon refused leaves every file as it was. */
            @Override
            public String started() {
                final CaptureSink sink;
                try {
                    final PcapFileSink pcap =
                            new PcapFileSink(file, options, toStdout ? new DropReasonLog(err, true) : null);
                    sink = ringFrames > 0 ? new RingSink(ringFrames, pcap) : pcap;
                } catch (IOException | IllegalArgumentException e) {
                    return "cannot write " + file + ": " + e.getMessage();
                }
                if (!finish.open(sink)) {
                    return null; // Ctrl-C came first
                }
                if (!toStdout || System.console() != null) {
                    err.printf("capturing %s to %s (Ctrl-C to stop)%n", what, where);
                    err.flush();
                }
                return null;
            }

            @Override
            public boolean frame(CapturedFrame frame) throws Exception {
                synchronized (finish) {
                    if (finish.done || finish.sink == null) {
                        return false;
                    }
                    finish.sink.write(frame);
                    return !finish.sink.isDone();
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

    /** Checks, without creating or changing anything, that the capture could write {@code file}. */
    private static void requireWritable(Path file) {
        final Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new CliException("cannot write " + file + ": no directory " + parent);
        }
        if (Files.isDirectory(file)) {
            throw new CliException("cannot write " + file + ": it is a directory");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : !Files.isWritable(parent)) {
            throw new CliException("cannot write " + file + ": permission denied");
        }
    }

    /**
     * Closes the file once, whichever way the capture ends, and says what was written and what was
     * lost. Nothing at all when the capture never started. The daemon's figures come about once a
     * second and lag what arrived: only its losses are shown, never its stale copy counts.
     */
    private static final class Finish implements Runnable {
        private final PrintWriter err;
        private final String where;
        volatile String lastStatus;
        CaptureSink sink;
        boolean done;

        Finish(PrintWriter err, String where) {
            this.err = err;
            this.where = where;
        }

        /** Takes the opened sink; false (and closes it) when the capture already ended. */
        synchronized boolean open(CaptureSink opened) {
            if (done) {
                closeQuietly(opened);
                return false;
            }
            sink = opened;
            return true;
        }

        @Override
        public synchronized void run() {
            if (done) {
                return;
            }
            done = true;
            if (sink == null) {
                return;
            }
            closeQuietly(sink);
            err.printf("%d frames written to %s%s%n", sink.written(), where, losses());
            err.flush();
        }

        private void closeQuietly(CaptureSink s) {
            try {
                s.close();
            } catch (Exception e) {
                err.println("jvs: closing " + where + ": " + e.getMessage());
            }
        }

        private String losses() {
            final String status = lastStatus;
            if (status == null) {
                return "";
            }
            try {
                final JsonNode json = ApiCall.JSON.readTree(status);
                final long ring = json.path("ringDrops").asLong();
                final long client = json.path("clientDrops").asLong();
                if (ring == 0 && client == 0) {
                    return "";
                }
                return "; lost in the daemon: " + ring + " (its capture ring was full), " + client
                        + " (this client read too slowly)";
            } catch (IOException e) {
                return "";
            }
        }
    }
}
