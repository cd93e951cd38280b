package io.jvswitch.control.cli;

import io.jvswitch.control.Daemon;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.service.HostLink;
import io.jvswitch.control.service.NatService;
import io.jvswitch.dns.DnsContext;
import io.jvswitch.nat.NatContext;
import io.jvswitch.switching.IdleMode;
import io.jvswitch.switching.SwitchContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "daemon", description = "Run the dataplane and the API in the foreground (logs to stderr).")
final class DaemonCommand implements Callable<Integer> {
    static final String DEFAULT_DOCKER_PLUGIN_SOCKET = "/run/docker/plugins/jvs.sock";

    @Option(
            names = "--docker-host",
            paramLabel = "HOST",
            description = "The Docker engine the plugin reconciles with at start, as docker -H takes it (default: "
                    + "the docker CLI's, i.e. DOCKER_HOST or /var/run/docker.sock).")
    String dockerHost;

    @Mixin
    SocketOption socket;

    @Option(
            names = "--state-dir",
            paramLabel = "DIR",
            defaultValue = "/var/lib/jvs",
            description = "Where networks and endpoints are kept across restarts (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(
            names = "--idle",
            paramLabel = "MODE",
            defaultValue = "wait",
            description =
                    "How the dataplane waits when idle: busy-spin, backoff, sleep or wait (default: ${DEFAULT-VALUE}).")
    String idle;

    @Option(
            names = "--dataplane-nice",
            paramLabel = "N",
            defaultValue = "0",
            description =
                    "Nice value of the dataplane thread, -20..19; negative lets it run ahead of busy containers (default: ${DEFAULT-VALUE}).")
    int dataplaneNice;

    @Option(
            names = "--mac-aging",
            paramLabel = "SECONDS",
            defaultValue = "300",
            description = "Forget a MAC address not seen for this long (default: ${DEFAULT-VALUE}).")
    long macAgingSeconds;

    @Option(
            names = "--fdb-limit",
            paramLabel = "N",
            defaultValue = "16384",
            description =
                    "Most MAC addresses learned per network; beyond it frames to new MACs are flooded (default: ${DEFAULT-VALUE}).")
    int fdbLimit;

    @Option(
            names = "--fdb-port-limit",
            paramLabel = "N",
            defaultValue = "4096",
            description = "Most MAC addresses learned per port (default: ${DEFAULT-VALUE}).")
    int fdbPortLimit;

    @Option(
            names = "--capture-ring",
            paramLabel = "KIB",
            defaultValue = "16384",
            description =
                    "Room for captured frames on their way to capture clients, in KiB; a power of two, at least 64 (default: ${DEFAULT-VALUE}).")
    int captureRingKib;

    @Option(
            names = "--socket-group",
            paramLabel = "GROUP",
            description = "Let members of GROUP use the API socket too (default: root only).")
    String socketGroup;

    @Option(
            names = "--metrics",
            paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics over HTTP at this address (off by default), e.g. 127.0.0.1:9469.")
    String metrics;

    @Option(
            names = "--dns-ttl",
            paramLabel = "SECONDS",
            defaultValue = "600",
            description = "TTL of the DNS responder's answers for container names (default: ${DEFAULT-VALUE}).")
    int dnsTtl;

    @Option(
            names = "--host-link",
            paramLabel = "NAME",
            defaultValue = HostLink.DEFAULT_NAME,
            description = "Name of the TAP linking the gateway to this host's own stack (default: ${DEFAULT-VALUE}); "
                    + "'none' for no host link: networks then reach nothing beyond themselves.")
    String hostLink;

    @Option(
            names = "--host-link-cidr",
            paramLabel = "CIDR",
            defaultValue = HostLink.DEFAULT_CIDR,
            description = "Subnet of the host link (default: ${DEFAULT-VALUE}): the host takes its first address, the "
                    + "router the second.")
    String hostLinkCidr;

    @Option(
            names = "--conntrack-max",
            paramLabel = "N",
            defaultValue = "262144",
            description =
                    "Most connections tracked for NAT; new ones beyond it are refused and counted (default: ${DEFAULT-VALUE}).")
    int conntrackMax;

    @Option(
            names = "--conntrack-timeout",
            paramLabel = "KIND=SECONDS",
            description =
                    "A connection tracking timeout (repeatable): a TCP state (syn-sent, syn-recv, established, "
                            + "fin-wait, close-wait, last-ack, time-wait, close), udp, udp-stream or icmp. Defaults are the Linux kernel's.")
    Map<String, Long> conntrackTimeouts = new LinkedHashMap<>();

    @Option(
            names = "--masquerade-address",
            paramLabel = "IP",
            defaultValue = NatService.DEFAULT_MASQUERADE_ADDRESS,
            description = "Source address of masqueraded connections, routed to the switch over the host link; an "
                    + "upstream that routes it to this host sees it (default: ${DEFAULT-VALUE}).")
    String masqueradeAddress;

    @Option(
            names = "--docker-plugin-socket",
            paramLabel = "PATH",
            description = "Serve Docker's network and IPAM plugin 'jvs' on this unix socket (default: "
                    + DEFAULT_DOCKER_PLUGIN_SOCKET + ", skipped with a warning when another daemon serves it); "
                    + "'none' for no plugin.")
    String dockerPluginSocket;

    @Override
    public Integer call() throws Exception {
        InetSocketAddress metricsAddress = null;
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
                metricsAddress = new InetSocketAddress(metrics.substring(0, colon), port);
            } catch (NumberFormatException e) {
                throw new CliException(
                        "invalid --metrics address '" + metrics + "': use HOST:PORT, e.g. 127.0.0.1:9469");
            }
        }
        if (captureRingKib < 64 || captureRingKib > 1 << 20 || Integer.bitCount(captureRingKib) != 1) {
            throw new CliException(
                    "invalid --capture-ring " + captureRingKib + ": a power of two from 64 to 1048576 (KiB)");
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
        final DnsContext dns;
        try {
            dns = new DnsContext().ttlSeconds(dnsTtl).conclude();
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid --dns-ttl: " + e.getMessage());
        }
        Cidr linkCidr = null;
        if (!hostLink.equals("none")) {
            if (hostLink.isEmpty() || hostLink.length() > 15 || !hostLink.matches("[A-Za-z0-9_.-]+")) {
                throw new CliException("invalid --host-link '" + hostLink
                        + "': an interface name of 1 to 15 letters, digits, '_', '.', '-'");
            }
            try {
                linkCidr = Cidr.parse(hostLinkCidr, "--host-link-cidr");
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
            if (linkCidr.prefixLength() > 30) {
                throw new CliException(
                        "invalid --host-link-cidr " + hostLinkCidr + ": needs at least 4 addresses (/30 or shorter)");
            }
        }
        final Daemon.NatOptions nat = natOptions();
        try {
            new Daemon(
                            socket.path(),
                            stateDir,
                            ctx,
                            metricsAddress,
                            socketGroup,
                            linkCidr == null ? null : new Daemon.HostLinkOptions(hostLink, linkCidr),
                            dns,
                            nat)
                    .dockerPlugin(dockerPlugin(), dockerPluginSocket != null, dockerHost)
                    .run();
        } catch (IllegalStateException e) {
            throw new CliException(e.getMessage());
        }
        return 0;
    }

    private Path dockerPlugin() {
        if ("none".equals(dockerPluginSocket)) {
            return null;
        }
        final Path path = Path.of(dockerPluginSocket == null ? DEFAULT_DOCKER_PLUGIN_SOCKET : dockerPluginSocket);
        if (!path.isAbsolute() || !path.getFileName().toString().endsWith(".sock")) {
            throw new CliException("invalid --docker-plugin-socket '" + dockerPluginSocket
                    + "': an absolute path ending in .sock (Docker names the plugin after the file), or none");
        }
        return path;
    }

    private Daemon.NatOptions natOptions() {
        final NatContext nat = new NatContext().tableCapacity(conntrackMax);
        try {
            long udp = nat.udpUnrepliedTimeoutNanos() / 1_000_000_000L;
            long udpStream = nat.udpAssuredTimeoutNanos() / 1_000_000_000L;
            for (Map.Entry<String, Long> timeout : conntrackTimeouts.entrySet()) {
                switch (timeout.getKey()) {
                    case "udp" -> udp = timeout.getValue();
                    case "udp-stream" -> udpStream = timeout.getValue();
                    case "icmp" -> nat.icmpTimeout(timeout.getValue());
                    default -> nat.tcpTimeout(timeout.getKey(), timeout.getValue());
                }
            }
            nat.udpTimeouts(udp, udpStream).conclude();
            return new Daemon.NatOptions(nat, Cidr.parseAddress(masqueradeAddress, "--masquerade-address"));
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid NAT option: " + e.getMessage());
        }
    }
}
