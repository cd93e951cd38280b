package io.jvswitch.vtep;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.VxlanHeader;
import io.netty.buffer.ByteBuf;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * Decapsulation, on the underlay's loop (the dataplane thread): validates each received datagram and queues its inner
 * frame on the tunnel of its VNI, where netty received it (the tunnel's port copies it out). Checks,
 * in order, each failure dropped and counted under its reason: length (a VXLAN header), flags
 * (exactly I), reserved bits (zero), VNI (a network on this host: counted on the underlay), sender
 * (a configured peer of that network: counted on the network), inner frame (at least an Ethernet
 * header: counted on the network and the peer), room in the tunnel's ring (and its port still open).
 *
 * <p>Networks are added and removed from the control thread: the VNI map is replaced whole.
 */
public final class VtepReceiver {
    private final VtepCounters underlay;
    private final boolean acceptUnknownSenders;
    private final ByteBufView view = new ByteBufView();
    private volatile Int2ObjectHashMap<TunnelPort> byVni = new Int2ObjectHashMap<>();
    // The last VNI looked up, in which map, and its tunnel: a run of datagrams of one network skips
    // the hash lookup. Read and written by the dataplane thread only; a new map misses the cache.
    private Int2ObjectHashMap<TunnelPort> lastMap;
    private int lastVni;
    private TunnelPort lastTunnel;

    public VtepReceiver(VtepContext ctx, VtepCounters underlay) {
        this.underlay = underlay;
        this.acceptUnknownSenders = ctx.acceptUnknownSenders();
    }

    public synchronized void add(TunnelPort tunnel) {
        final Int2ObjectHashMap<TunnelPort> next = new Int2ObjectHashMap<>(byVni);
        if (next.containsKey(tunnel.vni())) {
            throw new IllegalStateException("VNI " + tunnel.vni() + " is in use");
        }
        next.put(tunnel.vni(), tunnel);
        byVni = next;
    }

    public synchronized void remove(TunnelPort tunnel) {
        final Int2ObjectHashMap<TunnelPort> next = new Int2ObjectHashMap<>(byVni);
        next.remove(tunnel.vni(), tunnel);
        byVni = next;
    }

    public synchronized boolean isEmpty() {
        return byVni.isEmpty();
    }

    /**
     * One datagram (the UDP payload: {@code datagram}'s readable bytes) from underlay address
     * {@code senderIp}. Takes over the caller's reference to {@code datagram}: a queued frame holds it
     * until the tunnel's port has copied the frame out, a dropped one releases it before this returns.
     *
     * @return null when the inner frame was queued, else why it was dropped
     */
    public VtepDropReason onDatagram(int senderIp, ByteBuf datagram) {
        return onDatagram(senderIp, datagram, datagram.readerIndex(), datagram.readableBytes(), false);
    }

    /**
     * One datagram of {@code length} bytes at {@code index} in {@code buffer} (one of several a
     * coalesced read put in one buffer), from underlay address {@code senderIp}; takes over one of
     * the caller's references to {@code buffer}, as {@link #onDatagram(int, ByteBuf)} does.
     *
     * @param outerChecksummed the kernel verified a non-zero outer UDP checksum of the datagram
     *     ({@link GroReads}): its inner checksums are not verified again
     * @return null when the inner frame was queued, else why it was dropped
     */
    public VtepDropReason onDatagram(int senderIp, ByteBuf buffer, int index, int length, boolean outerChecksummed) {
        boolean queued = false;
        try {
            final VtepDropReason dropped = decapsulate(senderIp, buffer, index, length, outerChecksummed);
            queued = dropped == null;
            return dropped;
        } finally {
            if (!queued) {
                buffer.release();
            }
        }
    }

    private VtepDropReason decapsulate(
            int senderIp, ByteBuf datagram, int index, int length, boolean outerChecksummed) {
        if (length < VxlanHeader.LENGTH) {
            return dropOnUnderlay(VtepDropReason.TRUNCATED);
        }
        final DirectBuffer header = view.wrap(datagram, index, VxlanHeader.LENGTH);
        if (!VxlanHeader.hasValidFlags(header, 0)) {
            return dropOnUnderlay(VtepDropReason.BAD_FLAGS);
        }
        if (!VxlanHeader.reservedBitsZero(header, 0)) {
            return dropOnUnderlay(VtepDropReason.RESERVED_BITS);
        }
        final TunnelPort tunnel = tunnelOf(VxlanHeader.vni(header, 0));
        if (tunnel == null) {
            return dropOnUnderlay(VtepDropReason.UNKNOWN_VNI);
        }
        final VtepPeer peer = tunnel.peerOf(senderIp);
        if (peer == null && !acceptUnknownSenders) {
            tunnel.counters().drop(VtepDropReason.UNKNOWN_SENDER);
            return VtepDropReason.UNKNOWN_SENDER;
        }
        final int innerLength = length - VxlanHeader.LENGTH;
        if (innerLength < EthernetFrame.HEADER_LENGTH) {
            return dropOnTunnel(tunnel, peer, VtepDropReason.RUNT_INNER);
        }
        if (!tunnel.offer(senderIp, datagram, index + VxlanHeader.LENGTH, innerLength, outerChecksummed)) {
            return dropOnTunnel(
                    tunnel, peer, tunnel.isClosed() ? VtepDropReason.RX_PORT_CLOSED : VtepDropReason.RX_RING_FULL);
        }
        tunnel.counters().received(innerLength, outerChecksummed);
        if (peer != null) {
            peer.counters().received(innerLength, outerChecksummed);
        }
        return null;
    }

    private TunnelPort tunnelOf(int vni) {
        final Int2ObjectHashMap<TunnelPort> map = byVni;
        if (map != lastMap || vni != lastVni) {
            lastTunnel = map.get(vni);
            lastMap = map;
            lastVni = vni;
        }
        return lastTunnel;
    }

    private VtepDropReason dropOnUnderlay(VtepDropReason reason) {
        underlay.drop(reason);
        return reason;
    }

    private static VtepDropReason dropOnTunnel(TunnelPort tunnel, VtepPeer peer, VtepDropReason reason) {
        tunnel.counters().drop(reason);
        if (peer != null) {
            peer.counters().drop(reason);
        }
        return reason;
    }
}
