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
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscArrayQueue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The dataplane duty cycle: apply a few control commands, read a batch from every port that has
 * frames ({@link PortReader}), send the gateway's deferred answers, turn the {@link DutyCycleWorks},
 * unplug the ports that went away, age a slice of the MAC tables ({@link Domains}). The rest of
 * the class is the commands' handlers.
 *
 * <p>This agent owns all switch state; the control plane changes it only through commands on an
 * MPSC queue (see {@link Dataplane}), so the packet path takes no locks.
 */
final class SwitchAgent implements Agent {
    /** Room for a 64 KiB GSO super-frame, its virtio-net header and a VLAN tag. */
    static final int FRAME_CAPACITY = PortReader.FRAME_CAPACITY;

    static final int PREFETCH_BURST = PortReader.PREFETCH_BURST;

    final PortTable table;
    final CaptureTaps taps;
    final GatewayReplyQueue replies;
    final Domains domains;
    final MpscArrayQueue<Runnable> commands;
    long nowNanos;

    private final SwitchContext ctx;
    private final ReadySet readySet;
    private final PortListener listener;
    private final FramePipeline pipeline;
    private final PortReader reader;
    private final TraceArm traceArm = new TraceArm();
    private final DutyCycleWorks works;
    private final MessageHandler sendReply = this::sendReply;
    private final MessagePassingQueue.Consumer<Runnable> runCommand = Runnable::run;
    /** The frame buffer the agent builds its own frames in (shared with the reader's single reads). */
    private final UnsafeBuffer frame;

    private final int[] readySlots;
    private int lastWork = 1;

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
        this.domains = new Domains(ctx, pipeline.router, pipeline.router6);
        pipeline.traceFormat.networks(domains);
        this.reader = new PortReader(ctx.rxBatch(), table, pipeline, traceArm, this::portGone);
        this.works = new DutyCycleWorks(readySet);
        this.replies = new GatewayReplyQueue(ctx.gatewayReplyQueueBytes(), readySet::wakeup);
        this.commands = new MpscArrayQueue<>(ctx.commandQueueCapacity());
        this.frame = reader.frame();
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
                        && !reader.pollsWithoutWakeup()
                        && !works.withoutWakeup()
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
                work += reader.drain(slot, nowNanos);
            }
        }
        work += reader.drainAlwaysPolled(nowNanos);
        work += replies.drain(sendReply, ctx.rxBatch());
        // after the ports: what they queued for the works' sockets this cycle leaves now
        work += works.run(nowNanos, descriptorReady);
        unplugGonePorts();
        work += domains.ageSlice(nowNanos);
        pipeline.router.housekeeping(nowNanos); // not counted as work: an idle dataplane may still block
        lastWork = work;
        return work;
    }

    private void unplugGonePorts() {
        final PortEgress egress = pipeline.egress;
        if (egress.goneCount() > 0) {
            for (int i = 0; i < egress.goneCount(); i++) {
                portGone(egress.goneSlot(i));
            }
            egress.clearGone();
        }
    }

    /** Frames and sends one deferred service answer (see {@link GatewayReplyQueue}). */
    private void sendReply(int type, MutableDirectBuffer ring, int index, int length) {
        final BridgeDomain domain = domains.get(ring.getInt(index));
        final int payload = length - GatewayReplyQueue.HEADER;
        final int client = ring.getInt(index + 4);
        final boolean overIpv6 = GatewayDatagramService.isIpv6Client(client);
        final int at = overIpv6 ? Ipv6GatewayService.udpPayloadOffset() : Ipv4GatewayResponder.udpPayloadOffset();
        if (domain == null
                || (overIpv6 ? !domain.routesIpv6() : domain.subnetMask == 0)
                || payload + at > frame.capacity()) {
            return; // the network went away meanwhile
        }
        frame.putBytes(at, ring, index + GatewayReplyQueue.HEADER, payload);
        pipeline.sendDeferred(
                domain, frame, client, ring.getInt(index + 8), ring.getInt(index + 12), payload, nowNanos);
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
        domains.add(spec);
    }

    void removeNetwork(int id) {
        domains.remove(id);
    }

    BridgeDomain requireDomain(int id) {
        return domains.require(id);
    }

    /** Gives a network its IPv6 gateway and subnet (see {@link Dataplane#addIpv6}). */
    void addIpv6(int networkId, Ipv6Gateway gateway) {
        domains.addIpv6(networkId, gateway);
    }

    /** Plugs the host link: the port to the host's own stack, in a domain of its own. */
    int plugHostLink(Port port, HostLinkSpec spec) {
        if (pipeline.router.hostLinkSlot >= 0) {
            throw new IllegalStateException("the host link is plugged already");
        }
        domains.addHostLink(spec, port.mtu());
        final int slot;
        try {
            slot = plug(Domains.HOST_LINK, port, spec.routerMac(), 0, PortSecurity.ALLOW_SPOOFING);
        } catch (RuntimeException e) {
            domains.removeHostLink();
            throw e;
        }
        domains.changed();
        pipeline.router.hostLink(slot, spec);
        pipeline.router6.hostLink(slot, spec);
        return slot;
    }

    int plug(int networkId, Port port, long mac, int ip, PortSecurity security) {
        final BridgeDomain domain = domains.require(networkId);
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
        port.transmitFailures(new SlotTransmitFailures(table, slot, port));
        if (!readySet.add(slot, port)) {
            table.polledAlways[slot] = true;
            reader.rebuildAlwaysPolled();
        }
        taps.recompute(table);
        return slot;
    }

    /** Gives a plugged endpoint its IPv6 address: answered by proxy-NDP, allowed as its source. */
    void assignIpv6(int slot, long high, long low) {
        final BridgeDomain domain = table.domains[slot];
        if (table.ports[slot] == null || domain == null) {
            throw new IllegalStateException("no port in slot " + slot);
        }
        // another host's endpoint programmed from the cluster store gives way, as over IPv4
        final long owner = domain.addresses6.localOwner(high, low);
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
            domain.addresses6.removeLearnedOn(slot);
        } else {
            domain.removeLocalMac(table.macs[slot]);
        }
        if (table.ips[slot] != 0 && domain.addresses.lookup(table.ips[slot]) == table.macs[slot]) {
            domain.addresses.remove(table.ips[slot]);
        }
        if (table.polledAlways[slot]) {
            table.polledAlways[slot] = false;
            reader.rebuildAlwaysPolled();
        } else {
            readySet.remove(slot, port);
        }
        table.release(slot);
        taps.recompute(table);
        if (slot == pipeline.router.hostLinkSlot) {
            pipeline.router.hostLink(-1, null);
            pipeline.router6.hostLink(-1, null);
            domains.removeHostLink();
        }
        traceArm.portUnplugged(slot);
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
        requirePort(slot);
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
        requirePort(slot);
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
        requirePort(slot);
        traceArm.arm(slot, matcher, result);
    }

    void disarmTrace() {
        traceArm.disarm();
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
        pipeline.router6.hook(hook == null ? null : hook.ipv6());
        if (hook != null) {
            reader.enableBursts();
        }
    }

    Ipv4Router router() {
        return pipeline.router;
    }

    void wakeup() {
        readySet.wakeup();
    }

    <W extends DutyCycleWork> W addWork(Supplier<W> factory) {
        return works.add(factory);
    }

    void removeWork(DutyCycleWork work) {
        works.remove(work);
    }

    @Override
    public void onClose() {
        works.closeAll();
        for (int slot = 0; slot < table.capacity(); slot++) {
            final Port port = table.ports[slot];
            if (port != null) {
                table.release(slot);
                port.close();
            }
        }
        readySet.close();
    }

    private void requirePort(int slot) {
        if (table.ports[slot] == null) {
            throw new IllegalArgumentException("no port in slot " + slot);
        }
    }

    Map<String, Long> readySetCounters() {
        return readySet.counters();
    }
}
