package io.jvswitch.control.capture;

import java.io.PrintStream;

/**
 * Run in a child JVM by {@link PcapFileSinkTest}: writes two frames to stdout, waits for its stdin to
 * close, writes a third and exits. Drop reasons go to stderr.
 */
public final class StdoutCaptureMain {

    private StdoutCaptureMain() {}

    public static void main(String[] args) throws Exception {
        PrintStream err = System.err;
        try (PcapFileSink sink = new PcapFileSink("-", PcapFileOptions.defaults(), new DropReasonLog(err))) {
            sink.write(CapturedFrame.of(TestFrames.T0, "veth-a", CapturedFrame.RX, null, TestFrames.arpRequest()));
            sink.write(CapturedFrame.of(
                    TestFrames.T0 + 1, "veth-b", CapturedFrame.DROP, "no-route", TestFrames.icmpEcho()));
            System.in.readAllBytes();
            sink.write(CapturedFrame.of(TestFrames.T0 + 2, "veth-a", CapturedFrame.TX, null, TestFrames.tcpSyn()));
        }
    }
}
