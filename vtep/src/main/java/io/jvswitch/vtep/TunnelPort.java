package io.jvswitch.vtep;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Address;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
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
 * <p>Peers change from the control thread: the peer list is an immutable array replaced whole.
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
    private volatile VtepPeer[] peers = new VtepPeer[0];
    /** Set by the control thread when a peer goes; its MACs are forgotten on the dataplane thread. */
    private volatile int[] removedPeers = new int[0];

    private int removedSeen;
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

    public synchronized VtepPeer addPeer(int ip) {
        if (ip == 0 || ip == ctx.localAddress()) {
            throw new IllegalArgumentException("a peer must be another host's underlay address");
        }
        if (ctx.ipv6Underlay()) {
            throw new IllegalArgumentException(
                    "the underlay is IPv6 (" + ctx.localText() + "): its peers are IPv6 addresses");
        }
        return addPeer(ip, VtepPeer.toInet(ip));
    }

    /**
     * Adds a peer of the underlay's family: an IPv4 address on an IPv4 underlay, an IPv6 one on an
     * IPv6 underlay (a socket bound to an address of one family sends to that family only).
     */
    public synchronized VtepPeer addPeer(InetAddress address) {
        if (address instanceof Inet6Address v6) {
            if (!ctx.ipv6Underlay()) {
                throw new IllegalArgumentException(
                        "the underlay is IPv4 (" + ctx.localText() + "): an IPv6 peer needs an IPv6 --local");
            }
            if (v6.equals(ctx.localAddress6()) || v6.isAnyLocalAddress() || v6.isMulticastAddress()) {
                throw new IllegalArgumentException("a peer must be another host's underlay address");
            }
            return addPeer(ctx.ipv6PeerIds().assign(v6), v6);
        }
        return addPeer(ByteBuffer.wrap(address.getAddress()).getInt());
    }

    /** The id of an IPv6 peer's address (0 if it never was a peer), for {@link #removePeer} and {@link #program}. */
    public int ipv6PeerId(Inet6Address address) {
        return ctx.ipv6PeerIds().idOf(address);
    }

    private VtepPeer addPeer(int ip, InetAddress address) {
        final VtepPeer[] current = peers;
        for (VtepPeer p : current) {
            if (p.ip() == ip) {
                throw new IllegalStateException("peer " + p.ipText() + " is already a peer of this network");
            }
        }
        if (current.length >= ctx.peerLimit()) {
            throw new IllegalStateException("network has " + current.length + " peers, the limit");
        }
        final VtepPeer peer = new VtepPeer(ip, address, ctx.udpPort());
        final VtepPeer[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = peer;
        peers = next;
        return peer;
    }

    public synchronized void removePeer(int ip) {
        final VtepPeer[] current = peers;
        final List<VtepPeer> kept = new ArrayList<>(current.length);
        for (VtepPeer p : current) {
            if (p.ip() != ip) {
                kept.add(p);
            }
        }
        if (kept.size() == current.length) {
            throw new IllegalStateException("not a peer of this network");
        }
        peers = kept.toArray(new VtepPeer[0]);
        final int[] removed = Arrays.copyOf(removedPeers, removedPeers.length + 1);
        removed[removedPeers.length] = ip;
        removedPeers = removed;
    }

    public VtepPeer[] peers() {
        return peers.clone();
    }

    /** A VTEP id as its address text: an IPv6 peer's id is not an address. Any thread. */
    private String vtepText(int id) {
        final VtepPeer peer = peerOf(id);
        return peer != null ? peer.ipText() : Ipv4Address.format(id);
    }

    /** The peer with this underlay address, or null. Any thread. */
    public VtepPeer peerOf(int ip) {
        for (VtepPeer p : peers) {
            if (p.ip() == ip) {
                return p;
            }
        }
        return null;
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
     * the caller's reference to {@code datagram}. Returns false when the ring is full or the port
     * closed: the reference stays the caller's (it releases it and counts the drop).
     */
    boolean offer(int senderIp, ByteBuf datagram, int index, int length) {
        return inbound.offer(senderIp, datagram, index, length);
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
    private int copyIn(int senderIp, DirectBuffer src, int frame, int frameLength) {
        if (coalescer.isEmpty()) {
            if (!macs.learn(MacAddress.read(src, frame + EthernetFrame.SOURCE_OFFSET), senderIp, nowNanos)) {
                counters.drop(VtepDropReason.MAC_OF_ANOTHER_PEER);
                return InboundFrames.CONTINUE; // consumed, and the next frame may start the read
            }
            if (!coalescer.first(senderIp, src, frame, frameLength)) {
                counters.drop(VtepDropReason.RX_TOO_LARGE);
                return InboundFrames.BREAK;
            }
            if (captureTap.wants(CapturePoint.DECAP)) {
                underlayCapture.received(captureTap, senderIp, src, frame, frameLength);
            }
            lastOrigin = senderIp;
            return coalescer.open() ? InboundFrames.CONTINUE : InboundFrames.BREAK;
        }
        if (!coalescer.append(senderIp, src, frame, frameLength)) {
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
        final int[] removed = removedPeers;
        while (removedSeen < removed.length) {
            macs.removeVtep(removed[removedSeen++]);
        }
        macs.expire(nowNanos, ctx.agingBudget());
        final CompletableFuture<List<RemoteMac>> request = snapshotRequest;
        if (request != null) {
            snapshotRequest = null;
            final List<RemoteMac> entries = new ArrayList<>(macs.size());
            programmed.forEachLong(
                    (mac, vtep) -> entries.add(new RemoteMac(MacAddress.format(mac), vtepText((int) vtep), -1)));
            macs.forEach(
                    nowNanos,
                    (mac, vtep, age) -> entries.add(
                            new RemoteMac(MacAddress.format(mac), vtepText(vtep), TimeUnit.NANOSECONDS.toMillis(age))));
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
        final VtepPeer[] targets = peers;
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
                peer = peerIn(targets, vtep); // null if that peer was removed since: replicate
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
            } else if (!copyCompletingChecksum(buffer, offset, frameLength)) {
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
            captureSent(batch, bytes);
        }
        tx.publish(batch);
        return TX_OK;
    }

    /** Copies each datagram of the batch, once per peer it goes to, for encap captures. */
    private void captureSent(TxBatch batch, int bytes) {
        if (batch.peer != null) {
            captureSent(batch, bytes, batch.peer.ip());
        } else {
            for (VtepPeer p : batch.peers) {
                captureSent(batch, bytes, p.ip());
            }
        }
    }

    private void captureSent(TxBatch batch, int bytes, int peer) {
        if (batch.stride == 0) {
            underlayCapture.sent(captureTap, peer, datagramView, 0, bytes);
            return;
        }
        for (int at = 0; at < bytes; at += batch.stride) {
            underlayCapture.sent(captureTap, peer, datagramView, at, Math.min(batch.stride, bytes - at));
        }
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
        final VtepPeer[] targets = peers;
        if (targets.length == 0) {
            return "VXLAN VNI " + vni + ": no peers, the frame is dropped (no-peers)";
        }
        if (!MacAddress.isMulticast(destination)) {
            final int vtep = macs.lookup(destination);
            if (vtep != RemoteMacTable.MISSING && peerIn(targets, vtep) != null) {
                return tunnel + "VTEP " + vtepText(vtep) + ": the remote FDB has " + MacAddress.format(destination)
                        + " behind " + vtepText(vtep);
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

    /**
     * Copies a frame whose checksum was left to complete (NEEDS_CSUM) into the datagram, summing the
     * checksummed part as it goes, and completes the checksum in the copy.
     */
    private boolean copyCompletingChecksum(DirectBuffer buffer, int vnetOffset, int frameLength) {
        final int start = VirtioNetHeader.checksumStart(buffer, vnetOffset);
        final int field = start + VirtioNetHeader.checksumOffset(buffer, vnetOffset);
        if (field + 2 > frameLength) {
            return false;
        }
        final int base = VxlanHeader.LENGTH;
        final int frame = vnetOffset + VirtioNetHeader.LENGTH;
        datagramView.putBytes(base, buffer, frame, start);
        final int checksum = ~InternetChecksum.fold(InternetChecksum.copyAndSum(
                        buffer, frame + start, datagramView, base + start, frameLength - start, 0))
                & 0xFFFF;
        datagramView.putShort(base + field, (short) (checksum == 0 ? 0xFFFF : checksum), ByteOrder.BIG_ENDIAN);
        return true;
    }

    private static VtepPeer peerIn(VtepPeer[] peers, int ip) {
        for (VtepPeer p : peers) {
            if (p.ip() == ip) {
                return p;
            }
        }
        return null;
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

    /**
     * ARP from the far side teaches this network's address book, so the gateway answers later
     * requests for remote endpoints here instead of replicating them to every peer.
     */
    /** The peer (underlay address) the frame the last receive returned came from. */
    @Override
    public int lastFrameOrigin() {
        return lastOrigin;
    }

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
