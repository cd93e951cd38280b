package io.jvswitch.vtep;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.VxlanHeader;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * Decapsulation, on the underlay's loop (the dataplane thread): validates each received datagram and queues its inner
 * frame on the tunnel of its VNI. Checks, in order, each failure dropped and counted under its
 * reason: length (a VXLAN header), flags (exactly I), reserved bits (zero), VNI (a network on this
 * host: counted on the underlay), sender (a configured peer of that network: counted on the
 * network), inner frame (at least an Ethernet header: counted on the network and the peer).
 *
 * <p>Networks are added and removed from the control thread: the VNI map is replaced whole.
 */
public final class VtepReceiver {
    private final VtepCounters underlay;
    private final boolean acceptUnknownSenders;
    private volatile Int2ObjectHashMap<TunnelPort> byVni = new Int2ObjectHashMap<>();

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
     * One datagram (the UDP payload) from underlay address {@code senderIp}.
     *
     * @return null when the inner frame was queued, else why it was dropped
     */
    public VtepDropReason onDatagram(int senderIp, DirectBuffer buffer, int offset, int length) {
        if (length < VxlanHeader.LENGTH) {
            return dropOnUnderlay(VtepDropReason.TRUNCATED);
        }
        if (!VxlanHeader.hasValidFlags(buffer, offset)) {
            return dropOnUnderlay(VtepDropReason.BAD_FLAGS);
        }
        if (!VxlanHeader.reservedBitsZero(buffer, offset)) {
            return dropOnUnderlay(VtepDropReason.RESERVED_BITS);
        }
        final TunnelPort tunnel = byVni.get(VxlanHeader.vni(buffer, offset));
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
        if (!tunnel.offer(senderIp, buffer, offset + VxlanHeader.LENGTH, innerLength)) {
            return dropOnTunnel(tunnel, peer, VtepDropReason.RX_RING_FULL);
        }
        tunnel.counters().received(innerLength);
        if (peer != null) {
            peer.counters().received(innerLength);
        }
        return null;
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
