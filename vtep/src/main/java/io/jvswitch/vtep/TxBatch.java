package io.jvswitch.vtep;

import io.netty.buffer.ByteBuf;

/**
 * Datagrams the dataplane built for one frame, on their way to the underlay's sockets: one
 * datagram, or the segments of a super-frame laid end to end, for one peer or for every peer.
 * Reused: a fixed set of these circulates between the tunnel ports and the underlay ({@link TxQueue}).
 */
public final class TxBatch {
    ByteBuf datagrams;
    /** The one destination, or null to replicate to every peer in {@link #peers}. */
    VtepPeer peer;

    VtepPeer[] peers;
    /** Length of every segment but the last; 0 for a single datagram. */
    int stride;

    int segments;
    /** Which sending socket (outer source port), from the inner flow's hash. */
    int sender;

    void clear() {
        datagrams = null;
        peer = null;
        peers = null;
        stride = 0;
        segments = 0;
        sender = 0;
    }

    public ByteBuf datagrams() {
        return datagrams;
    }

    public VtepPeer peer() {
        return peer;
    }

    public VtepPeer[] peers() {
        return peers;
    }

    public int stride() {
        return stride;
    }

    public int segments() {
        return segments;
    }

    public int sender() {
        return sender;
    }
}
