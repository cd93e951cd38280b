package io.jvswitch.control.cluster;

import io.jvswitch.control.service.ApiException;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This host's registration in the cluster store ({@code hosts/<name>} under a lease) and the lease's
 * keep-alive, on a thread of its own: it is also how this host learns that the store went away
 * (a keep-alive that fails) and came back (one that answers again), or that the lease expired
 * meanwhile (register again). What must follow an outage (withdrawals, re-publication) runs on the
 * control thread. Claims ask it whether the store answers, so they fail at once with 503 when not.
 */
final class ClusterMembership implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    private final KeyValueStore store;
    private final ClusterKeys keys;
    private final ClusterAgent.Options options;
    private final ScheduledExecutorService keepalive;
    private final String since = Instant.now().toString();
    private final long[] restSample = new long[2]; // [nanos, requests] at the last quiet keep-alive

    private volatile long lease;
    private volatile boolean reachable;
    /** A re-registration is queued on the control thread: the keep-alive does not queue another. */
    private volatile boolean reRegistering;

    private volatile String lastError;
    private volatile Instant lastErrorAt;
    private volatile double restRate;

    ClusterMembership(KeyValueStore store, ClusterKeys keys, ClusterAgent.Options options) {
        this.store = store;
        this.keys = keys;
        this.options = options;
        this.keepalive = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "jvs-cluster-keepalive");
            t.setDaemon(true);
            return t;
        });
    }

    /** Refuses to start when a live host of this name advertises another address. */
    void checkName() {
        final KeyValueStore.Range mine = store.get(keys.host(options.hostName()));
        for (KeyValueStore.KeyValue kv : mine.kvs()) {
            try {
                final HostAdvert other = ClusterView.JSON.readValue(kv.value(), HostAdvert.class);
                if (!Objects.equals(other.address(), options.advertiseAddress())) {
                    throw new IllegalStateException("host name " + options.hostName() + " is in use by "
                            + other.address() + " (alive): give this host another --cluster-host-name");
                }
            } catch (IOException e) {
                // a record that does not parse is replaced
            }
        }
    }

    /** Refuses to start when the live hosts advertise the other underlay family (see {@link UnderlayFamily}). */
    void checkFamily() {
        final List<HostAdvert> live = new ArrayList<>();
        for (KeyValueStore.KeyValue kv : store.getPrefix(keys.hosts()).kvs()) {
            try {
                live.add(ClusterView.JSON.readValue(kv.value(), HostAdvert.class));
            } catch (IOException e) {
                // not a host record this jvs can read: the view counts it
            }
        }
        UnderlayFamily.requireSame(options.advertiseAddress(), options.hostName(), live);
    }

    /** A new lease and {@code hosts/<name>} under it. */
    void register() {
        lease = store.grantLease(options.ttlSeconds());
        store.put(
                keys.host(options.hostName()),
                StoreWriter.json(
                        new HostAdvert(options.hostName(), options.advertiseAddress(), options.vxlanPort(), since)),
                lease);
        reachable = true;
        LOG.log(
                System.Logger.Level.INFO,
                "registered in the cluster store as {0} ({1}), lease {2} of {3} s",
                options.hostName(),
                options.advertiseAddress(),
                Long.toHexString(lease),
                options.ttlSeconds());
    }

    /**
     * Renews the lease every TTL/3; {@code afterOutage} runs on {@code control} when the store
     * answers again, after a new registration if the lease expired meanwhile.
     */
    void keepAlive(Executor control, Runnable afterOutage) {
        final long period = Math.max(300, options.ttlSeconds() * 1000L / 3);
        keepalive.scheduleWithFixedDelay(() -> tick(control, afterOutage), period, period, TimeUnit.MILLISECONDS);
    }

    private void tick(Executor control, Runnable afterOutage) {
        try {
            final long ttl = store.keepAlive(lease);
            final boolean wasReachable = reachable;
            reachable = true;
            if (ttl == 0) {
                if (!reRegistering) {
                    reRegistering = true;
                    LOG.log(System.Logger.Level.WARNING, "this host's lease expired: registering again");
                    control.execute(() -> reRegister(afterOutage));
                }
            } else if (!wasReachable) {
                LOG.log(System.Logger.Level.INFO, "the cluster store answers again");
                control.execute(() -> catchUp(afterOutage));
            }
            sampleRestRate();
        } catch (RuntimeException e) {
            if (reachable) {
                LOG.log(System.Logger.Level.WARNING, "the cluster store does not answer: {0}", e.getMessage());
            }
            reachable = false;
            noteError(e);
        }
    }

    private void reRegister(Runnable afterOutage) {
        try {
            register();
            catchUp(afterOutage);
        } catch (RuntimeException e) {
            reachable = false;
            noteError(e);
        } finally {
            reRegistering = false;
        }
    }

    private void catchUp(Runnable afterOutage) {
        try {
            afterOutage.run();
        } catch (RuntimeException e) {
            noteError(e);
        }
    }

    private void sampleRestRate() {
        final long now = System.nanoTime();
        final long total = totalRequests();
        synchronized (restSample) {
            if (restSample[0] != 0 && now - restSample[0] >= TimeUnit.SECONDS.toNanos(20)) {
                restRate = (total - restSample[1]) / ((now - restSample[0]) / 1e9);
                restSample[0] = now;
                restSample[1] = total;
            } else if (restSample[0] == 0) {
                restSample[0] = now;
                restSample[1] = total;
            }
        }
    }

    long lease() {
        return lease;
    }

    boolean reachable() {
        return reachable;
    }

    /** Refuses a write that needs the store while a keep-alive or a request found it gone. */
    void requireReachable(String what) {
        if (!reachable) {
            throw new ApiException(
                    503,
                    "the cluster store does not answer (" + lastError + "): cannot " + what
                            + " now; the dataplane keeps forwarding, and this host catches up when it is back");
        }
    }

    /** A request that found the store gone: this host is now "unreachable" until a keep-alive answers. */
    ApiException unavailable(StoreUnavailableException e, String what) {
        reachable = false;
        noteError(e);
        return new ApiException(
                503,
                "the cluster store does not answer (" + e.getMessage() + "): cannot " + what
                        + " now; the dataplane keeps forwarding, and this host catches up when it is back");
    }

    void noteError(RuntimeException e) {
        lastError = e.getMessage();
        lastErrorAt = Instant.now();
    }

    /** Requests this host sent, failures and watch bookkeeping left out. */
    long totalRequests() {
        return store.requestCounts().entrySet().stream()
                .filter(e -> !e.getKey().equals("failed") && !e.getKey().startsWith("watch-"))
                .mapToLong(Map.Entry::getValue)
                .sum();
    }

    /** The connection's part of {@code jvs cluster status}. */
    void status(Map<String, Object> out) {
        out.put("state", reachable ? "connected" : "unreachable");
        out.put("endpoint", store.currentEndpoint());
        out.put("lease", Long.toHexString(lease));
        out.put("ttlSeconds", options.ttlSeconds());
        out.put("watchRevision", store.watchRevision());
        out.put("requests", store.requestCounts());
        out.put("requestsTotal", totalRequests());
        out.put("requestsPerSecondAtRest", Math.round(restRate * 100) / 100.0);
        out.put("lastError", lastError);
        out.put("lastErrorAt", lastErrorAt == null ? null : lastErrorAt.toString());
    }

    @Override
    public void close() {
        keepalive.shutdownNow();
    }
}
