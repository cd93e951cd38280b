package io.jvswitch.dns;

import io.jvswitch.switching.service.GatewayDatagramService;
import io.jvswitch.switching.service.GatewayReplies;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The embedded DNS service, put together: the name store, the UDP responder the dataplane runs at
 * every gateway, the upstream forwarder with its cache, and the TCP listeners. Everything but the
 * responder runs on one event loop thread ({@code jvs-dns}).
 */
public final class DnsService implements AutoCloseable {
    private final DnsContext context;
    private final DnsCounters counters = new DnsCounters();
    private final DnsNameStore names;
    private final DnsCache cache;
    private final EventLoopGroup group;
    private final UpstreamForwarder forwarder;
    private final DnsResponder responder;
    private final DnsTcpServer tcp;

    /**
     * Starts the event loop and the upstream socket.
     *
     * @param defaultUpstreams servers for networks without their own (see {@link ResolvConf})
     * @param tcpPort where TCP is served at each gateway (53), or 0 for no TCP
     */
    public DnsService(DnsContext context, List<InetSocketAddress> defaultUpstreams, int tcpPort)
            throws InterruptedException {
        context.requireConcluded();
        this.context = context;
        this.names = new DnsNameStore(context.maxRecords(), defaultUpstreams, counters);
        this.cache = new DnsCache(context.cacheEntries(), context.cacheBytes(), counters);
        this.group = new MultiThreadIoEventLoopGroup(
                1,
                r -> {
                    final Thread t = new Thread(r, "jvs-dns");
                    t.setDaemon(true);
                    return t;
                },
                EpollIoHandler.newFactory());
        final EventLoop loop = group.next();
        this.forwarder = new UpstreamForwarder(loop, context, names, cache, counters, System::nanoTime);
        try {
            forwarder.start();
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        this.responder = new DnsResponder(names, counters, context.ttlSeconds(), forwarder);
        this.tcp = tcpPort == 0 ? null : new DnsTcpServer(loop, context, names, counters, forwarder, tcpPort);
    }

    /** The service to install at the gateways (UDP port 53). */
    public GatewayDatagramService responder() {
        return responder;
    }

    /** Where deferred (upstream) answers go: the dataplane's gateway replies. */
    public void replies(GatewayReplies replies) {
        forwarder.replies(replies);
    }

    /** Replaces the networks and names; binds or closes TCP listeners to match. Any thread. */
    public void update(List<DnsNetwork> networks, List<DnsEndpointName> endpoints) {
        names.update(networks, endpoints);
        if (tcp != null) {
            tcp.sync(networks);
        }
    }

    /** The local UDP ports queries to upstream servers leave from now (the pool rotates). */
    int[] upstreamPorts() throws Exception {
        return group.next().submit(forwarder::localPorts).get(1, TimeUnit.SECONDS);
    }

    public DnsCounters counters() {
        return counters;
    }

    public DnsContext context() {
        return context;
    }

    /** Counters by label, then the sizes of the store, the cache and the queries in flight. */
    public Map<String, Long> stats() {
        final Map<String, Long> out = new LinkedHashMap<>(counters.snapshot());
        out.put("names", (long) names.names());
        out.put("names-limit-records", (long) names.maxRecords());
        out.put("upstreams-default", (long) names.defaultUpstreams().size());
        try {
            final long[] sizes = group.next()
                    .submit(() -> new long[] {cache.size(), cache.bytes(), forwarder.inFlight()})
                    .get(1, TimeUnit.SECONDS);
            out.put("cache-entries", sizes[0]);
            out.put("cache-bytes", sizes[1]);
            out.put("in-flight", sizes[2]);
        } catch (Exception e) {
            // the loop is stopping: the counters above are still right
        }
        return out;
    }

    @Override
    public void close() {
        if (tcp != null) {
            tcp.close();
        }
        forwarder.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
