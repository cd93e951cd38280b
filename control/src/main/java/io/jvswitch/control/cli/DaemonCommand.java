package io.jvswitch.control.cli;

import io.jvswitch.control.Daemon;
import io.jvswitch.switching.IdleMode;
import io.jvswitch.switching.SwitchContext;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "daemon", description = "Run the dataplane and the API in the foreground (logs to stderr).")
final class DaemonCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/jvs",
        description = "Where networks and endpoints are kept across restarts (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--idle", paramLabel = "MODE", defaultValue = "wait",
        description = "How the dataplane waits when idle: busy-spin, backoff, sleep or wait (default: ${DEFAULT-VALUE}).")
    String idle;

    @Option(names = "--dataplane-nice", paramLabel = "N", defaultValue = "0",
        description = "Nice value of the dataplane thread, -20..19; negative lets it run ahead of busy containers (default: ${DEFAULT-VALUE}).")
    int dataplaneNice;

    @Option(names = "--mac-aging", paramLabel = "SECONDS", defaultValue = "300",
        description = "Forget a MAC address not seen for this long (default: ${DEFAULT-VALUE}).")
    long macAgingSeconds;

    @Option(names = "--fdb-limit", paramLabel = "N", defaultValue = "16384",
        description = "Most MAC addresses learned per network; beyond it frames to new MACs are flooded (default: ${DEFAULT-VALUE}).")
    int fdbLimit;

    @Option(names = "--fdb-port-limit", paramLabel = "N", defaultValue = "4096",
        description = "Most MAC addresses learned per port (default: ${DEFAULT-VALUE}).")
    int fdbPortLimit;

    @Option(names = "--capture-ring", paramLabel = "KIB", defaultValue = "16384",
        description = "Room for captured frames on their way to capture clients, in KiB; a power of two, at least 64 (default: ${DEFAULT-VALUE}).")
    int captureRingKib;

    @Option(names = "--socket-group", paramLabel = "GROUP",
        description = "Let members of GROUP use the API socket too (default: root only).")
    String socketGroup;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
        description = "Serve Prometheus metrics over HTTP at this address (off by default), e.g. 127.0.0.1:9469.")
    String metrics;

    @Override
    public Integer call() throws Exception {
        java.net.InetSocketAddress metricsAddress = null;
        if (metrics != null) {
            final int colon = metrics.lastIndexOf(':');
            try {
                if (colon <= 0) {
                    throw new NumberFormatException();
                }
                final int port = Integer.parseInt(metrics.substring(colon + 1));
                if (port < 1 || port > 65535) {
                    throw new NumberFormatException();
                }
                metricsAddress = new java.net.InetSocketAddress(metrics.substring(0, colon), port);
            } catch (NumberFormatException e) {
                throw new CliException("invalid --metrics address '" + metrics + "': use HOST:PORT, e.g. 127.0.0.1:9469");
            }
        }
        if (captureRingKib < 64 || captureRingKib > 1 << 20 || Integer.bitCount(captureRingKib) != 1) {
            throw new CliException("invalid --capture-ring " + captureRingKib + ": a power of two from 64 to 1048576 (KiB)");
        }
        if (dataplaneNice < -20 || dataplaneNice > 19) {
            throw new CliException("invalid --dataplane-nice " + dataplaneNice + ": a nice value from -20 to 19");
        }
        final SwitchContext ctx;
        try {
            ctx = new SwitchContext()
                .idleMode(IdleMode.parse(idle))
                .dataplaneThreadSetup(new DataplaneNice(dataplaneNice))
                .macAgingNanos(TimeUnit.SECONDS.toNanos(macAgingSeconds))
                .macTableLimit(fdbLimit)
                .macsPerPortLimit(fdbPortLimit)
                .captureRingBytes(captureRingKib * 1024)
                .conclude();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        try {
            new Daemon(socket.path(), stateDir, ctx, metricsAddress, socketGroup).run();
        } catch (IllegalStateException e) {
            throw new CliException(e.getMessage());
        }
        return 0;
    }
}
