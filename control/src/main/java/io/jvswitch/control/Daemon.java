package io.jvswitch.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.api.ApiClient;
import io.jvswitch.control.api.ApiRoutes;
import io.jvswitch.control.api.ApiServer;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.cluster.ClusterAgent;
import io.jvswitch.control.cluster.ClusterStateStore;
import io.jvswitch.control.cluster.EtcdGateway;
import io.jvswitch.control.cluster.StoreUnavailableException;
import io.jvswitch.control.debug.CaptureEndpoint;
import io.jvswitch.control.debug.CaptureService;
import io.jvswitch.control.debug.CaptureTargets;
import io.jvswitch.control.debug.DebugService;
import io.jvswitch.control.debug.MetricsServer;
import io.jvswitch.control.dns.EmbeddedDns;
import io.jvswitch.control.dns.NetnsResolvConf;
import io.jvswitch.control.docker.DockerEndpointNames;
import io.jvswitch.control.docker.DockerIpam;
import io.jvswitch.control.docker.DockerNetworkMap;
import io.jvswitch.control.docker.DockerPlugin;
import io.jvswitch.control.docker.DockerPluginServer;
import io.jvswitch.control.docker.DockerReconciler;
import io.jvswitch.control.docker.NetworkServiceAddresses;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.HostRoutes;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6HostRoutes;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.StateDirectoryLock;
import io.jvswitch.control.model.StateFile;
import io.jvswitch.control.model.StateStore;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.control.netns.ContainerNamespace;
import io.jvswitch.control.netns.InterfaceConfigurator;
import io.jvswitch.control.service.DockerSandboxWiring;
import io.jvswitch.control.service.DockerStartWatch;
import io.jvswitch.control.service.HostLink;
import io.jvswitch.control.service.HostPortRules;
import io.jvswitch.control.service.NatService;
import io.jvswitch.control.service.NetworkService;
import io.jvswitch.control.service.OverlayNetworks;
import io.jvswitch.control.service.Privileges;
import io.jvswitch.control.service.TapWiring;
import io.jvswitch.control.service.WiringByTarget;
import io.jvswitch.dns.DnsContext;
import io.jvswitch.dns.DnsService;
import io.jvswitch.dns.ResolvConf;
import io.jvswitch.nat.NatContext;
import io.jvswitch.nat.NatEngine;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.SwitchContext;
import io.jvswitch.tap.TapException;
import io.jvswitch.tap.TapIo;

import java.io.IOException;
import java.lang.ref.Reference;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The jvs daemon: the dataplane on its agent thread, the control service on one control thread,
 * the API on the unix socket. Runs in the foreground until SIGINT/SIGTERM; on the way out the TAPs
 * stay in their containers (persistent), so a restarted daemon takes them back.
 */
public final class Daemon {
    private static final System.Logger LOG = System.getLogger("jvs.daemon");
    /** An error on the packet path could repeat for every frame: at most 5 alike per 10 s. */
    private static final RateLimitedLog DATAPLANE_ERRORS = new RateLimitedLog(LOG, 5, 10, TimeUnit.SECONDS);

    private final Path socket;
    private final Path stateDir;
    private final SwitchContext switchContext;
    private final InetSocketAddress metricsAddress;
    private final String socketGroup;
    private final DnsContext dnsContext;
    private final DaemonContext.HostLinkOptions hostLink;
    private final NatContext natContext;
    private final int masqueradeAddress;
    private final DaemonContext.ClusterOptions cluster;
    private final Path dockerPluginSocket;
    private final boolean dockerPluginRequired;
    private final String dockerEngine;
    private final TapIo tapIo;

    /** A daemon as {@code context} (concluded) says. */
    public Daemon(DaemonContext context) {
        this.socket = context.socket();
        this.stateDir = context.stateDir();
        this.switchContext = context.switchContext();
        this.metricsAddress = context.metricsAddress();
        this.socketGroup = context.socketGroup();
        this.dnsContext = context.dnsContext();
        this.hostLink = context.hostLinkOptions();
        this.natContext = context.natContext();
        this.masqueradeAddress = context.masqueradeIp();
        this.cluster = context.cluster();
        this.dockerPluginSocket = context.dockerPluginSocket();
        this.dockerPluginRequired = context.dockerPluginRequired();
        this.dockerEngine = context.dockerEngine();
        this.tapIo = context.tapIo();
    }

    public void run() throws IOException, InterruptedException {
        Privileges.requireDaemonCapabilities();
        if (socketGroup != null) {
            try {
                socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(socketGroup);
            } catch (UserPrincipalNotFoundException e) {
                throw new IllegalStateException("no group named " + socketGroup + " (for --socket-group)");
            }
        }
        // Before anything is read or replaced (the socket, the state): one daemon per state directory.
        final StateDirectoryLock stateLock = StateDirectoryLock.acquire(stateDir);
        claimSocket();
        final ObjectMapper json = Json.mapper();
        final StateFile stateFile = new StateFile(stateDir, json);
        if (cluster == null || !ClusterStateStore.blank(stateFile)) {
            stateFile.load(); // refuse to start on a corrupt state file before creating anything
        }
        final AtomicReference<NetworkService> service = new AtomicReference<>();
        final ExecutorService control = Executors.newSingleThreadExecutor(r -> new Thread(r, "jvs-control"));
        final ClusterAgent agent = cluster == null ? null : joinCluster(control);
        // in cluster mode the state file is mirrored into the store, and restored from it when missing
        final StateStore store = agent == null ? stateFile : agent.stateStore(stateFile, json);
        final DockerIpam dockerIpam = dockerPluginSocket == null
                ? null
                : new DockerIpam(
                        stateDir,
                        json,
                        () -> {
                            final List<Cidr> inUse = new ArrayList<>(HostRoutes.read());
                            service.get().networks().stream()
                                    .filter(NetworkRecord::hasIpv4)
                                    .forEach(n -> inUse.add(Cidr.parse(n.subnet())));
                            return inUse;
                        },
                        () -> {
                            // as for IPv4: the host's routes (but the host link's, jvs's own) and jvs's networks
                            final List<Ipv6Cidr> inUse = new ArrayList<>(Ipv6HostRoutes.destinations(
                                    Ipv6HostRoutes.read(hostLink == null ? null : hostLink.name())));
                            service.get().networks().stream()
                                    .filter(NetworkRecord::enableIpv6)
                                    .forEach(n ->
                                            inUse.add(Ipv6Cidr.parse(n.ipv6().subnet(), "subnet")));
                            return inUse;
                        },
                        new NetworkServiceAddresses(
                                service::get,
                                agent == null ? null : agent::offerAddress,
                                agent == null ? null : agent::offerAddress6));
        final DockerNetworkMap dockerNetworks = new DockerNetworkMap(stateDir, json);
        if (dockerIpam != null) {
            dockerIpam.load();
            dockerNetworks.load();
        }
        final Dataplane dataplane;
        try {
            dataplane = new Dataplane(
                    switchContext,
                    tapIo.openReadySet(),
                    (slot, name) -> control.execute(() -> service.get().portGone(slot)),
                    error -> DATAPLANE_ERRORS.log(
                            error.getClass().getName(), System.Logger.Level.ERROR, "dataplane error", error));
        } catch (TapException e) {
            throw new IllegalStateException("cannot create the dataplane's ready set: " + e.getMessage(), e);
        }
        final CommandRunner runner = new CommandRunner();
        final HostLink link = hostLink == null ? null : new HostLink(hostLink.name(), hostLink.cidr(), runner);
        // NAT needs the host link: without it nothing leaves the networks and nothing is published.
        final NatService natService = link == null
                ? null
                : new NatService(
                        new NatEngine(natContext),
                        masqueradeAddress,
                        runner,
                        switchContext.clock()::nanoTime,
                        read -> Dataplane.await(dataplane.call(read)),
                        new HostPortRules(runner, stateDir, link.name(), link.routerIp()));
        service.set(new NetworkService(
                dataplane,
                store,
                new WiringByTarget(
                        new TapWiring(new ContainerNamespace(runner), new InterfaceConfigurator(runner)),
                        new DockerSandboxWiring(new ContainerNamespace(runner), runner)),
                HostRoutes::read,
                link == null ? List.of() : List.of(link, natService),
                new OverlayNetworks(dataplane, switchContext.macAgingNanos())));
        service.get().nat(natService);
        service.get().hostRoutes6(() -> Ipv6HostRoutes.read(link == null ? null : link.name()));
        if (agent != null) {
            service.get().cluster(agent);
        }
        dataplane.start();
        final ApiServer api = new ApiServer(socket);
        final List<AutoCloseable> closeOnExit = new CopyOnWriteArrayList<>();
        if (agent != null) {
            closeOnExit.add(agent);
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(
                () -> {
                    LOG.log(System.Logger.Level.INFO, "stopping: containers keep their interfaces");
                    for (AutoCloseable c : closeOnExit) {
                        try {
                            c.close();
                        } catch (Exception e) {
                            LOG.log(System.Logger.Level.WARNING, "while stopping: " + e.getMessage());
                        }
                    }
                    api.close();
                    control.shutdown();
                    dataplane.close();
                    service.get().closeOverlays();
                    stopped.countDown();
                },
                "jvs-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            // Containers get their interfaces back first (after a crash they are waiting); the host
            // link, NAT and DNS follow.
            control.submit(() -> service.get().restore()).get();
            if (link != null) {
                closeOnExit.add(link);
                closeOnExit.add(natService);
                control.submit(() -> {
                            link.start(dataplane);
                            natService.start(link);
                            Dataplane.await(dataplane.routingHook(natService.engine()));
                        })
                        .get();
            }
            // after the restore: containers get their TAPs back before the DNS start-up costs anything
            final DnsService dns = startDns(dataplane, service.get(), control, agent);
            closeOnExit.add(dns);
            final CaptureTargets captureTargets = new CaptureTargets(service.get(), link);
            final CaptureService captures = new CaptureService(dataplane, captureTargets::nameOfSlot);
            closeOnExit.add(captures);
            api.group(socketGroup);
            final DebugService debug = new DebugService(service.get(), dataplane, captures::totalClientDrops);
            debug.dnsStats(dns::stats);
            if (natService != null) {
                debug.natCounters(natService.engine()::counters);
            }
            api.start(
                    new ApiRoutes(service.get(), debug, json, natService, agent),
                    new CaptureEndpoint(service.get(), captureTargets, captures, json),
                    control);
            if (dockerIpam != null) {
                final DockerReconciler reconciler =
                        new DockerReconciler(service.get(), dockerIpam, dockerNetworks, runner, json, dockerEngine);
                startDockerPlugin(
                        new DockerPlugin(
                                service.get(),
                                dockerIpam,
                                dockerNetworks,
                                new DockerEndpointNames(runner, dockerEngine, json),
                                json),
                        () -> control.submit(reconciler::reconcile).get(),
                        control,
                        closeOnExit);
            }
            if (metricsAddress != null) {
                final DebugService metricsDebug =
                        new DebugService(service.get(), dataplane, captures::totalClientDrops);
                metricsDebug.dnsStats(dns::stats);
                if (natService != null) {
                    metricsDebug.natCounters(natService.engine()::counters);
                }
                final MetricsServer metrics = new MetricsServer(metricsAddress, metricsDebug);
                metrics.start();
                closeOnExit.add(metrics);
                LOG.log(System.Logger.Level.INFO, "Prometheus metrics on http://{0}/metrics", metricsAddress);
            }
        } catch (Exception e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            for (AutoCloseable c : closeOnExit) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // already failing: report the first error
                }
            }
            api.close();
            control.shutdownNow();
            dataplane.close();
            final Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException(cause.getMessage(), cause);
        }
        // A started container is attached again at once; the periodic look below is the fallback.
        final DockerStartWatch starts = new DockerStartWatch(
                (name, id) -> control.execute(() -> service.get().containerStarted(name, id)));
        closeOnExit.add(starts);
        final var watch = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "jvs-namespace-watch");
            t.setDaemon(true);
            return t;
        });
        watch.scheduleWithFixedDelay(
                () -> control.execute(() -> {
                    try {
                        service.get().reapVanished();
                        service.get().retryWaiting();
                        starts.follow(service.get().dockerEngines());
                    } catch (RuntimeException e) {
                        DATAPLANE_ERRORS.log(
                                "namespace-watch",
                                System.Logger.Level.WARNING,
                                "namespace watch failed: " + e.getMessage(),
                                e);
                    }
                }),
                2,
                2,
                TimeUnit.SECONDS);
        LOG.log(
                System.Logger.Level.INFO,
                "jvs daemon ready: API on {0}, state in {1}, idle mode {2}",
                socket,
                stateDir,
                switchContext.idleMode().label());
        stopped.await();
        Reference.reachabilityFence(stateLock); // held until the daemon is done
    }

    /**
     * The embedded DNS: the responder at every gateway (UDP 53 in the dataplane, TCP 53 on the
     * gateway addresses), upstreams from this namespace's resolv.conf, names following the state.
     */
    private DnsService startDns(
            Dataplane dataplane, NetworkService service, ExecutorService control, ClusterAgent agent)
            throws InterruptedException, ExecutionException {
        final var upstreams = ResolvConf.upstreams(ResolvConf.ETC_RESOLV_CONF, ResolvConf.SYSTEMD_RESOLV_CONF);
        if (upstreams.isEmpty()) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "no upstream DNS server in resolv.conf: names that are not local get"
                            + " SERVFAIL unless a network has --dns servers");
        }
        final DnsService dns = new DnsService(dnsContext, upstreams, 53);
        dns.replies(dataplane.gatewayReplies());
        Dataplane.await(dataplane.gatewayService(dns.responder()));
        final EmbeddedDns names = new EmbeddedDns(dns, new NetnsResolvConf(Path.of("/etc/netns")));
        try {
            // on the control thread, so no change slips between the first picture and the listener
            control.submit(() -> {
                        if (agent == null) {
                            service.onChange(names::update);
                            names.update(service.networks(), service.endpoints());
                            return;
                        }
                        service.onChange((n, e) -> names.update(n, e, agent.remoteEndpoints()));
                        names.update(service.networks(), service.endpoints(), agent.remoteEndpoints());
                        // the store's view reaches the dataplane from here on: global networks,
                        // peers, remote endpoints and their names
                        agent.start(
                                service,
                                () -> names.update(service.networks(), service.endpoints(), agent.remoteEndpoints()));
                    })
                    .get();
        } catch (ExecutionException | InterruptedException e) {
            dns.close();
            throw e;
        }
        LOG.log(
                System.Logger.Level.INFO,
                "DNS at every gateway, port 53; upstreams {0}; TTL {1} s",
                upstreams,
                dnsContext.ttlSeconds());
        return dns;
    }

    /**
     * Registers this host in the cluster store and reads it, before anything is built: a store that
     * does not answer stops the daemon with a clear message instead of starting it without its
     * global networks (containers on them would come back with nothing to reach).
     */
    private ClusterAgent joinCluster(ExecutorService control) {
        final EtcdGateway gateway = new EtcdGateway(cluster.endpoints(), Duration.ofSeconds(2), Duration.ofSeconds(30));
        final ClusterAgent agent = new ClusterAgent(gateway, cluster.prefix(), cluster.host(), control);
        try {
            agent.connect();
        } catch (StoreUnavailableException e) {
            agent.close();
            throw new IllegalStateException(
                    "cannot join the cluster: " + e.getMessage() + " (start etcd, or check --cluster-store)");
        } catch (RuntimeException e) {
            agent.close();
            throw new IllegalStateException("cannot join the cluster: " + e.getMessage(), e);
        }
        return agent;
    }

    /** Something to run before the plugin answers Docker. */
    @FunctionalInterface
    private interface Preparation {
        void run() throws InterruptedException, ExecutionException;
    }

    private void startDockerPlugin(
            DockerPlugin plugin, Preparation reconcile, ExecutorService control, List<AutoCloseable> closeOnExit)
            throws IOException, InterruptedException, ExecutionException {
        if (!dockerPluginRequired && DockerPluginServer.inUse(dockerPluginSocket)) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "another process serves the Docker plugin socket {0}: this daemon runs without the Docker plugin",
                    dockerPluginSocket);
            return;
        }
        // Before Docker's calls arrive: an address released here cannot be in a call in flight.
        reconcile.run();
        final DockerPluginServer server = new DockerPluginServer(dockerPluginSocket);
        closeOnExit.add(server);
        server.start(plugin, control);
        LOG.log(
                System.Logger.Level.INFO,
                "Docker network and IPAM plugin 'jvs' on {0} (docker network create -d jvs --ipam-driver jvs ...)",
                dockerPluginSocket);
    }

    /** Refuses to start beside a live daemon on the same socket; clears a stale socket file. */
    private void claimSocket() throws IOException {
        if (Files.exists(socket)) {
            try {
                if (new ApiClient(socket).send("GET", "/v1/ping", null).ok()) {
                    throw new IllegalStateException(
                            "a jvs daemon is already running on " + socket + " (use --socket to run another one)");
                }
            } catch (ApiClient.DaemonUnreachableException e) {
                // nobody answers: a leftover from a daemon that was killed
            }
            Files.delete(socket);
        }
    }
}
