package io.jvswitch.vtep;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;

import java.util.function.Consumer;

/**
 * The underlay's sending sockets and how a tunnel's batch goes out of them: {@link
 * VtepContext#senderSockets()} sockets, all with outer UDP checksums (the kernel fills them in, or
 * the NIC), so a receiver's kernel verifies every datagram and a jvs receiver need not verify the
 * inner checksums again; with UDP GSO a super-frame's segments go in one send. The batch's flow
 * hash picks the socket, so the outer source port follows the inner flow. Writes are queued on the
 * sockets as batches come; {@link #flush} sends them, once per socket that has some, so netty sends
 * a cycle's datagrams with one sendmmsg per socket. Dataplane thread only.
 *
 * <p>Why not zero checksums (RFC 7348 allows them over IPv4): the first design sent them, with a
 * twin set of checksummed sockets for GSO (the kernel refuses GSO without checksums). The checksum
 * costs the sender little (offloaded, or summed by the kernel over bytes it copies anyway), and it
 * is what lets the receiver skip verifying every inner TCP segment before joining them.
 */
final class UnderlaySenders {
    /** The most a UDP datagram over IPv4 carries. */
    static final int MAX_UDP_PAYLOAD = 65_535 - 20 - 8;

    private final VtepCounters counters;
    private final Channel[] sockets;
    /** Whether the sockets send super-frames with UDP GSO. */
    private final boolean gso;
    /** The sockets written to since the last flush. */
    private final boolean[] dirty;

    private final Consumer<TxBatch> send = this::send;

    UnderlaySenders(VtepCounters counters, Channel[] sockets, boolean gso) {
        this.counters = counters;
        this.sockets = sockets;
        this.gso = gso;
        this.dirty = new boolean[sockets.length];
    }

    /** Sends each batch it is given; reused, so draining the queue allocates nothing. */
    Consumer<TxBatch> sender() {
        return send;
    }

    Channel[] sockets() {
        return sockets;
    }

    /** Flushes each socket written to; returns whether one of them could not take it all yet. */
    boolean flush() {
        boolean pending = false;
        for (int i = 0; i < dirty.length; i++) {
            if (dirty[i]) {
                dirty[i] = false;
                sockets[i].flush();
                pending |= !isFlushed(sockets[i]);
            }
        }
        return pending;
    }

    /** Whether a socket still holds writes the kernel did not take. */
    boolean anyPending() {
        for (Channel c : sockets) {
            if (!isFlushed(c)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isFlushed(Channel channel) {
        final ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return buffer == null || buffer.isEmpty();
    }

    private void send(TxBatch batch) {
        final ByteBuf datagrams = batch.datagrams;
        final boolean segmented = batch.stride > 0;
        final boolean useGso = segmented && gso && batch.segments <= TcpSegmenter.MAX_GSO_SEGMENTS;
        final Channel channel = sockets[batch.sender];
        if (!channel.isWritable()) {
            datagrams.release();
            drop(batch, VtepDropReason.UNDERLAY_BUSY);
            return;
        }
        dirty[batch.sender] = true;
        if (batch.peer != null) {
            write(channel, datagrams, batch, batch.peer, useGso, segmented);
            return;
        }
        final VtepPeer[] peers = batch.peers;
        for (int i = 0; i < peers.length; i++) {
            final ByteBuf copy = i == peers.length - 1 ? datagrams : datagrams.retainedDuplicate();
            write(channel, copy, batch, peers[i], useGso, segmented);
        }
    }

    private static void write(
            Channel channel, ByteBuf datagrams, TxBatch batch, VtepPeer peer, boolean useGso, boolean segmented) {
        if (useGso) {
            // one GSO send carries at most 65507 bytes of UDP payload: a 64 KiB super-frame plus its
            // per-segment headers is more, so it goes in as few sends as fit
            final int perSend = Math.min(TcpSegmenter.MAX_GSO_SEGMENTS, MAX_UDP_PAYLOAD / batch.stride) * batch.stride;
            if (datagrams.readableBytes() <= perSend) {
                channel.write(
                        new SegmentedDatagramPacket(datagrams, batch.stride, peer.address()), channel.voidPromise());
                return;
            }
            int offset = datagrams.readerIndex();
            final int end = datagrams.writerIndex();
            while (offset < end) {
                final int length = Math.min(perSend, end - offset);
                channel.write(
                        new SegmentedDatagramPacket(
                                datagrams.retainedSlice(offset, length), batch.stride, peer.address()),
                        channel.voidPromise());
                offset += length;
            }
            datagrams.release();
        } else if (segmented) {
            // more segments than one GSO send takes, or no GSO: each segment its own datagram, one sendmmsg
            int offset = datagrams.readerIndex();
            final int end = datagrams.writerIndex();
            while (offset < end) {
                final int length = Math.min(batch.stride, end - offset);
                channel.write(
                        new DatagramPacket(datagrams.retainedSlice(offset, length), peer.address()),
                        channel.voidPromise());
                offset += length;
            }
            datagrams.release();
        } else {
            channel.write(new DatagramPacket(datagrams, peer.address()), channel.voidPromise());
        }
    }

    private void drop(TxBatch batch, VtepDropReason reason) {
        counters.drop(reason);
        if (batch.peer != null) {
            batch.peer.counters().drop(reason);
        }
    }
}
