package io.jvswitch.vtep;

import io.jvswitch.packet.Ipv4Address;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One tunnel's peers, the VTEPs its frames go to. Changed from the control thread, read by the
 * dataplane: the list is an immutable array replaced whole, and a peer that goes is also queued
 * for the dataplane, which forgets the MACs learned behind it ({@link #forgetRemoved}).
 *
 * <p>A peer is known by an int: its IPv4 underlay address, or on an IPv6 underlay the id
 * {@link Ipv6PeerIds} gave its address (a socket bound to an address of one family sends to that
 * family only, so a tunnel's peers are all of its underlay's family).
 */
final class TunnelPeers {
    private final VtepContext ctx;
    private volatile VtepPeer[] peers = new VtepPeer[0];
    /** Set by the control thread when a peer goes; its MACs are forgotten on the dataplane thread. */
    private volatile int[] removed = new int[0];
    /** How many of {@link #removed} the dataplane has forgotten already. */
    private int removedSeen;

    TunnelPeers(VtepContext ctx) {
        this.ctx = ctx;
    }

    synchronized VtepPeer add(int ip) {
        if (ip == 0 || ip == ctx.localAddress()) {
            throw new IllegalArgumentException("a peer must be another host's underlay address");
        }
        if (ctx.ipv6Underlay()) {
            throw new IllegalArgumentException(
                    "the underlay is IPv6 (" + ctx.localText() + "): its peers are IPv6 addresses");
        }
        return add(ip, VtepPeer.toInet(ip));
    }

    /** A peer of the underlay's family: an IPv4 address on an IPv4 underlay, an IPv6 one on an IPv6 underlay. */
    synchronized VtepPeer add(InetAddress address) {
        if (address instanceof Inet6Address v6) {
            if (!ctx.ipv6Underlay()) {
                throw new IllegalArgumentException(
                        "the underlay is IPv4 (" + ctx.localText() + "): an IPv6 peer needs an IPv6 --local");
            }
            if (v6.equals(ctx.localAddress6()) || v6.isAnyLocalAddress() || v6.isMulticastAddress()) {
                throw new IllegalArgumentException("a peer must be another host's underlay address");
            }
            return add(ctx.ipv6PeerIds().assign(v6), v6);
        }
        return add(ByteBuffer.wrap(address.getAddress()).getInt());
    }

    /** The id of an IPv6 peer's address (0 if it never was a peer). */
    int ipv6PeerId(Inet6Address address) {
        return ctx.ipv6PeerIds().idOf(address);
    }

    private VtepPeer add(int ip, InetAddress address) {
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

    synchronized void remove(int ip) {
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
        final int[] next = Arrays.copyOf(removed, removed.length + 1);
        next[removed.length] = ip;
        removed = next;
    }

    /** The current list, not to be changed: the dataplane reads it once per frame. */
    VtepPeer[] current() {
        return peers;
    }

    /** Dataplane thread: forgets the MACs learned behind peers removed since the last call. */
    void forgetRemoved(RemoteMacTable macs) {
        final int[] gone = removed;
        while (removedSeen < gone.length) {
            macs.removeVtep(gone[removedSeen++]);
        }
    }

    /** The peer with this id, or null. Any thread. */
    VtepPeer peerOf(int ip) {
        return peerIn(peers, ip);
    }

    /** A VTEP id as its address text: an IPv6 peer's id is not an address. Any thread. */
    String vtepText(int id) {
        final VtepPeer peer = peerOf(id);
        return peer != null ? peer.ipText() : Ipv4Address.format(id);
    }

    static VtepPeer peerIn(VtepPeer[] peers, int ip) {
        for (VtepPeer p : peers) {
            if (p.ip() == ip) {
                return p;
            }
        }
        return null;
    }
}
