package io.jvswitch.vtep;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.packet.VxlanHeader;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.capture.CaptureTap;
import io.jvswitch.switching.port.Port;
import io.netty.buffer.ByteBuf;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One overlay network's VXLAN tunnel, as a switch {@link Port} in that network's bridge domain.
 *
 * <p>Transmit (dataplane thread): the inner destination MAC is looked up in this tunnel's own
 * MAC-to-VTEP table; a known unicast goes to that peer, anything else (broadcast, multicast,
 * unknown unicast) to every peer (head-end replication). The frame is encapsulated (RFC 7348) into
 * a pooled direct buffer, a TCP super-frame segmented to the overlay MTU on the way, and handed to
 * the underlay through a {@link TxQueue}, which it sends after the ports are drained: one copy out.
 *
 * <p>Receive: the underlay's loop validates datagrams ({@link VtepReceiver}) and {@linkplain #offer
 * queues} references to their inner frames, left in the buffers netty received them in
 * ({@link InboundFrames}); the dataplane drains the queue in {@link #receive}, copying each frame
 * once, from netty's buffer into its frame buffer behind a virtio-net header, releasing the
 * datagram, and learning the inner source MAC against the sending VTEP there, so the MAC table has
 * one owner.
 *
 * <p>Peers change from the control thread ({@link TunnelPeers}: an immutable array replaced whole).
 */
public final class TunnelPort implements Port {
    /** Largest frame a port hands over: 64 KiB of IP behind an Ethernet header with a VLAN tag. */
    private static final int SUPER_FRAME_LIMIT = 65_535 + EthernetFrame.HEADER_LENGTH + EthernetFrame.VLAN_TAG_LENGTH;
    /** Smallest segment size the output buffers are sized for (smaller ones need more headers). */
    private static final int MIN_SEGMENT = 256;

    private final String name;
    private final int vni;
    private final int mtu;
    private final VtepContext ctx;
    private final TxQueue tx;
    private final RemoteMacTable macs;
    /** MACs the control plane placed behind a VTEP (from the cluster store): looked up before learned ones. */
    private final Long2LongHashMap programmed = new Long2LongHashMap(RemoteMacTable.MISSING);

    private final InboundFrames inbound;
    private final VtepCounters counters = new VtepCounters();
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private final DatagramPool buffers;
    private final UnsafeBuffer datagramView = new UnsafeBuffer(0, 0);
    private final TcpCoalescer coalescer = new TcpCoalescer();
    private final InboundFrames.Reader copyIn = this::copyIn;
    private final TunnelPeers peers;
    private volatile boolean closed;
    private long nowNanos;
    /** The peer the frame being assembled (and last returned) came from. */
    private int lastOrigin;

    private int receivesSinceHousekeeping;
    private final UnderlayCapture underlayCapture;
    /** Where encap and decap copies go; given by the dataplane when the port is plugged in. */
    private CaptureTap captureTap = CaptureTap.NONE;
    /** A control-plane request for the remote MAC entries, answered on the dataplane thread. */
    private volatile CompletableFuture<List<RemoteMac>> snapshotRequest;

    public TunnelPort(String name, int vni, int mtu, VtepContext ctx, TxQueue tx) {
        if (!ctx.isConcluded()) {
            ctx.conclude();
        }
        if (vni < 0 || vni > VxlanHeader.MAX_VNI) {
            throw new IllegalArgumentException("VNI out of range [0, " + VxlanHeader.MAX_VNI + "]: " + vni);
        }
        if (mtu < 68 || mtu > 65_535) {
            throw new IllegalArgumentException("MTU out of range [68, 65535]: " + mtu);
        }
        this.name = name;
        this.vni = vni;
        this.mtu = mtu;
        this.ctx = ctx;
        this.tx = tx;
        this.macs = new RemoteMacTable(ctx.remoteMacLimit(), ctx.macAgingNanos());
        this.peers = new TunnelPeers(ctx);
        this.inbound = new InboundFrames(ctx.rxQueueFrames());
        this.nowNanos = ctx.clock().nanoTime();
        this.underlayCapture = new UnderlayCapture(vni, ctx);
        this.buffers = new DatagramPool(
                ctx.txBuffers(),
                VxlanHeader.LENGTH + EthernetFrame.HEADER_LENGTH + EthernetFrame.VLAN_TAG_LENGTH + Math.min(mtu, 1_500),
                ctx.txSuperFrameBuffers(),
                TcpSegmenter.maxOutputBytes(SUPER_FRAME_LIMIT, MIN_SEGMENT));
    }

    public int vni() {
        return vni;
    }

    public VtepCounters counters() {
        return counters;
    }

    /** The MAC-to-VTEP table; read it on the dataplane thread only. */
    public RemoteMacTable remoteMacs() {
        return macs;
    }

    // ---- peers (control thread) --------------------------------------------------------------

    public VtepPeer addPeer(int ip) {
        return peers.add(ip);
    }

    /**
     * Adds a peer of the underlay's family: an IPv4 address on an IPv4 underlay, an IPv6 one on an
     * IPv6 underlay (a socket bound to an address of one family sends to that family only).
     */
    public VtepPeer addPeer(InetAddress address) {
        return peers.add(address);
    }

    /** The id of an IPv6 peer's address (0 if it never was a peer), for {@link #removePeer} and {@link #program}. */
    public int ipv6PeerId(Inet6Address address) {
        return peers.ipv6PeerId(address);
    }

    public void removePeer(int ip) {
        peers.remove(ip);
    }

    public VtepPeer[] peers() {
        return peers.current().clone();
    }

    /** The peer with this underlay address, or null. Any thread. */
    public VtepPeer peerOf(int ip) {
        return peers.peerOf(ip);
    }

    /**
     * Places {@code mac} behind VTEP {@code vtep} (0: forgets it), as the control plane knows it,
     * without waiting to learn it; a programmed entry does not age and wins over a learned one.
     * Dataplane thread only (through {@code Dataplane.call}).
     */
    public void programMac(long mac, int vtep) {
        if (vtep == RemoteMacTable.MISSING) {
            programmed.remove(mac);
        } else {
            programmed.put(mac, vtep);
        }
    }

    // ---- receive -----------------------------------------------------------------------------

    /**
     * Underlay loop: queues the inner frame (already validated) of {@code length} bytes at
     * {@code index} in {@code datagram}, from VTEP {@code senderIp}, for the dataplane, taking over
     * the caller's reference to {@code datagram}; {@code outerChecksummed}: the kernel verified its
     * datagram's outer checksum. Returns false when the ring is full or the port closed: the
     * reference stays the caller's (it releases it and counts the drop).
     */
    boolean offer(int senderIp, ByteBuf datagram, int index, int length, boolean outerChecksummed) {
        return inbound.offer(senderIp, datagram, index, length, outerChecksummed);
    }

    @Override
    public int receive(MutableDirectBuffer buffer, int offset, int capacity) {
        if (closed) {
            return RX_GONE;
        }
        coalescer.begin(buffer, offset, capacity);
        final int read = inbound.read(copyIn, TcpCoalescer.MAX_SEGMENTS);
        // housekeeping once per duty cycle (the ring ran dry), and every so often under sustained load
        if (read == 0 || (++receivesSinceHousekeeping & 255) == 0) {
            housekeeping();
        }
        if (coalescer.isEmpty()) {
            coalescer.finish();
            return RX_EMPTY;
        }
        if (coalescer.segments() > 1) {
            counters.coalesced(coalescer.segments());
        }
        final int length = coalescer.finish();
        counters.partialChecksums(coalescer.partialSegments());
        return length;
    }

    /**
     * One frame from the ring, read where netty received it: the first is copied in; the following
     * ones join it while they continue the same TCP flow in order ({@link TcpCoalescer}); the first
     * that does not stays in the ring (its datagram still held) for the next call.
     */
    private int copyIn(int senderIp, DirectBuffer src, int frame, int frameLength, boolean outerChecksummed) {
        if (coalescer.isEmpty()) {
            if (!macs.learn(MacAddress.read(src, frame + EthernetFrame.SOURCE_OFFSET), senderIp, nowNanos)) {
                counters.drop(VtepDropReason.MAC_OF_ANOTHER_PEER);
                return InboundFrames.CONTINUE; // consumed, and the next frame may start the read
            }
            if (!coalescer.first(senderIp, src, frame, frameLength, outerChecksummed)) {
                counters.drop(VtepDropReason.RX_TOO_LARGE);
                return InboundFrames.BREAK;
            }
            if (captureTap.wants(CapturePoint.DECAP)) {
                underlayCapture.received(captureTap, senderIp, src, frame, frameLength);
            }
            lastOrigin = senderIp;
            return coalescer.open() ? InboundFrames.CONTINUE : InboundFrames.BREAK;
        }
        if (!coalescer.append(senderIp, src, frame, frameLength, outerChecksummed)) {
            return InboundFrames.ABORT;
        }
        if (captureTap.wants(CapturePoint.DECAP)) {
            underlayCapture.received(captureTap, senderIp, src, frame, frameLength);
        }
        return coalescer.open() ? InboundFrames.CONTINUE : InboundFrames.BREAK;
    }

    /** Once per duty cycle (when the ring is empty): the clock, forgotten peers, a slice of aging. */
    private void housekeeping() {
        nowNanos = ctx.clock().nanoTime();
        peers.forgetRemoved(macs);
        macs.expire(nowNanos, ctx.agingBudget());
        final CompletableFuture<List<RemoteMac>> request = snapshotRequest;
        if (request != null) {
            snapshotRequest = null;
            final List<RemoteMac> entries = new ArrayList<>(macs.size());
            programmed.forEachLong(
                    (mac, vtep) -> entries.add(new RemoteMac(MacAddress.format(mac), peers.vtepText((int) vtep), -1)));
            macs.forEach(
                    nowNanos,
                    (mac, vtep, age) -> entries.add(new RemoteMac(
                            MacAddress.format(mac), peers.vtepText(vtep), TimeUnit.NANOSECONDS.toMillis(age))));
            request.complete(entries);
        }
    }

    /** A remote MAC and the VTEP it sits behind, for {@code jvs fdb}; age -1: programmed, not learned. */
    public record RemoteMac(String mac, String vtep, long ageMillis) {}

    /**
     * The remote MAC entries, taken on the dataplane thread at its next duty cycle (the table's
     * only owner). One request at a time; callers are serialized by the control plane.
     */
    public synchronized CompletableFuture<List<RemoteMac>> remoteMacEntries() {
        final CompletableFuture<List<RemoteMac>> pending = snapshotRequest;
        if (pending != null) {
            return pending;
        }
        final CompletableFuture<List<RemoteMac>> request = new CompletableFuture<>();
        snapshotRequest = request;
        return request;
    }

    // ---- transmit ----------------------------------------------------------------------------

    @Override
    public int transmit(DirectBuffer buffer, int offset, int length) {
        if (closed) {
            return TX_GONE;
        }
        final int frame = offset + VirtioNetHeader.LENGTH;
        final int frameLength = length - VirtioNetHeader.LENGTH;
        final VtepPeer[] targets = peers.current();
        if (targets.length == 0) {
            return refuse(VtepDropReason.NO_PEERS);
        }
        final long destination = MacAddress.read(buffer, frame + EthernetFrame.DESTINATION_OFFSET);
        VtepPeer peer = null;
        if (!MacAddress.isMulticast(destination)) {
            int vtep = (int) programmed.get(destination);
            if (vtep == RemoteMacTable.MISSING) {
                vtep = macs.lookup(destination);
            }
            if (vtep != RemoteMacTable.MISSING) {
                peer = TunnelPeers.peerIn(targets, vtep); // null if that peer was removed since: replicate
            }
        }
        final boolean gso = VirtioNetHeader.isGso(buffer, offset);
        if (!gso && frameLength > mtu + EthernetFrame.HEADER_LENGTH + EthernetFrame.VLAN_TAG_LENGTH) {
            return refuse(VtepDropReason.OVERSIZE_INNER);
        }
        final TxBatch batch = tx.claim();
        if (batch == null) {
            counters.drop(VtepDropReason.TX_QUEUE_FULL);
            return TX_BUSY;
        }
        final int capacity =
                gso ? TcpSegmenter.maxOutputBytes(frameLength, MIN_SEGMENT) : VxlanHeader.LENGTH + frameLength;
        final ByteBuf datagrams = buffers.claim(capacity);
        if (datagrams == null) {
            tx.abandon(batch);
            counters.drop(VtepDropReason.TX_BUFFERS_BUSY);
            return TX_BUSY;
        }
        datagramView.wrap(datagrams.memoryAddress(), datagrams.capacity());
        final int bytes;
        if (gso) {
            if (!segmenter.segment(buffer, offset, length, datagramView, vni, mtu)) {
                return abandon(batch, datagrams, segmenter.failure());
            }
            bytes = segmenter.totalBytes();
            batch.stride = segmenter.segmentCount() > 1 ? segmenter.stride() : 0;
            batch.segments = segmenter.segmentCount();
        } else {
            VxlanHeader.write(datagramView, 0, vni);
            if (!VirtioNetHeader.needsChecksum(buffer, offset)) {
                datagramView.putBytes(VxlanHeader.LENGTH, buffer, frame, frameLength);
            } else if (!PartialChecksum.copyCompleting(buffer, offset, frameLength, datagramView, VxlanHeader.LENGTH)) {
                return abandon(batch, datagrams, VtepDropReason.BAD_OFFLOAD);
            }
            bytes = VxlanHeader.LENGTH + frameLength;
            batch.segments = 1;
        }
        datagrams.writerIndex(bytes);
        batch.datagrams = datagrams;
        batch.peer = peer;
        batch.peers = targets;
        batch.sender = FlowHash.of(buffer, frame, frameLength) & (ctx.senderSockets() - 1);
        final long innerBytes = bytes - (long) batch.segments * VxlanHeader.LENGTH;
        if (peer != null) {
            peer.counters().transmitted(batch.segments, innerBytes);
            counters.transmitted(batch.segments, innerBytes);
        } else {
            for (VtepPeer p : targets) {
                p.counters().transmitted(batch.segments, innerBytes);
            }
            counters.transmitted(batch.segments * targets.length, innerBytes * targets.length);
        }
        if (captureTap.wants(CapturePoint.ENCAP)) {
            underlayCapture.sent(captureTap, batch, datagramView, bytes);
        }
        tx.publish(batch);
        return TX_OK;
    }

    @Override
    public void captureTap(CaptureTap tap) {
        captureTap = tap;
    }

    /** Says which VTEP(s) {@link #transmit} would send the frame to, and why: for traces. */
    @Override
    public String describeEgress(DirectBuffer buffer, int offset, int length) {
        final long destination =
                MacAddress.read(buffer, offset + VirtioNetHeader.LENGTH + EthernetFrame.DESTINATION_OFFSET);
        final String tunnel =
                "VXLAN VNI " + vni + ", from " + ctx.localText() + " to UDP port " + ctx.udpPort() + " of ";
        final VtepPeer[] targets = peers.current();
        if (targets.length == 0) {
            return "VXLAN VNI " + vni + ": no peers, the frame is dropped (no-peers)";
        }
        if (!MacAddress.isMulticast(destination)) {
            final int vtep = macs.lookup(destination);
            if (vtep != RemoteMacTable.MISSING && TunnelPeers.peerIn(targets, vtep) != null) {
                return tunnel + "VTEP " + peers.vtepText(vtep) + ": the remote FDB has "
                        + MacAddress.format(destination) + " behind " + peers.vtepText(vtep);
            }
        }
        final StringBuilder all = new StringBuilder();
        for (VtepPeer p : targets) {
            all.append(all.isEmpty() ? "" : ", ").append(p.ipText());
        }
        return tunnel + "every peer (" + all + "): "
                + (MacAddress.isMulticast(destination)
                        ? MacAddress.format(destination) + " is broadcast or multicast"
                        : MacAddress.format(destination) + " is not in the remote FDB")
                + ", replicated head-end";
    }

    private int refuse(VtepDropReason reason) {
        counters.drop(reason);
        return TX_REJECTED;
    }

    private int abandon(TxBatch batch, ByteBuf datagrams, VtepDropReason reason) {
        datagrams.release();
        tx.abandon(batch);
        return refuse(reason);
    }

    @Override
    public String name() {
        return name;
    }

    /** Takes super-frames whole (it segments them) and checksums left to complete. */
    @Override
    public boolean acceptsOffloads() {
        return true;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    /**
     * Fed by the underlay's loop, a duty-cycle work of the dataplane: the dataplane blocks on the
     * underlay socket, not on this port, and a cycle that read datagrams is followed by another.
     */
    @Override
    public boolean wakesDataplane() {
        return true;
    }

    /** The peer (underlay address) the frame the last receive returned came from. */
    @Override
    public int lastFrameOrigin() {
        return lastOrigin;
    }

    /**
     * ARP and neighbor discovery from the far side teach this network's address books, so the
     * switch answers later requests and solicitations for remote endpoints here instead of
     * replicating them to every peer.
     */
    @Override
    public boolean learnsRemoteAddresses() {
        return true;
    }

    /** On the dataplane thread (unplugged, or the dataplane closing), as the ring is single-threaded. */
    @Override
    public void close() {
        closed = true;
        buffers.close();
        // frames still queued are dropped: their datagrams go back to netty
        counters.drop(VtepDropReason.RX_PORT_CLOSED, inbound.close());
    }

    public boolean isClosed() {
        return closed;
    }
}
