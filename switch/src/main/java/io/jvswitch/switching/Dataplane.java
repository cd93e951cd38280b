package io.jvswitch.switching;

import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.capture.CaptureRing;
import io.jvswitch.switching.capture.PacketTrace;
import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.switching.service.DutyCycleWork;
import io.jvswitch.switching.service.GatewayDatagramService;
import io.jvswitch.switching.service.GatewayReplies;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The switch as the control plane sees it: typed commands that run on the dataplane thread and
 * complete a future, and snapshots taken there. Nothing here touches switch state directly.
 *
 * <p>Either {@link #start()} runs the agent on its own thread under an {@link AgentRunner}, or a
 * test or benchmark drives it deterministically with {@link #runDutyCycle()}.
 */
public final class Dataplane implements AutoCloseable {
    private static final long COMMAND_TIMEOUT_SECONDS = 10;

    private final SwitchContext ctx;
    private final SwitchAgent agent;
    private final ErrorHandler errorHandler;
    private AgentRunner runner;

    public Dataplane(SwitchContext ctx, ReadySet readySet, PortListener listener, ErrorHandler errorHandler) {
        if (!ctx.isConcluded()) {
            ctx.conclude();
        }
        this.ctx = ctx;
        this.errorHandler = errorHandler;
        this.agent = new SwitchAgent(ctx, readySet, listener);
    }

    /** Starts the agent on a thread named {@code jvs-dataplane}. */
    public synchronized void start() {
        if (runner != null) {
            throw new IllegalStateException("already started");
        }
        final IdleStrategy idle = ctx.idleMode().newStrategy();
        runner = new AgentRunner(idle, errorHandler, null, agent);
        AgentRunner.startOnThread(runner);
    }

    /** One duty cycle on the calling thread; for tests and benchmarks that do not {@link #start()}. */
    public int runDutyCycle() {
        if (runner != null) {
            throw new IllegalStateException("the dataplane runs on its own thread");
        }
        return agent.doWork();
    }

    /**
     * Makes an idle dataplane look at its ports now; from any thread. Ports fed by other threads
     * ({@link Port#wakesDataplane()}) call it when frames become pending.
     */
    public void wakeup() {
        agent.wakeup();
    }

    // ---- commands --------------------------------------------------------------------------

    /** Adds a switched-only network (no routing): see {@link #addNetwork(NetworkSpec)}. */
    public CompletableFuture<Void> addNetwork(
            int id, String name, int gatewayIp, long gatewayMac, EtherTypePolicy policy) {
        return addNetwork(NetworkSpec.switchedOnly(id, name, gatewayIp, gatewayMac, policy));
    }

    /** Adds a network; a routed one's subnet must not overlap another routed network's. */
    public CompletableFuture<Void> addNetwork(NetworkSpec spec) {
        return submit(a -> {
            a.addNetwork(spec);
            return null;
        });
    }

    /**
     * Gives a network its IPv6 side: the gateway address the switch owns (answered by proxy-NDP
     * and ping6) and the subnet's prefix length, which the IPv6 router routes by.
     */
    public CompletableFuture<Void> addIpv6(int networkId, Ipv6Gateway gateway) {
        return submit(a -> {
            a.addIpv6(networkId, gateway);
            return null;
        });
    }

    /**
     * Gives a plugged endpoint its IPv6 address: proxy-NDP answers for it, and port security lets
     * the endpoint send from it. Fails if another endpoint of the network owns the address.
     */
    public CompletableFuture<Void> assignIpv6(int slot, long high, long low) {
        return submit(a -> {
            a.assignIpv6(slot, high, low);
            return null;
        });
    }

    /**
     * Plugs the host link: the port to the host's own network stack, through which the gateway
     * routes everything that is not for a network. One at a time; unplug it with {@link #unplug}.
     */
    public CompletableFuture<Integer> plugHostLink(Port port, HostLinkSpec spec) {
        return submit(a -> a.plugHostLink(port, spec));
    }

    /** Installs (or with null removes) the UDP service every gateway runs, such as DNS. */
    public CompletableFuture<Void> gatewayService(GatewayDatagramService service) {
        return submit(a -> {
            a.gatewayService(service);
            return null;
        });
    }

    /** Where a gateway service sends its deferred answers; thread-safe. */
    public GatewayReplies gatewayReplies() {
        return agent.replies;
    }

    /** Installs (or with null removes) the address translation stage of the router. */
    public CompletableFuture<Void> routingHook(RoutingHook hook) {
        return submit(a -> {
            a.routingHook(hook);
            return null;
        });
    }

    /**
     * Runs {@code task} on the dataplane thread and completes with its result: how a service reads
     * state its hooks keep on that thread (the connection tracker's table) as a consistent snapshot.
     * The task must be short; it holds up the packet path while it runs.
     */
    public <T> CompletableFuture<T> call(Supplier<T> task) {
        return submit(a -> task.get());
    }

    /**
     * Constructs {@code factory}'s work on the dataplane thread and runs it there on every duty
     * cycle from then on (see {@link io.jvswitch.switching.service.DutyCycleWork}). A factory that
     * throws registers nothing; the future fails with its exception.
     */
    public <W extends DutyCycleWork> CompletableFuture<W> addWork(Supplier<W> factory) {
        return submit(a -> a.addWork(factory));
    }

    /** Stops running {@code work} and closes it, on the dataplane thread. Unknown work is ignored. */
    public CompletableFuture<Void> removeWork(DutyCycleWork work) {
        return submit(a -> {
            a.removeWork(work);
            return null;
        });
    }

    /** The ready set's counters ({@link ReadySet#counters()}), read on the dataplane thread. */
    public CompletableFuture<Map<String, Long>> readySetCounters() {
        return submit(a -> a.readySetCounters());
    }

    /** Router-wide counters. */
    public CompletableFuture<RouterStats> routerStats() {
        return submit(a -> {
            final Ipv4Router r = a.router();
            return new RouterStats(
                    r.hostLinkSlot >= 0, r.fromHost, r.toHost, r.icmpErrorsSent(), r.icmpErrorsSuppressed());
        });
    }

    public CompletableFuture<Void> removeNetwork(int id) {
        return submit(a -> {
            a.removeNetwork(id);
            return null;
        });
    }

    /**
     * Plugs a port into a network. {@code ip} (0 for none) is registered for proxy-ARP with
     * {@code mac} as its owner, and with {@link PortSecurity#ENFORCE} the port may send only as that
     * MAC and address. Returns the port's slot. The dataplane owns the port from now on.
     */
    public CompletableFuture<Integer> plug(int networkId, Port port, long mac, int ip, PortSecurity security) {
        return submit(a -> a.plug(networkId, port, mac, ip, security));
    }

    /**
     * Programs a remote endpoint's address into a network's proxy-ARP table (an overlay endpoint on
     * another host, as the cluster store says): answered here from {@code mac}, never replaced by
     * learning, never replacing a local endpoint's entry.
     */
    public CompletableFuture<Boolean> programRemoteAddress(int networkId, int ip, long mac) {
        return submit(a -> a.requireDomain(networkId).addresses.putRemote(ip, mac));
    }

    /** Forgets a remote endpoint's address programmed with {@link #programRemoteAddress}. */
    public CompletableFuture<Boolean> forgetRemoteAddress(int networkId, int ip, long mac) {
        return submit(a -> {
            final BridgeDomain domain = a.domains.get(networkId);
            return domain != null && domain.addresses.removeRemote(ip, mac);
        });
    }

    /**
     * Programs a remote endpoint's IPv6 address into a network's proxy-NDP table (the IPv6
     * counterpart of {@link #programRemoteAddress}): answered here from {@code mac}, never replacing
     * a local endpoint's entry. False when there is one, or the table is full.
     */
    public CompletableFuture<Boolean> programRemoteAddress6(int networkId, long high, long low, long mac) {
        return submit(a -> a.requireDomain(networkId).addresses6.putRemote(high, low, mac));
    }

    /** Forgets a remote endpoint's IPv6 address programmed with {@link #programRemoteAddress6}. */
    public CompletableFuture<Boolean> forgetRemoteAddress6(int networkId, long high, long low) {
        return submit(a -> {
            final BridgeDomain domain = a.domains.get(networkId);
            return domain != null && domain.addresses6.removeRemote(high, low);
        });
    }

    /** Unplugs and closes the port in {@code slot}, forgetting its MACs and its address. */
    public CompletableFuture<Void> unplug(int slot) {
        return submit(a -> {
            a.unplug(slot);
            return null;
        });
    }

    /** Floods a gratuitous ARP from the endpoint in {@code slot} and learns its MAC there. */
    public CompletableFuture<Void> announce(int slot) {
        return submit(a -> {
            a.announce(slot);
            return null;
        });
    }

    // ---- capture and trace -------------------------------------------------------------------

    /**
     * Starts copying frames to the capture ring: those of the given slots, or when {@code slots} is
     * null of every port in {@code networkId} (all networks when negative), at the points in
     * {@code pointsMask} ({@link io.jvswitch.switching.capture.CapturePoint#bit()}). Returns the
     * session id, the record type mask bit in the ring being {@code 1 << id}.
     */
    public CompletableFuture<Integer> startCapture(int networkId, int[] slots, int pointsMask, int snapLength) {
        final CaptureTaps.Session session =
                new CaptureTaps.Session(networkId, slots == null ? null : slots.clone(), pointsMask, snapLength);
        return submit(a -> a.startCapture(session));
    }

    /** Stops a capture session; returns its final counters. */
    public CompletableFuture<CaptureCounters> stopCapture(int id) {
        return submit(a -> {
            final CaptureCounters counters = new CaptureCounters(a.taps.captured[id], a.taps.ringDrops[id]);
            a.stopCapture(id);
            return counters;
        });
    }

    /** Capture copies made and lost since the dataplane started, over all sessions. */
    public CompletableFuture<CaptureCounters> captureTotals() {
        return submit(a -> new CaptureCounters(a.taps.totalCopied, a.taps.totalRingDrops));
    }

    public CompletableFuture<CaptureCounters> captureCounters(int id) {
        return submit(a -> new CaptureCounters(a.taps.captured[id], a.taps.ringDrops[id]));
    }

    /** The ring capture copies travel in; read it from one thread only. Null if capture is disabled. */
    public CaptureRing captureRing() {
        return agent.taps.ring();
    }

    /** Processes Ethernet frames as if received on {@code slot} (counted as received there). */
    public CompletableFuture<Integer> inject(int slot, List<byte[]> ethernetFrames) {
        final List<byte[]> copy = List.copyOf(ethernetFrames);
        return submit(a -> a.inject(slot, copy));
    }

    /** Traces a synthetic Ethernet frame as if it came in on {@code slot}: a dry run, nothing is sent. */
    public CompletableFuture<PacketTrace> traceSynthetic(int slot, byte[] ethernetFrame) {
        return submit(a -> a.traceSynthetic(slot, ethernetFrame));
    }

    /**
     * Arms a trace of the next real frame on {@code slot} that {@code matcher} accepts. The returned
     * future completes with the trace when such a frame arrives; cancel with {@link #disarmTrace()}.
     */
    public CompletableFuture<PacketTrace> armTrace(int slot, FrameMatcher matcher) {
        final CompletableFuture<PacketTrace> result = new CompletableFuture<>();
        await(submit(a -> {
            a.armTrace(slot, matcher, result);
            return null;
        }));
        return result;
    }

    public CompletableFuture<Void> disarmTrace() {
        return submit(a -> {
            a.disarmTrace();
            return null;
        });
    }

    /**
     * The MAC the network's proxy-ARP would answer for {@code ip} (its address book: local endpoints
     * and addresses learned from tunnels), or -1: what a container's ARP would resolve.
     */
    public CompletableFuture<Long> proxyArpLookup(int networkId, int ip) {
        return submit(a -> a.requireDomain(networkId).addresses.lookup(ip));
    }

    /** As {@link #proxyArpLookup} for IPv6: the MAC proxy-NDP would answer for the address, or -1. */
    public CompletableFuture<Long> proxyNdpLookup(int networkId, long high, long low) {
        return submit(a -> a.requireDomain(networkId).addresses6.lookup(high, low));
    }

    public CompletableFuture<List<FdbEntry>> fdb(int networkId) {
        return submit(a -> {
            final BridgeDomain domain = a.requireDomain(networkId);
            final List<FdbEntry> entries = new ArrayList<>(domain.macs.size());
            domain.macs.forEach(a.nowNanos, (mac, slot, age) -> {
                final Port port = a.table.ports[slot];
                entries.add(new FdbEntry(
                        MacAddress.format(mac),
                        slot,
                        port == null ? "?" : port.name(),
                        TimeUnit.NANOSECONDS.toMillis(age)));
            });
            entries.sort(Comparator.comparing(FdbEntry::port).thenComparing(FdbEntry::mac));
            return entries;
        });
    }

    public CompletableFuture<List<PortStats>> portStats() {
        return submit(a -> {
            final List<PortStats> stats = new ArrayList<>();
            final PortTable t = a.table;
            for (int slot = 0; slot < t.capacity(); slot++) {
                if (t.ports[slot] != null) {
                    stats.add(portStats(t, slot));
                }
            }
            return stats;
        });
    }

    public CompletableFuture<NetworkStats> networkStats(int networkId) {
        return submit(a -> {
            final BridgeDomain d = a.requireDomain(networkId);
            final MacTable m = d.macs;
            final long[] counts = d.counts.clone();
            counts[NetworkCounter.ARP_LEARN_REFUSED.ordinal()] = d.addresses.learnRefused();
            counts[NetworkCounter.NDP_LEARN_REFUSED.ordinal()] = d.addresses6.learnRefused();
            return new NetworkStats(
                    d.name,
                    d.memberCount(),
                    m.size(),
                    m.limit(),
                    m.learnedCount,
                    m.movedCount,
                    m.agedCount,
                    m.refusedTableFull,
                    m.refusedPortLimit,
                    d.addresses.size(),
                    counts);
        });
    }

    private static PortStats portStats(PortTable t, int slot) {
        final PortCounters c = t.counters[slot];
        final Map<String, Long> drops = new LinkedHashMap<>();
        for (DropReason reason : DropReason.VALUES) {
            final long n = c.drops[reason.ordinal()];
            if (n != 0) {
                drops.put(reason.label(), n);
            }
        }
        final BridgeDomain domain = t.domains[slot];
        return new PortStats(
                slot,
                t.ports[slot].name(),
                domain.name,
                MacAddress.format(t.macs[slot]),
                c.counts.clone(),
                domain.macs.entriesOn(slot),
                drops);
    }

    /**
     * Runs {@code command} on the dataplane thread. Fails fast when the command queue is full
     * rather than blocking the caller behind a stalled dataplane.
     */
    <T> CompletableFuture<T> submit(Function<SwitchAgent, T> command) {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final boolean queued = agent.commands.offer(() -> {
            try {
                result.complete(command.apply(agent));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        if (!queued) {
            result.completeExceptionally(new IllegalStateException("dataplane command queue is full"));
        } else {
            agent.wakeup(); // an idle dataplane blocked in its ready set takes the command now, not after waitMillis
        }
        return result;
    }

    /** Waits for a command's result; unwraps its failure; bounded so a stuck dataplane is reported. */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the dataplane did not answer within " + COMMAND_TIMEOUT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the dataplane");
        }
    }

    /** Stops the agent, closes its duty-cycle works and every port (persistent TAPs stay with their containers). */
    @Override
    public synchronized void close() {
        if (runner != null) {
            runner.close();
            runner = null;
        } else {
            agent.onClose();
        }
    }
}
