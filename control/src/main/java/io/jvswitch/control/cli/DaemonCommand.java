package io.jvswitch.control.cli;

import io.jvswitch.control.Daemon;
import io.jvswitch.control.DaemonContext;
import io.jvswitch.control.cluster.AdvertiseAddress;
import io.jvswitch.control.cluster.ClusterAgent;
import io.jvswitch.control.cluster.ClusterKeys;
import io.jvswitch.dns.DnsContext;
import io.jvswitch.nat.NatContext;
import io.jvswitch.switching.IdleMode;
import io.jvswitch.switching.SwitchContext;
import io.jvswitch.tap.TapIo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "daemon", description = "Run the dataplane and the API in the foreground (logs to stderr).")
final class DaemonCommand implements Callable<Integer> {
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
            defaultValue = DaemonContext.DEFAULT_STATE_DIR,
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
            names = "--tap-io",
            paramLabel = "MODE",
            defaultValue = "syscalls",
            description = "How the dataplane reads and writes TAP devices: syscalls (one system call per frame,"
                    + " epoll when idle) or uring (a duty cycle's reads, writes and idle wait through one io_uring,"
                    + " TAP-to-TAP frames never copied; falls back to syscalls where the kernel refuses io_uring)"
                    + " (default: ${DEFAULT-VALUE}).")
    String tapIo;

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
            defaultValue = "" + SwitchContext.DEFAULT_MAC_AGING_SECONDS,
            description = "Forget a MAC address not seen for this long (default: ${DEFAULT-VALUE}).")
    long macAgingSeconds;

    @Option(
            names = "--fdb-limit",
            paramLabel = "N",
            defaultValue = "" + SwitchContext.DEFAULT_MAC_TABLE_LIMIT,
            description =
                    "Most MAC addresses learned per network; beyond it frames to new MACs are flooded (default: ${DEFAULT-VALUE}).")
    int fdbLimit;

    @Option(
            names = "--fdb-port-limit",
            paramLabel = "N",
            defaultValue = "" + SwitchContext.DEFAULT_MACS_PER_PORT_LIMIT,
            description = "Most MAC addresses learned per port (default: ${DEFAULT-VALUE}).")
    int fdbPortLimit;

    @Option(
            names = "--capture-ring",
            paramLabel = "KIB",
            defaultValue = "" + SwitchContext.DEFAULT_CAPTURE_RING_KIB,
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
            defaultValue = "" + DnsContext.DEFAULT_TTL_SECONDS,
            description = "TTL of the DNS responder's answers for container names (default: ${DEFAULT-VALUE}).")
    int dnsTtl;

    @Option(
            names = "--host-link",
            paramLabel = "NAME",
            defaultValue = DaemonContext.DEFAULT_HOST_LINK,
            description = "Name of the TAP linking the gateway to this host's own stack (default: ${DEFAULT-VALUE}); "
                    + "'none' for no host link: networks then reach nothing beyond themselves.")
    String hostLink;

    @Option(
            names = "--host-link-cidr",
            paramLabel = "CIDR",
            defaultValue = DaemonContext.DEFAULT_HOST_LINK_CIDR,
            description = "Subnet of the host link (default: ${DEFAULT-VALUE}): the host takes its first address, the "
                    + "router the second.")
    String hostLinkCidr;

    @Option(
            names = "--conntrack-max",
            paramLabel = "N",
            defaultValue = "" + NatContext.DEFAULT_TABLE_CAPACITY,
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
            defaultValue = DaemonContext.DEFAULT_MASQUERADE_ADDRESS,
            description = "Source address of masqueraded connections, routed to the switch over the host link; an "
                    + "upstream that routes it to this host sees it (default: ${DEFAULT-VALUE}).")
    String masqueradeAddress;

    @Option(
            names = "--cluster-store",
            paramLabel = "etcd://HOST:PORT[,HOST:PORT...][/PREFIX]",
            description = "Join a cluster through etcd: overlay networks created without --local/--peer are then "
                    + "global (one VNI, addresses and names claimed cluster-wide). Default prefix: /jvs/v1/.")
    String clusterStore;

    @Option(
            names = "--cluster-advertise",
            paramLabel = "ADDRESS[:PORT]",
            description = "This host's underlay address, IPv4 or IPv6 (one family per cluster), and VXLAN UDP port"
                    + " (default 4789; [IPV6]:PORT) other hosts reach it at.")
    String clusterAdvertise;

    @Option(
            names = "--cluster-host-name",
            paramLabel = "NAME",
            description = "This host's name in the cluster (default: the host name).")
    String clusterHostName;

    @Option(
            names = "--cluster-ttl",
            paramLabel = "SECONDS",
            defaultValue = "" + DaemonContext.DEFAULT_CLUSTER_TTL_SECONDS,
            description = "Lease of this host's records: a dead host vanishes from the others within it "
                    + "(default: ${DEFAULT-VALUE}).")
    int clusterTtl;

    @Option(
            names = "--docker-plugin-socket",
            paramLabel = "PATH",
            description = "Serve Docker's network and IPAM plugin 'jvs' on this unix socket (default: "
                    + DaemonContext.DEFAULT_DOCKER_PLUGIN_SOCKET
                    + ", skipped with a warning when another daemon serves it); "
                    + "'none' for no plugin.")
    String dockerPluginSocket;

    @Override
    public Integer call() throws Exception {
        final DaemonContext.ClusterOptions cluster = clusterOptions();
        if (captureRingKib < 64 || captureRingKib > 1 << 20 || Integer.bitCount(captureRingKib) != 1) {
            throw new CliException(
                    "invalid --capture-ring " + captureRingKib + ": a power of two from 64 to 1048576 (KiB)");
        }
        if (dataplaneNice < -20 || dataplaneNice > 19) {
            throw new CliException("invalid --dataplane-nice " + dataplaneNice + ": a nice value from -20 to 19");
        }
        final TapIo tapIoMode;
        try {
            tapIoMode = TapIo.parse(tapIo);
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid --tap-io: " + e.getMessage());
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
        final DaemonContext context = new DaemonContext()
                .socket(socket.path())
                .stateDir(stateDir)
                .switchContext(ctx)
                .dnsContext(dns)
                .natContext(natContext())
                .masqueradeAddress(masqueradeAddress)
                .metrics(metrics)
                .socketGroup(socketGroup)
                .hostLink(hostLink, hostLinkCidr)
                .cluster(cluster)
                .dockerPlugin(dockerPluginSocket, dockerHost)
                .tapIo(tapIoMode);
        try {
            context.conclude();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        try {
            new Daemon(context).run();
        } catch (IllegalStateException e) {
            throw new CliException(e.getMessage());
        }
        return 0;
    }

    private DaemonContext.ClusterOptions clusterOptions() {
        if (clusterStore == null) {
            if (clusterAdvertise != null || clusterHostName != null) {
                throw new CliException("--cluster-advertise and --cluster-host-name need --cluster-store");
            }
            return null;
        }
        if (!clusterStore.startsWith("etcd://")) {
            throw new CliException("invalid --cluster-store '" + clusterStore
                    + "': etcd://HOST:PORT[,HOST:PORT...][/PREFIX] (etcd is the only store)");
        }
        String rest = clusterStore.substring("etcd://".length());
        String prefix = ClusterKeys.DEFAULT_PREFIX;
        final int slash = rest.indexOf('/');
        if (slash >= 0) {
            prefix = rest.substring(slash);
            rest = rest.substring(0, slash);
            if (prefix.equals("/")) {
                prefix = ClusterKeys.DEFAULT_PREFIX;
            }
        }
        final List<URI> endpoints = new ArrayList<>();
        for (String hostPort : rest.split(",")) {
            if (!hostPort.matches("[A-Za-z0-9_.\\[\\]:-]+:[0-9]{1,5}")) {
                throw new CliException(
                        "invalid --cluster-store endpoint '" + hostPort + "': HOST:PORT, e.g. 10.0.0.1:2379");
            }
            endpoints.add(URI.create("http://" + hostPort));
        }
        if (clusterAdvertise == null) {
            throw new CliException("--cluster-store needs --cluster-advertise ADDRESS[:PORT]: this host's underlay "
                    + "address, which the other hosts' VTEPs send to");
        }
        final AdvertiseAddress advertise;
        try {
            advertise = AdvertiseAddress.parse(clusterAdvertise);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        String name = clusterHostName;
        if (name == null) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                throw new CliException("cannot tell this host's name: give --cluster-host-name");
            }
        }
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
            throw new CliException("invalid --cluster-host-name '" + name + "': letters, digits, '_', '.', '-'");
        }
        if (clusterTtl < 2 || clusterTtl > 3600) {
            throw new CliException("invalid --cluster-ttl " + clusterTtl + ": 2 to 3600 seconds");
        }
        return new DaemonContext.ClusterOptions(
                endpoints,
                prefix,
                new ClusterAgent.Options(name, advertise.address(), advertise.port(), clusterTtl, clusterStore));
    }

    private NatContext natContext() {
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
            return nat.udpTimeouts(udp, udpStream).conclude();
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid NAT option: " + e.getMessage());
        }
    }
}
