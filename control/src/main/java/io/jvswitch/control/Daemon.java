package io.jvswitch.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.api.ApiClient;
import io.jvswitch.control.api.ApiRoutes;
import io.jvswitch.control.api.ApiServer;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.debug.CaptureEndpoint;
import io.jvswitch.control.debug.CaptureService;
import io.jvswitch.control.debug.DebugService;
import io.jvswitch.control.debug.MetricsServer;
import io.jvswitch.control.ipam.HostRoutes;
import io.jvswitch.control.model.StateStore;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.control.netns.ContainerNamespace;
import io.jvswitch.control.netns.InterfaceConfigurator;
import io.jvswitch.control.service.HostLink;
import io.jvswitch.control.service.NetworkService;
import io.jvswitch.control.service.Privileges;
import io.jvswitch.control.service.TapWiring;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.SwitchContext;
import io.jvswitch.tap.EpollReadySet;
import io.jvswitch.tap.TapException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
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
    private final java.net.InetSocketAddress metricsAddress;
    private final String socketGroup;
    private final HostLinkOptions hostLink;

    /** Where the host link goes: its TAP's name and subnet. */
    public record HostLinkOptions(String name, io.jvswitch.control.ipam.Cidr cidr) {
    }

    /**
     * {@code metricsAddress} null: no metrics listener (there is no TCP listener by default).
     * {@code socketGroup} null: the API socket is root's alone; else members of that group may use it.
     */
    public Daemon(Path socket, Path stateDir, SwitchContext switchContext, java.net.InetSocketAddress metricsAddress,
                  String socketGroup, HostLinkOptions hostLink) {
        this.hostLink = hostLink;
        this.socket = socket;
        this.stateDir = stateDir;
        this.switchContext = switchContext;
        this.metricsAddress = metricsAddress;
        this.socketGroup = socketGroup;
    }

    public void run() throws IOException, InterruptedException {
        Privileges.requireDaemonCapabilities();
        if (socketGroup != null) {
            try {
                socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(socketGroup);
            } catch (java.nio.file.attribute.UserPrincipalNotFoundException e) {
                throw new IllegalStateException("no group named " + socketGroup + " (for --socket-group)");
            }
        }
        claimSocket();
        final ObjectMapper json = Json.mapper();
        final StateStore store = new StateStore(stateDir, json);
        store.load(); // refuse to start on a corrupt state file before creating anything

        final ExecutorService control = Executors.newSingleThreadExecutor(r -> new Thread(r, "jvs-control"));
        final AtomicReference<NetworkService> service = new AtomicReference<>();
        final Dataplane dataplane;
        try {
            dataplane = new Dataplane(switchContext, new EpollReadySet(),
                (slot, name) -> control.execute(() -> service.get().portGone(slot)),
                error -> DATAPLANE_ERRORS.log(error.getClass().getName(), System.Logger.Level.ERROR, "dataplane error", error));
        } catch (TapException e) {
            throw new IllegalStateException("cannot create the dataplane's epoll set: " + e.getMessage(), e);
        }
        final CommandRunner runner = new CommandRunner();
        final HostLink link = hostLink == null ? null : new HostLink(hostLink.name(), hostLink.cidr(), runner);
        service.set(new NetworkService(dataplane, store,
            new TapWiring(new ContainerNamespace(runner), new InterfaceConfigurator(runner)), HostRoutes::read,
            link == null ? java.util.List.of() : java.util.List.of(link),
            new io.jvswitch.control.service.OverlayNetworks(dataplane, switchContext.macAgingNanos())));
        dataplane.start();
        final ApiServer api = new ApiServer(socket);
        final java.util.List<AutoCloseable> closeOnExit = new java.util.concurrent.CopyOnWriteArrayList<>();
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(() -> {
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
        }, "jvs-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (link != null) {
                closeOnExit.add(link);
                control.submit(() -> link.start(dataplane)).get();
            }
            control.submit(() -> service.get().restore()).get();
            final CaptureService captures = new CaptureService(dataplane, service.get()::nameOfSlot);
            closeOnExit.add(captures);
            api.group(socketGroup);
            api.start(new ApiRoutes(service.get(), new DebugService(service.get(), dataplane, captures::totalClientDrops), json),
                new CaptureEndpoint(service.get(), captures, json), control);
            if (metricsAddress != null) {
                final MetricsServer metrics = new MetricsServer(metricsAddress, new DebugService(service.get(), dataplane, captures::totalClientDrops));
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
            final Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            throw new IllegalStateException(cause.getMessage(), cause);
        }
        final var watch = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "jvs-namespace-watch");
            t.setDaemon(true);
            return t;
        });
        watch.scheduleWithFixedDelay(() -> control.execute(() -> {
            try {
                service.get().reapVanished();
            } catch (RuntimeException e) {
                DATAPLANE_ERRORS.log("namespace-watch", System.Logger.Level.WARNING, "namespace watch failed: " + e.getMessage(), e);
            }
        }), 2, 2, TimeUnit.SECONDS);
        LOG.log(System.Logger.Level.INFO, "jvs daemon ready: API on {0}, state in {1}, idle mode {2}", socket, stateDir,
            switchContext.idleMode().label());
        stopped.await();
    }

    /** Refuses to start beside a live daemon on the same socket; clears a stale socket file. */
    private void claimSocket() throws IOException {
        if (Files.exists(socket)) {
            try {
                if (new ApiClient(socket).send("GET", "/v1/ping", null).ok()) {
                    throw new IllegalStateException("a jvs daemon is already running on " + socket
                        + " (use --socket to run another one)");
                }
            } catch (ApiClient.DaemonUnreachableException e) {
                // nobody answers: a leftover from a daemon that was killed
            }
            Files.delete(socket);
        }
    }
}
