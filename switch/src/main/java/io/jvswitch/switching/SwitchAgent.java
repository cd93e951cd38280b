package io.jvswitch.switching;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.capture.CaptureRing;
import io.jvswitch.switching.capture.PacketTrace;
import io.jvswitch.switching.port.Port;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.switching.service.DutyCycleWork;
import io.jvswitch.switching.service.GatewayDatagramService;
import io.jvswitch.switching.service.RoutingHook;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscArrayQueue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The dataplane duty cycle: apply a few control commands, read a batch from every port that has
 * frames, push each frame through the {@link FramePipeline}, age a slice of the MAC tables.
 *
 * <p>This agent owns all switch state; the control plane changes it only through commands on an
 * MPSC queue (see {@link Dataplane}), so the packet path takes no locks.
 */
final class SwitchAgent implements Agent {
    private static final System.Logger LOG = System.getLogger("jvs.dataplane");
    /** Room for a 64 KiB GSO super-frame, its virtio-net header and a VLAN tag. */
    static final int FRAME_CAPACITY = VirtioNetHeader.LENGTH + 65_535 + 18;

    static final int PREFETCH_BURST = RoutingHook.PREFETCH_BURST;
    /** The host link's domain id: below any id the control plane hands out. */
    static final int HOST_LINK_DOMAIN = Integer.MIN_VALUE;

    private final SwitchContext ctx;
    private final ReadySet readySet;
    private final PortListener listener;
    final PortTable table;
    final CaptureTaps taps;
    private final FramePipeline pipeline;
    final GatewayReplyQueue replies;
    private final MessageHandler sendReply = this::sendReply;
    private int armedSlot = -1;
    private FrameMatcher armedMatcher;
    private CompletableFuture<PacketTrace> armedTrace;
    /** By network id; int keys, so looking a network up on the packet path boxes nothing. */
    final Int2ObjectHashMap<BridgeDomain> domains = new Int2ObjectHashMap<>();

    private BridgeDomain[] agingOrder = new BridgeDomain[0];
    private int agingCursor;
    final MpscArrayQueue<Runnable> commands;
    private final MessagePassingQueue.Consumer<Runnable> runCommand = Runnable::run;
    private final UnsafeBuffer frame;
    /**
     * Frames of one receive burst, read before any is processed so the routing hook can load their
     * state together ({@link io.jvswitch.switching.service.RoutingHook#prefetch}); allocated when a
     * hook is installed. Each is a frame buffer like {@link #frame}: still one copy in.
     */
    private UnsafeBuffer[] burst;

    private final int[] burstLengths = new int[PREFETCH_BURST];
    private final DirectBuffer[] burstRouted = new DirectBuffer[PREFETCH_BURST];
    private final int[] burstIpLengths = new int[PREFETCH_BURST];
    private final int[] readySlots;
    private int[] alwaysPolled = new int[0];
    /** Some always-polled port never wakes the dataplane: blocking in the ready set could miss its frames. */
    private boolean pollsWithoutWakeup;
    /** I/O loops run on this thread every duty cycle (see {@link DutyCycleWork}). */
    private DutyCycleWork[] works = new DutyCycleWork[0];
    /** Per work: its descriptor is in the ready set. */
    private boolean[] worksWatched = new boolean[0];
    /** Some work has no descriptor the ready set watches: blocking could miss its input. */
    private boolean worksWithoutWakeup;

    private int lastWork = 1;
    long nowNanos;

    SwitchAgent(SwitchContext ctx, ReadySet readySet, PortListener listener) {
        this.ctx = ctx;
        this.readySet = readySet;
        this.listener = listener;
        this.table = new PortTable(ctx.maxPorts());
        this.taps = new CaptureTaps(
                ctx.maxPorts(),
                ctx.captureRingBytes() == 0 ? null : new CaptureRing(ctx.captureRingBytes()),
                ctx.clock());
        this.pipeline = new FramePipeline(table, taps, ctx);
        this.replies = new GatewayReplyQueue(ctx.gatewayReplyQueueBytes(), readySet::wakeup);
        this.commands = new MpscArrayQueue<>(ctx.commandQueueCapacity());
        this.frame = newFrameBuffer();
        this.readySlots = new int[ctx.maxPorts()];
        this.nowNanos = ctx.clock().nanoTime();
    }

    @Override
    public String roleName() {
        return "jvs-dataplane";
    }

    @Override
    public void onStart() {
        ctx.dataplaneThreadSetup().run();
    }

    @Override
    public int doWork() {
        nowNanos = ctx.clock().nanoTime();
        int work = commands.drain(runCommand, ctx.commandsPerCycle());

        final int timeout = ctx.idleMode() == IdleMode.WAIT
                        && lastWork == 0
                        && !pollsWithoutWakeup
                        && !worksWithoutWakeup
                        && commands.isEmpty()
                ? ctx.waitMillis()
                : 0;
        final int ready = readySet.poll(readySlots, timeout);
        boolean descriptorReady = false;
        for (int i = 0; i < ready; i++) {
            final int slot = readySlots[i];
            if (slot == ReadySet.DESCRIPTOR_READY) {
                descriptorReady = true;
            } else {
                work += drainPort(slot);
            }
        }
        for (final int slot : alwaysPolled) {
            work += drainPort(slot);
        }
        work += replies.drain(sendReply, ctx.rxBatch());
        // after the ports: what they queued for the works' sockets this cycle leaves now
        for (final DutyCycleWork w : works) {
            work += w.doWork(nowNanos, descriptorReady);
        }
        if (pipeline.goneCount() > 0) {
            for (int i = 0; i < pipeline.goneCount(); i++) {
                portGone(pipeline.goneSlot(i));
            }
            pipeline.clearGone();
        }
        work += ageSlice();
        pipeline.router.housekeeping(nowNanos); // not counted as work: an idle dataplane may still block
        lastWork = work;
        return work;
    }

    private static UnsafeBuffer newFrameBuffer() {
        return new UnsafeBuffer(
                BufferUtil.allocateDirectAligned(BitUtil.findNextPositivePowerOfTwo(FRAME_CAPACITY), 64));
    }

    private int drainPort(int slot) {
        final Port port = table.ports[slot];
        if (port == null) {
            return 0; // unplugged while its readiness was being reported
        }
        if (burst != null && pipeline.router.hasHook()) {
            return drainInBursts(slot, port);
        }
        final int batch = ctx.rxBatch();
        int frames = 0;
        while (frames < batch) {
            final int length = port.receive(frame, 0, frame.capacity());
            if (length > 0) {
                frames++;
                if (slot == armedSlot && tracedHere(frame, length)) {
                    continue;
                }
                pipeline.process(slot, frame, length, nowNanos);
            } else {
                if (length == Port.RX_GONE) {
                    portGone(slot);
                }
                break;
            }
        }
        return frames;
    }

    /**
     * As {@link #drainPort}, with a routing hook: reads up to {@link #PREFETCH_BURST} frames, lets
     * the router show the hook those it will route, then processes them in order.
     */
    private int drainInBursts(int slot, Port port) {
        final int batch = ctx.rxBatch();
        final BridgeDomain domain = table.domains[slot];
        int frames = 0;
        while (frames < batch) {
            int read = 0;
            int last = Port.RX_EMPTY;
            while (read < PREFETCH_BURST && frames + read < batch) {
                final UnsafeBuffer buffer = burst[read];
                last = port.receive(buffer, 0, buffer.capacity());
                if (last <= 0) {
                    break;
                }
                burstLengths[read++] = last;
            }
            pipeline.router.prefetch(domain, burst, burstLengths, read, burstRouted, burstIpLengths);
            for (int i = 0; i < read; i++) {
                if (slot == armedSlot && tracedHere(burst[i], burstLengths[i])) {
                    continue;
                }
                pipeline.process(slot, burst[i], burstLengths[i], nowNanos);
            }
            frames += read;
            if (last == Port.RX_GONE) {
                portGone(slot);
                break;
            }
            if (read < PREFETCH_BURST) {
                break; // the port ran dry
            }
        }
        return frames;
    }

    /** Frames and sends one deferred service answer (see {@link GatewayReplyQueue}). */
    private void sendReply(int type, MutableDirectBuffer ring, int index, int length) {
        final BridgeDomain domain = domains.get(ring.getInt(index));
        final int payload = length - GatewayReplyQueue.HEADER;
        final int client = ring.getInt(index + 4);
        final boolean overIpv6 = GatewayDatagramService.isIpv6Client(client);
        final int at = overIpv6 ? Ipv6GatewayService.udpPayloadOffset() : Ipv4Router.udpPayloadOffset();
        if (domain == null
                || (overIpv6 ? !domain.routesIpv6() : domain.subnetMask == 0)
                || payload + at > frame.capacity()) {
            return; // the network went away meanwhile
        }
        frame.putBytes(at, ring, index + GatewayReplyQueue.HEADER, payload);
        pipeline.now = nowNanos;
        if (overIpv6) {
            pipeline.router6.service.sendDeferred(
                    domain, frame, client, ring.getInt(index + 8), ring.getInt(index + 12), payload);
        } else {
            pipeline.router.sendDeferred(
                    domain, frame, client, ring.getInt(index + 8), ring.getInt(index + 12), payload);
        }
    }

    /** A frame matching an armed trace is processed with a trace, once; then the trace is disarmed. */
    private boolean tracedHere(UnsafeBuffer buffer, int length) {
        if (length <= VirtioNetHeader.LENGTH
                || !armedMatcher.matches(buffer, VirtioNetHeader.LENGTH, length - VirtioNetHeader.LENGTH)) {
            return false;
        }
        final CompletableFuture<PacketTrace> done = armedTrace;
        final int slot = armedSlot;
        disarmTrace();
        done.complete(pipeline.trace(slot, buffer, length, nowNanos, false));
        return true;
    }

    private int ageSlice() {
        if (agingOrder.length == 0) {
            return 0;
        }
        agingCursor = (agingCursor + 1) % agingOrder.length;
        return agingOrder[agingCursor].macs.expireDue(nowNanos, ctx.agingBudgetPerCycle());
    }

    private void portGone(int slot) {
        final Port port = table.ports[slot];
        if (port == null) {
            return;
        }
        final String name = port.name();
        unplug(slot);
        listener.portGone(slot, name);
    }

    // ---- commands, run on the agent thread -------------------------------------------------

    void addNetwork(NetworkSpec spec) {
        if (domains.containsKey(spec.id())) {
            throw new IllegalStateException("network " + spec.id() + " exists in the dataplane");
        }
        final BridgeDomain domain = new BridgeDomain(spec, ctx);
        if (domain.subnetMask != 0) {
            final BridgeDomain overlapping = routedOverlapping(domain);
            if (overlapping != null) {
                throw new IllegalStateException("subnet of " + spec.name() + " overlaps network " + overlapping.name);
            }
        }
        domains.put(spec.id(), domain);
        networksChanged();
    }

    private BridgeDomain routedOverlapping(BridgeDomain added) {
        for (BridgeDomain d : domains.values()) {
            final int mask = d.subnetMask & added.subnetMask; // the shorter prefix of the two
            if (!d.hostLink && d.subnetMask != 0 && (d.subnet & mask) == (added.subnet & mask)) {
                return d;
            }
        }
        return null;
    }

    private void networksChanged() {
        agingOrder = domains.values().stream().filter(d -> !d.hostLink).toArray(BridgeDomain[]::new);
        agingCursor = 0;
        // Longest prefix first, so lookup's first match is the most specific.
        pipeline.router.routedNetworks(domains.values().stream()
                .filter(d -> !d.hostLink && d.subnetMask != 0)
                .sorted(Comparator.comparingInt((BridgeDomain d) -> Integer.bitCount(d.subnetMask))
                        .reversed())
                .toArray(BridgeDomain[]::new));
        pipeline.router6.routedNetworks(domains.values().stream()
                .filter(d -> !d.hostLink && d.routesIpv6())
                .sorted(Comparator.comparingLong((BridgeDomain d) -> Long.bitCount(d.subnet6Mask))
                        .reversed())
                .toArray(BridgeDomain[]::new));
    }

    /** Plugs the host link: the port to the host's own stack, in a domain of its own. */
    int plugHostLink(Port port, HostLinkSpec spec) {
        if (pipeline.router.hostLinkSlot >= 0) {
            throw new IllegalStateException("the host link is plugged already");
        }
        final BridgeDomain domain = new BridgeDomain(
                new NetworkSpec(
                        HOST_LINK_DOMAIN,
                        "(host)",
                        0,
                        spec.routerMac(),
                        0,
                        Math.max(576, Math.min(65_535, port.mtu())),
                        false,
                        EtherTypePolicy.FORWARD_ALL),
                true,
                ctx);
        domains.put(HOST_LINK_DOMAIN, domain);
        final int slot;
        try {
            slot = plug(HOST_LINK_DOMAIN, port, spec.routerMac(), 0, PortSecurity.ALLOW_SPOOFING);
        } catch (RuntimeException e) {
            domains.remove(HOST_LINK_DOMAIN);
            throw e;
        }
        networksChanged();
        pipeline.router.hostLink(slot, spec);
        pipeline.router6.hostLink(slot, spec);
        return slot;
    }

    void removeNetwork(int id) {
        final BridgeDomain domain = requireDomain(id);
        if (domain.memberCount() > 0) {
            throw new IllegalStateException("network " + domain.name + " still has " + domain.memberCount() + " ports");
        }
        domains.remove(id);
        networksChanged();
    }

    int plug(int networkId, Port port, long mac, int ip, PortSecurity security) {
        final BridgeDomain domain = requireDomain(networkId);
        if (ip != 0) {
            // What was learned from a tunnel gives way: the control plane's word is final.
            final long owner = domain.addresses.controlPlaneOwner(ip);
            if (owner >= 0 && owner != mac) {
                throw new IllegalStateException("address already owned by " + MacAddress.format(owner));
            }
        }
        final int slot = table.allocate(port, domain, mac, ip, security);
        if (slot < 0) {
            throw new IllegalStateException("the dataplane is full (" + table.capacity() + " ports)");
        }
        if (ip != 0) {
            domain.addresses.put(ip, mac);
        }
        if (!port.learnsRemoteAddresses()) {
            domain.addLocalMac(mac);
        }
        domain.addMember(slot);
        port.captureTap(new SlotCaptureTap(taps, slot));
        if (!readySet.add(slot, port)) {
            table.polledAlways[slot] = true;
            rebuildAlwaysPolled();
        }
        taps.recompute(table);
        return slot;
    }

    /** Gives a network its IPv6 gateway and subnet (see {@link Dataplane#addIpv6}). */
    void addIpv6(int networkId, Ipv6Gateway gateway) {
        final BridgeDomain domain = requireDomain(networkId);
        for (BridgeDomain other : domains.values()) {
            final long mask =
                    other.subnet6Mask & (gateway.prefixLength() >= 64 ? -1L : -1L << (64 - gateway.prefixLength()));
            if (other != domain && other.routesIpv6() && (other.subnet6High & mask) == (gateway.high() & mask)) {
                throw new IllegalStateException("IPv6 subnet of " + domain.name + " overlaps network " + other.name);
            }
        }
        domain.setIpv6(gateway);
        networksChanged();
    }

    /** Gives a plugged endpoint its IPv6 address: answered by proxy-NDP, allowed as its source. */
    void assignIpv6(int slot, long high, long low) {
        final BridgeDomain domain = table.domains[slot];
        if (table.ports[slot] == null || domain == null) {
            throw new IllegalStateException("no port in slot " + slot);
        }
        final long owner = domain.addresses6.lookup(high, low);
        if (owner >= 0 && owner != table.macs[slot]) {
            throw new IllegalStateException("IPv6 address already owned by " + MacAddress.format(owner));
        }
        domain.addresses6.put(high, low, table.macs[slot]);
        table.ip6Highs[slot] = high;
        table.ip6Lows[slot] = low;
    }

    void unplug(int slot) {
        final Port port = table.ports[slot];
        if (port == null) {
            return;
        }
        final BridgeDomain domain = table.domains[slot];
        if ((table.ip6Highs[slot] | table.ip6Lows[slot]) != 0
                && domain.addresses6.lookup(table.ip6Highs[slot], table.ip6Lows[slot]) == table.macs[slot]) {
            domain.addresses6.remove(table.ip6Highs[slot], table.ip6Lows[slot]);
        }
        domain.removeMember(slot);
        domain.macs.removePort(slot);
        if (table.learnsAddresses[slot]) {
            domain.addresses.removeLearnedOn(slot);
        } else {
            domain.removeLocalMac(table.macs[slot]);
        }
        if (table.ips[slot] != 0 && domain.addresses.lookup(table.ips[slot]) == table.macs[slot]) {
            domain.addresses.remove(table.ips[slot]);
        }
        if (table.polledAlways[slot]) {
            table.polledAlways[slot] = false;
            rebuildAlwaysPolled();
        } else {
            readySet.remove(slot, port);
        }
        table.release(slot);
        taps.recompute(table);
        if (slot == pipeline.router.hostLinkSlot) {
            pipeline.router.hostLink(-1, null);
            pipeline.router6.hostLink(-1, null);
            domains.remove(HOST_LINK_DOMAIN);
            networksChanged();
        }
        if (slot == armedSlot) {
            armedTrace.completeExceptionally(new IllegalStateException("the port went away before a frame matched"));
            disarmTrace();
        }
        port.close();
    }

    int startCapture(CaptureTaps.Session session) {
        return taps.start(session, table, nowNanos);
    }

    void stopCapture(int id) {
        taps.stop(id, table);
    }

    /** Runs frames (Ethernet bytes) through the pipeline as if {@code slot} had received them: replay. */
    int inject(int slot, List<byte[]> ethernetFrames) {
        if (table.ports[slot] == null) {
            throw new IllegalArgumentException("no port in slot " + slot);
        }
        int injected = 0;
        for (byte[] ethernetFrame : ethernetFrames) {
            if (ethernetFrame.length + VirtioNetHeader.LENGTH > frame.capacity()) {
                continue; // larger than any frame a port can deliver: not replayable
            }
            VirtioNetHeader.clear(frame, 0);
            frame.putBytes(VirtioNetHeader.LENGTH, ethernetFrame);
            pipeline.process(slot, frame, VirtioNetHeader.LENGTH + ethernetFrame.length, nowNanos);
            injected++;
        }
        return injected;
    }

    /** Traces a synthetic frame (Ethernet bytes) as if received on {@code slot}, without sending it anywhere. */
    PacketTrace traceSynthetic(int slot, byte[] ethernetFrame) {
        if (table.ports[slot] == null) {
            throw new IllegalArgumentException("no port in slot " + slot);
        }
        VirtioNetHeader.clear(frame, 0);
        frame.putBytes(VirtioNetHeader.LENGTH, ethernetFrame);
        return pipeline.trace(
                slot,
                frame,
                VirtioNetHeader.LENGTH + ethernetFrame.length,
                ctx.clock().nanoTime(),
                true);
    }

    /** Traces the next real frame on {@code slot} that {@code matcher} accepts. One armed trace at a time. */
    void armTrace(int slot, FrameMatcher matcher, CompletableFuture<PacketTrace> result) {
        if (table.ports[slot] == null) {
            throw new IllegalArgumentException("no port in slot " + slot);
        }
        if (armedSlot >= 0) {
            throw new IllegalStateException("another trace is waiting for a frame; try again when it is done");
        }
        armedSlot = slot;
        armedMatcher = matcher;
        armedTrace = result;
    }

    void disarmTrace() {
        armedSlot = -1;
        armedMatcher = null;
        armedTrace = null;
    }

    /** Learns the endpoint's MAC and floods a gratuitous ARP for it, as a freshly attached NIC would. */
    void announce(int slot) {
        if (table.ports[slot] == null) {
            throw new IllegalStateException("no port in slot " + slot);
        }
        final long mac = table.macs[slot];
        final int ip = table.ips[slot];
        VirtioNetHeader.clear(frame, 0);
        final int length = VirtioNetHeader.LENGTH
                + ArpPacket.encode(
                        frame,
                        VirtioNetHeader.LENGTH,
                        MacAddress.BROADCAST,
                        mac,
                        ArpPacket.OP_REQUEST,
                        mac,
                        ip,
                        0L,
                        ip);
        pipeline.inject(slot, frame, length, ctx.clock().nanoTime());
    }

    void gatewayService(GatewayDatagramService service) {
        pipeline.router.service(service);
        pipeline.router6.service.service(service);
    }

    void routingHook(RoutingHook hook) {
        pipeline.router.hook(hook);
        if (hook != null && burst == null) {
            final UnsafeBuffer[] buffers = new UnsafeBuffer[PREFETCH_BURST];
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = newFrameBuffer();
            }
            burst = buffers;
        }
    }

    Ipv4Router router() {
        return pipeline.router;
    }

    BridgeDomain requireDomain(int id) {
        final BridgeDomain domain = domains.get(id);
        if (domain == null) {
            throw new IllegalArgumentException("network " + id + " is not in the dataplane");
        }
        return domain;
    }

    private void rebuildAlwaysPolled() {
        int count = 0;
        for (int i = 0; i < table.capacity(); i++) {
            if (table.ports[i] != null && table.polledAlways[i]) {
                count++;
            }
        }
        final int[] slots = new int[count];
        int n = 0;
        for (int i = 0; i < table.capacity(); i++) {
            if (table.ports[i] != null && table.polledAlways[i]) {
                slots[n++] = i;
            }
        }
        alwaysPolled = slots;
        boolean silent = false;
        for (final int slot : slots) {
            silent |= !table.ports[slot].wakesDataplane();
        }
        pollsWithoutWakeup = silent;
    }

    void wakeup() {
        readySet.wakeup();
    }

    <W extends DutyCycleWork> W addWork(Supplier<W> factory) {
        final W work = factory.get();
        try {
            final int fd = work.readinessDescriptor();
            final boolean watched = fd >= 0 && readySet.watch(fd);
            final DutyCycleWork[] next = Arrays.copyOf(works, works.length + 1);
            next[works.length] = work;
            final boolean[] nextWatched = Arrays.copyOf(worksWatched, worksWatched.length + 1);
            nextWatched[worksWatched.length] = watched;
            works = next;
            worksWatched = nextWatched;
            worksWithoutWakeup |= !watched;
            return work;
        } catch (RuntimeException e) {
            work.close();
            throw e;
        }
    }

    void removeWork(DutyCycleWork work) {
        int index = -1;
        for (int i = 0; i < works.length; i++) {
            if (works[i] == work) {
                index = i;
            }
        }
        if (index < 0) {
            return;
        }
        final boolean watched = worksWatched[index];
        final DutyCycleWork[] next = new DutyCycleWork[works.length - 1];
        final boolean[] nextWatched = new boolean[works.length - 1];
        boolean unwatched = false;
        for (int i = 0, n = 0; i < works.length; i++) {
            if (i != index) {
                next[n] = works[i];
                nextWatched[n++] = worksWatched[i];
                unwatched |= !worksWatched[i];
            }
        }
        works = next;
        worksWatched = nextWatched;
        worksWithoutWakeup = unwatched;
        closeWork(work, watched);
    }

    private void closeWork(DutyCycleWork work, boolean watched) {
        if (watched) {
            readySet.unwatch(work.readinessDescriptor());
        }
        work.close();
    }

    @Override
    public void onClose() {
        for (int i = 0; i < works.length; i++) {
            try {
                closeWork(works[i], worksWatched[i]);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "closing " + works[i] + ": " + e);
            }
        }
        works = new DutyCycleWork[0];
        worksWatched = new boolean[0];
        for (int slot = 0; slot < table.capacity(); slot++) {
            final Port port = table.ports[slot];
            if (port != null) {
                table.release(slot);
                port.close();
            }
        }
        readySet.close();
    }
}
