package io.jvswitch.vtep;

import io.jvswitch.packet.UdpIpv4Headers;
import io.jvswitch.packet.UdpIpv6Headers;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VxlanHeader;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.capture.CaptureTap;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A tunnel port's datagrams as the underlay carries them, for the encap and decap capture points:
 * Ethernet, IPv4 or IPv6 (as the underlay is) and UDP headers (this host's and the peer's underlay addresses, the VXLAN port),
 * the VXLAN header with the VNI, the inner frame. The sockets send the datagrams; the kernel writes
 * their real outer headers, so these are rebuilt: the outer UDP source port shown is the VXLAN
 * port (the sending socket's own port is the kernel's), and the MACs are zero. Dataplane thread only.
 */
final class UnderlayCapture {
    /** Largest datagram shown whole; longer ones are cut (their original length is kept). */
    private static final int MAX_DATAGRAM = 65_535;

    private final int vni;
    private final VtepContext ctx;
    /** This host's IPv6 underlay address; zero on an IPv4 underlay. */
    private final long localHigh;

    private final long localLow;
    /** Made at the first copy: most tunnels are never captured. */
    private UnsafeBuffer scratch;

    UnderlayCapture(int vni, VtepContext ctx) {
        this.vni = vni;
        this.ctx = ctx;
        final ByteBuffer local =
                ByteBuffer.wrap(ctx.ipv6Underlay() ? ctx.localAddress6().getAddress() : new byte[2 * Long.BYTES]);
        this.localHigh = local.getLong();
        this.localLow = local.getLong();
    }

    /** A datagram this port built (VXLAN header, then the inner frame), as sent from here to {@code peer}. */
    void sent(CaptureTap tap, int peer, DirectBuffer datagram, int offset, int length) {
        final UnsafeBuffer b = scratch();
        if (ctx.ipv6Underlay()) {
            final int copied = Math.min(length, MAX_DATAGRAM - UdpPacket.HEADER_LENGTH);
            b.putBytes(UdpIpv6Headers.LENGTH, datagram, offset, copied);
            final Ipv6PeerIds ids = ctx.ipv6PeerIds();
            UdpIpv6Headers.write(
                    b,
                    0,
                    localHigh,
                    localLow,
                    ids.high(peer),
                    ids.low(peer),
                    ctx.udpPort(),
                    ctx.udpPort(),
                    ctx.ttl(),
                    copied);
            tap.copy(CapturePoint.ENCAP, b, 0, UdpIpv6Headers.LENGTH + copied);
            return;
        }
        final int copied = Math.min(length, MAX_DATAGRAM);
        UdpIpv4Headers.write(b, 0, ctx.localAddress(), peer, ctx.udpPort(), ctx.udpPort(), ctx.ttl(), copied);
        b.putBytes(UdpIpv4Headers.LENGTH, datagram, offset, copied);
        tap.copy(CapturePoint.ENCAP, b, 0, UdpIpv4Headers.LENGTH + copied);
    }

    /**
     * An inner frame received from VTEP {@code sender}. Its datagram's VXLAN header was checked
     * (flags, this port's VNI) on the way in, so it is written again as it was.
     */
    void received(CaptureTap tap, int sender, DirectBuffer frame, int offset, int length) {
        final UnsafeBuffer b = scratch();
        if (ctx.ipv6Underlay()) {
            final int copied = Math.min(length, MAX_DATAGRAM - UdpPacket.HEADER_LENGTH - VxlanHeader.LENGTH);
            VxlanHeader.write(b, UdpIpv6Headers.LENGTH, vni);
            b.putBytes(UdpIpv6Headers.LENGTH + VxlanHeader.LENGTH, frame, offset, copied);
            final Ipv6PeerIds ids = ctx.ipv6PeerIds();
            UdpIpv6Headers.write(
                    b,
                    0,
                    ids.high(sender),
                    ids.low(sender),
                    localHigh,
                    localLow,
                    ctx.udpPort(),
                    ctx.udpPort(),
                    ctx.ttl(),
                    VxlanHeader.LENGTH + copied);
            tap.copy(CapturePoint.DECAP, b, 0, UdpIpv6Headers.LENGTH + VxlanHeader.LENGTH + copied);
            return;
        }
        final int copied = Math.min(length, MAX_DATAGRAM - VxlanHeader.LENGTH);
        UdpIpv4Headers.write(
                b, 0, sender, ctx.localAddress(), ctx.udpPort(), ctx.udpPort(), ctx.ttl(), VxlanHeader.LENGTH + copied);
        VxlanHeader.write(b, UdpIpv4Headers.LENGTH, vni);
        b.putBytes(UdpIpv4Headers.LENGTH + VxlanHeader.LENGTH, frame, offset, copied);
        tap.copy(CapturePoint.DECAP, b, 0, UdpIpv4Headers.LENGTH + VxlanHeader.LENGTH + copied);
    }

    private UnsafeBuffer scratch() {
        if (scratch == null) {
            scratch = new UnsafeBuffer(new byte[UdpIpv6Headers.LENGTH + MAX_DATAGRAM]);
        }
        return scratch;
    }

    /** Each datagram of {@code batch} (built in {@code datagrams}), once per peer it goes to. */
    void sent(CaptureTap tap, TxBatch batch, DirectBuffer datagrams, int bytes) {
        if (batch.peer != null) {
            sent(tap, batch, datagrams, bytes, batch.peer.ip());
        } else {
            for (VtepPeer p : batch.peers) {
                sent(tap, batch, datagrams, bytes, p.ip());
            }
        }
    }

    private void sent(CaptureTap tap, TxBatch batch, DirectBuffer datagrams, int bytes, int peer) {
        if (batch.stride == 0) {
            sent(tap, peer, datagrams, 0, bytes);
            return;
        }
        for (int at = 0; at < bytes; at += batch.stride) {
            sent(tap, peer, datagrams, at, Math.min(batch.stride, bytes - at));
        }
    }
}
