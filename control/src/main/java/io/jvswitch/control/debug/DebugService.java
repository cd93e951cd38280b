package io.jvswitch.control.debug;

import io.jvswitch.control.capture.BpfFilter;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.EndpointMac;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkIpv6;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.service.ControlException;
import io.jvswitch.control.service.NetworkService;
import io.jvswitch.nat.NatCounters;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.DropReason;
import io.jvswitch.switching.NetworkStats;
import io.jvswitch.switching.PortCounter;
import io.jvswitch.switching.PortStats;
import io.jvswitch.switching.capture.PacketTrace;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** The debugging tools behind the API: trace, replay (inject), stats. Capture streams are in {@link CaptureEndpoint}. */
public final class DebugService {
    private static final int MAX_TRACE_WAIT_SECONDS = 300;

    private final NetworkService service;
    private final Dataplane dataplane;
    private final LongSupplier captureClientDrops;
    private volatile Supplier<Map<String, Long>> dnsStats;
    private volatile Supplier<NatCounters> natCounters;

    public DebugService(NetworkService service, Dataplane dataplane, LongSupplier captureClientDrops) {
        this.service = service;
        this.dataplane = dataplane;
        this.captureClientDrops = captureClientDrops;
    }

    /** A synthetic trace answers at once; a real one completes when a matching frame arrives. */
    public Object trace(TraceRequest request) {
        if (request.from() == null) {
            throw ControlException.invalid("say where the packet comes from: --from ENDPOINT");
        }
        final EndpointRecord from = service.endpoint(request.from(), request.network());
        final int slot = service.slotOf(from);
        if ((request.packet() == null) == (request.match() == null)) {
            throw ControlException.invalid(
                    "give either a packet to describe (synthetic) or --match FILTER (the next real frame)");
        }
        if (request.packet() != null) {
            final SyntheticPacket packet = SyntheticPacket.parse(request.packet());
            final PacketTrace trace = Dataplane.await(dataplane.traceSynthetic(slot, syntheticFrame(from, packet)));
            return new TraceView(
                    from.name(), from.network(), "synthetic: " + request.packet(), trace.steps(), trace.verdict());
        }
        final int timeout = request.timeoutSeconds() == null ? 30 : request.timeoutSeconds();
        if (timeout < 1 || timeout > MAX_TRACE_WAIT_SECONDS) {
            throw ControlException.invalid("timeout must be within 1.." + MAX_TRACE_WAIT_SECONDS + " seconds");
        }
        final BpfFilter filter;
        try {
            filter = BpfFilter.compile(request.match(), 65_535);
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        }
        // The matcher runs on the dataplane thread, only while armed, only for this port's frames.
        final byte[][] scratch = {new byte[2048]};
        final CompletableFuture<PacketTrace> pending;
        try {
            pending = dataplane.armTrace(slot, (buffer, offset, length) -> {
                if (scratch[0].length < length) {
                    scratch[0] = new byte[length];
                }
                buffer.getBytes(offset, scratch[0], 0, length);
                return filter.matches(scratch[0], length);
            });
        } catch (RuntimeException e) {
            filter.close();
            throw e;
        }
        return pending.orTimeout(timeout, TimeUnit.SECONDS)
                .whenComplete((t, e) -> {
                    if (e != null) {
                        dataplane.disarmTrace();
                    }
                })
                .handle((trace, failure) -> {
                    filter.close();
                    // A stage after orTimeout sees the TimeoutException wrapped.
                    final Throwable error = failure instanceof CompletionException wrapped && wrapped.getCause() != null
                            ? wrapped.getCause()
                            : failure;
                    if (error != null) {
                        if (error instanceof TimeoutException) {
                            throw ControlException.conflict("no frame on " + from.name() + " matched '"
                                    + request.match() + "' within " + timeout + " s");
                        }
                        throw error instanceof RuntimeException re ? re : new IllegalStateException(error);
                    }
                    return new TraceView(
                            from.name(),
                            from.network(),
                            "real frame matching: " + request.match(),
                            trace.steps(),
                            trace.verdict());
                });
    }

    /** The frame {@code from} would send for the described packet: its own MAC and address where none is given. */
    private byte[] syntheticFrame(EndpointRecord from, SyntheticPacket packet) {
        final long mac = MacAddress.parse(from.mac());
        final NetworkRecord network = service.network(from.network());
        if (packet.ipv6()) {
            if (from.ipv6() == null) {
                throw ControlException.invalid("an IPv6 packet needs an IPv6 address to come from, and " + from.name()
                        + " on " + from.network() + " has none: describe an IPv4 packet");
            }
            return packet.frame6(
                    mac, Ipv6Cidr.parseAddress(from.ipv6(), "address"), nextHopMac6(network, packet.dstIp6()));
        }
        if (!from.hasIpv4()) {
            throw ControlException.invalid("an IPv4 packet needs an IPv4 address to come from, and " + from.name()
                    + " on " + from.network() + " has none: describe an IPv6 one (icmp6, tcp6, udp6)");
        }
        return packet.frame(mac, Cidr.parseAddress(from.ipv4()), nextHopMac(network, packet.dstIp()));
    }

    /**
     * The MAC a container would send to, resolved the way it would: off its subnet, the gateway's;
     * on it, what its ARP would get, which the switch's proxy-ARP answers from the network's address
     * book (its endpoints, and remote ones learned over the tunnel). Unknown there: broadcast, as
     * only an unanswered ARP would leave it.
     */
    private long nextHopMac(NetworkRecord network, int dstIp) {
        final Cidr subnet = Cidr.parse(network.subnet());
        final int gateway = Cidr.parseAddress(network.gateway());
        if (!subnet.contains(dstIp) || dstIp == gateway) {
            return EndpointMac.derive(gateway);
        }
        final long known = Dataplane.await(dataplane.proxyArpLookup(network.dataplaneId(), dstIp));
        return known >= 0 ? known : MacAddress.BROADCAST;
    }

    /**
     * As {@link #nextHopMac} for IPv6: off the IPv6 subnet (and not link-local), the gateway's; on
     * it, what proxy-NDP answers from the network's IPv6 address book; unknown there, broadcast.
     */
    private long nextHopMac6(NetworkRecord network, BigInteger dstIp) {
        final NetworkIpv6 side = network.ipv6();
        final long gatewayMac = network.hasIpv4()
                ? EndpointMac.derive(Cidr.parseAddress(network.gateway()))
                : EndpointMac.derive(Ipv6Cidr.parseAddress(side.gateway(), "gateway"));
        final boolean onLink = Ipv6Address.isLinkLocal(Ipv6Cidr.high(dstIp))
                || Ipv6Cidr.parse(side.subnet(), "subnet").contains(dstIp);
        if (!onLink) {
            return gatewayMac;
        }
        final long known = Dataplane.await(
                dataplane.proxyNdpLookup(network.dataplaneId(), Ipv6Cidr.high(dstIp), Ipv6Cidr.low(dstIp)));
        return known >= 0 ? known : MacAddress.BROADCAST;
    }

    /** Replay: frames (each {@code u32 length, bytes}) processed as if the endpoint's port received them. */
    public Map<String, Object> inject(String endpoint, String network, byte[] body) {
        final EndpointRecord target = service.endpoint(endpoint, network);
        final List<byte[]> frames = new ArrayList<>();
        final ByteBuffer in = ByteBuffer.wrap(body == null ? new byte[0] : body);
        while (in.remaining() >= 4) {
            final int length = in.getInt();
            if (length < 14 || length > 65_535 + 18 || length > in.remaining()) {
                throw ControlException.invalid("malformed frame batch: a frame of " + length + " bytes");
            }
            final byte[] frame = new byte[length];
            in.get(frame);
            frames.add(frame);
        }
        if (in.hasRemaining()) {
            throw ControlException.invalid("malformed frame batch: " + in.remaining() + " stray bytes at the end");
        }
        final int injected = Dataplane.await(dataplane.inject(service.slotOf(target), frames));
        return Map.of("endpoint", target.name(), "network", target.network(), "frames", injected);
    }

    /** Per port, per stage, per drop reason, per network: what jvs stats shows. */
    public Map<String, Object> stats() {
        final List<PortStats> ports = service.portStats();
        final Map<String, Long> byStage = new LinkedHashMap<>();
        for (DropReason.Stage stage : DropReason.Stage.values()) {
            byStage.put(stage.label(), 0L);
        }
        final Map<String, Long> byReason = new LinkedHashMap<>();
        long rx = 0;
        long tx = 0;
        for (PortStats p : ports) {
            rx += p.get(PortCounter.RX_FRAMES);
            tx += p.get(PortCounter.TX_FRAMES);
            p.drops().forEach((reason, n) -> {
                byStage.merge(DropReason.parse(reason).stage().label(), n, Long::sum);
                byReason.merge(reason, n, Long::sum);
            });
        }
        final Map<String, NetworkStats> networks = service.allNetworkStats();
        final Map<String, Object> result = new LinkedHashMap<>();
        result.put("totals", Map.of("rxFrames", rx, "txFrames", tx, "ports", ports.size()));
        result.put("dropsByStage", byStage);
        result.put("dropsByReason", byReason);
        result.put("ports", ports);
        result.put("networks", networks);
        result.put("router", Dataplane.await(dataplane.routerStats()));
        result.put("tapIo", Dataplane.await(dataplane.readySetCounters())); // empty unless --tap-io uring
        final var capture = Dataplane.await(dataplane.captureTotals());
        result.put(
                "capture",
                Map.of(
                        "copied",
                        capture.captured(),
                        "ringDrops",
                        capture.ringDrops(),
                        "clientDrops",
                        captureClientDrops.getAsLong()));
        final Supplier<Map<String, Long>> dns = dnsStats;
        if (dns != null) {
            result.put("dns", dns.get());
        }
        final NatCounters nat = natCounters();
        if (nat != null) {
            final Map<String, Object> natStats = new LinkedHashMap<>();
            natStats.put("connections", nat.connections());
            natStats.put("limit", nat.limit());
            natStats.putAll(nat.countsByLabel()); // every NatCounter by its label
            natStats.put("drops", nat.dropsByReason());
            result.put("nat", natStats);
        }
        return result;
    }

    /** Adds the DNS responder's counters (by reason) to {@link #stats()}. */
    public void dnsStats(Supplier<Map<String, Long>> dnsStats) {
        this.dnsStats = dnsStats;
    }

    /** Adds the translator's counters ({@code NatCounter}, drops by reason) to {@link #stats()} and the metrics. */
    public void natCounters(Supplier<NatCounters> natCounters) {
        this.natCounters = natCounters;
    }

    /** The translator's counters now, or null without NAT. */
    NatCounters natCounters() {
        final Supplier<NatCounters> nat = natCounters;
        return nat == null ? null : nat.get();
    }
}
