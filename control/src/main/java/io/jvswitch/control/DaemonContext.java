package io.jvswitch.control;

import io.jvswitch.control.cluster.ClusterAgent;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.service.HostLink;
import io.jvswitch.control.service.NatService;
import io.jvswitch.dns.DnsContext;
import io.jvswitch.nat.NatContext;
import io.jvswitch.switching.SwitchContext;
import io.jvswitch.tap.TapIo;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * The daemon's configuration, agrona-style: each setting has its default defined here once (the
 * CLI's options and the generated CLI reference take them from here), is set fluently, and is
 * checked by {@link #conclude()}, which also turns the texts into what the daemon uses. A setting
 * that is wrong fails {@code conclude()} with an {@link IllegalArgumentException} naming it, before
 * anything is created.
 */
public final class DaemonContext {
    public static final String DEFAULT_SOCKET = "/run/jvs/jvs.sock";
    public static final String DEFAULT_STATE_DIR = "/var/lib/jvs";
    public static final String DEFAULT_DOCKER_PLUGIN_SOCKET = "/run/docker/plugins/jvs.sock";
    public static final String DEFAULT_HOST_LINK = HostLink.DEFAULT_NAME;
    public static final String DEFAULT_HOST_LINK_CIDR = HostLink.DEFAULT_CIDR;
    public static final String DEFAULT_MASQUERADE_ADDRESS = NatService.DEFAULT_MASQUERADE_ADDRESS;
    public static final int DEFAULT_CLUSTER_TTL_SECONDS = 10;
    /** The value of {@code --host-link} and {@code --docker-plugin-socket} that turns them off. */
    public static final String NONE = "none";

    private Path socket = Path.of(DEFAULT_SOCKET);
    private Path stateDir = Path.of(DEFAULT_STATE_DIR);
    private SwitchContext switchContext = new SwitchContext();
    private DnsContext dnsContext = new DnsContext();
    private NatContext natContext = new NatContext();
    private String masqueradeAddress = DEFAULT_MASQUERADE_ADDRESS;
    private String metrics;
    private String socketGroup;
    private String hostLink = DEFAULT_HOST_LINK;
    private String hostLinkCidr = DEFAULT_HOST_LINK_CIDR;
    private ClusterOptions cluster;
    private String dockerPluginSocket;
    private String dockerEngine;
    private TapIo tapIo = TapIo.SYSCALLS;

    private boolean concluded;
    private InetSocketAddress metricsAddress;
    private HostLinkOptions hostLinkOptions;
    private int masqueradeIp;
    private Path dockerPluginPath;

    /** Where the host link goes: its TAP's name and subnet. */
    public record HostLinkOptions(String name, Cidr cidr) {}

    /** {@code --cluster-store} and friends: the etcd endpoints, the key prefix, and who this host is. */
    public record ClusterOptions(List<URI> endpoints, String prefix, ClusterAgent.Options host) {}

    /** Checks every setting and derives what the daemon uses; once. */
    public DaemonContext conclude() {
        if (concluded) {
            throw new IllegalStateException("DaemonContext already concluded");
        }
        metricsAddress = metrics == null ? null : parseMetrics(metrics);
        hostLinkOptions = NONE.equals(hostLink) ? null : hostLinkOf(hostLink, hostLinkCidr);
        try {
            masqueradeIp = Cidr.parseAddress(masqueradeAddress, "--masquerade-address");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid NAT option: " + e.getMessage(), e);
        }
        dockerPluginPath = NONE.equals(dockerPluginSocket) ? null : dockerPluginPathOf(dockerPluginSocket);
        concluded = true;
        return this;
    }

    public DaemonContext socket(Path path) {
        this.socket = path;
        return this;
    }

    public Path socket() {
        return socket;
    }

    public DaemonContext stateDir(Path dir) {
        this.stateDir = dir;
        return this;
    }

    public Path stateDir() {
        return stateDir;
    }

    /** The dataplane's settings (concluded by the caller). */
    public DaemonContext switchContext(SwitchContext context) {
        this.switchContext = context;
        return this;
    }

    public SwitchContext switchContext() {
        return switchContext;
    }

    /** The DNS responder's settings (concluded by the caller). */
    public DaemonContext dnsContext(DnsContext context) {
        this.dnsContext = context;
        return this;
    }

    public DnsContext dnsContext() {
        return dnsContext;
    }

    /** The connection tracker's settings (concluded by the caller). */
    public DaemonContext natContext(NatContext context) {
        this.natContext = context;
        return this;
    }

    public NatContext natContext() {
        return natContext;
    }

    /** The address masqueraded connections leave with. */
    public DaemonContext masqueradeAddress(String address) {
        this.masqueradeAddress = address;
        return this;
    }

    public int masqueradeIp() {
        requireConcluded();
        return masqueradeIp;
    }

    /** HOST:PORT of the Prometheus metrics listener; null (the default): none. */
    public DaemonContext metrics(String hostPort) {
        this.metrics = hostPort;
        return this;
    }

    public InetSocketAddress metricsAddress() {
        requireConcluded();
        return metricsAddress;
    }

    /** Null (the default): the API socket is root's alone; else members of that group may use it. */
    public DaemonContext socketGroup(String group) {
        this.socketGroup = group;
        return this;
    }

    public String socketGroup() {
        return socketGroup;
    }

    /** The host link's TAP name ({@link #NONE}: no host link) and subnet. */
    public DaemonContext hostLink(String name, String cidr) {
        this.hostLink = name;
        this.hostLinkCidr = cidr;
        return this;
    }

    /** Null without a host link. */
    public HostLinkOptions hostLinkOptions() {
        requireConcluded();
        return hostLinkOptions;
    }

    /** Joins the cluster store at start; null (the default): every network is local. */
    public DaemonContext cluster(ClusterOptions options) {
        this.cluster = options;
        return this;
    }

    public ClusterOptions cluster() {
        return cluster;
    }

    /**
     * Docker's network and IPAM plugin: its socket (null: the default path, not required, skipped
     * when another live daemon serves it; {@link #NONE}: no plugin; else required), and the engine
     * to reconcile with at start as {@code docker -H} takes it (null: the docker CLI's default).
     */
    public DaemonContext dockerPlugin(String socketPath, String engine) {
        this.dockerPluginSocket = socketPath;
        this.dockerEngine = engine;
        return this;
    }

    /** Null: no plugin. */
    public Path dockerPluginSocket() {
        requireConcluded();
        return dockerPluginPath;
    }

    /** Whether the plugin's socket was asked for (not the default): then failing to serve it stops the daemon. */
    public boolean dockerPluginRequired() {
        return dockerPluginSocket != null;
    }

    public String dockerEngine() {
        return dockerEngine;
    }

    /** How the dataplane does its TAP I/O (default: one system call per frame). */
    public DaemonContext tapIo(TapIo mode) {
        this.tapIo = mode;
        return this;
    }

    public TapIo tapIo() {
        return tapIo;
    }

    private void requireConcluded() {
        if (!concluded) {
            throw new IllegalStateException("DaemonContext not concluded");
        }
    }

    private static InetSocketAddress parseMetrics(String text) {
        final int colon = text.lastIndexOf(':');
        try {
            if (colon <= 0) {
                throw new NumberFormatException();
            }
            final int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(text.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "invalid --metrics address '" + text + "': use HOST:PORT, e.g. 127.0.0.1:9469");
        }
    }

    private static HostLinkOptions hostLinkOf(String name, String cidrText) {
        if (name.isEmpty() || name.length() > 15 || !name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException(
                    "invalid --host-link '" + name + "': an interface name of 1 to 15 letters, digits, '_', '.', '-'");
        }
        final Cidr cidr = Cidr.parse(cidrText, "--host-link-cidr");
        if (cidr.prefixLength() > 30) {
            throw new IllegalArgumentException(
                    "invalid --host-link-cidr " + cidrText + ": needs at least 4 addresses (/30 or shorter)");
        }
        return new HostLinkOptions(name, cidr);
    }

    private static Path dockerPluginPathOf(String requested) {
        final Path path = Path.of(requested == null ? DEFAULT_DOCKER_PLUGIN_SOCKET : requested);
        if (!path.isAbsolute() || !path.getFileName().toString().endsWith(".sock")) {
            throw new IllegalArgumentException("invalid --docker-plugin-socket '" + requested
                    + "': an absolute path ending in .sock (Docker names the plugin after the file), or none");
        }
        return path;
    }
}
