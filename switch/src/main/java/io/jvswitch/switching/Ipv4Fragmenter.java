package io.jvswitch.switching;

import static io.jvswitch.switching.Ipv4HeaderWriter.L3;

import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * RFC 791 fragmentation of a routed packet larger than the next hop's MTU, one frame per fragment
 * built in a preallocated scratch buffer, and the size check for GSO super-frames (which are never
 * fragmented: their sender is told the MTU instead).
 */
final class Ipv4Fragmenter {
    /** Where a fragment goes once built: the router's delivery into a network or to the host. */
    interface Delivery {
        void send(int ingress, BridgeDomain to, MutableDirectBuffer buffer, int length);
    }

    private final PortTable table;
    private final FrameContext frame;
    private final Egress egress;
    private final Delivery delivery;
    private final UnsafeBuffer scratch;
    private final Ipv4Packet out = new Ipv4Packet();

    Ipv4Fragmenter(PortTable table, FrameContext frame, Egress egress, Delivery delivery, int scratchBytes) {
        this.table = table;
        this.frame = frame;
        this.egress = egress;
        this.delivery = delivery;
        this.scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(scratchBytes, 64));
    }

    /** Length of the largest IP packet a GSO super-frame (header in the frame's IPv4 view) becomes once segmented. */
    int segmentLength(DirectBuffer buffer) {
        final Ipv4Packet ip = frame.ipv4;
        final int gsoSize = VirtioNetHeader.gsoSize(buffer, 0);
        final int l4 = ip.payloadOffset();
        final int type = VirtioNetHeader.gsoType(buffer, 0) & ~VirtioNetHeader.GSO_ECN;
        final int l4Header = type == VirtioNetHeader.GSO_TCPV4 && ip.payloadLength() > TcpPacket.DATA_OFFSET_OFFSET
                ? ((buffer.getByte(l4 + TcpPacket.DATA_OFFSET_OFFSET) & 0xF0) >>> 2)
                : UdpPacket.HEADER_LENGTH;
        return ip.headerLength() + l4Header + gsoSize;
    }

    /**
     * Fragments the packet in {@code buffer} (header in the frame's IPv4 view) for {@code mtu} and
     * hands each fragment to the delivery. A checksum left to complete is completed first:
     * fragments cannot carry a partial checksum. {@code ingress} is {@link FrameContext#NO_PORT}
     * for the gateway's own answers.
     */
    void fragment(
            int ingress,
            BridgeDomain to,
            MutableDirectBuffer buffer,
            int length,
            int mtu,
            long destinationMac,
            long sourceMac) {
        if (VirtioNetHeader.needsChecksum(buffer, 0) && !VirtioNetHeader.completeChecksum(buffer, 0, length)) {
            // Only a received frame can ask for a checksum: the gateway's own answers carry theirs.
            egress.drop(ingress, table.counters[ingress], DropReason.EGRESS_BAD_OFFLOAD, buffer, length);
            return;
        }
        final Ipv4Packet ip = frame.ipv4;
        final int headerLength = ip.headerLength();
        final int payloadLength = Math.min(ip.totalLength(), length - L3) - headerLength;
        final int chunk = (mtu - headerLength) & ~7;
        final int originalOffset = ip.fragmentOffset();
        final boolean originalMore = ip.moreFragments();
        final int flagsWord = buffer.getShort(L3 + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        for (int done = 0; done < payloadLength; done += chunk) {
            final int size = Math.min(chunk, payloadLength - done);
            final boolean last = done + size >= payloadLength;
            Ipv4HeaderWriter.writeEthernet(scratch, destinationMac, sourceMac);
            scratch.putBytes(L3, buffer, L3, headerLength);
            scratch.putBytes(L3 + headerLength, buffer, L3 + headerLength + done, size);
            scratch.putShort(L3 + Ipv4Packet.TOTAL_LENGTH_OFFSET, (short) (headerLength + size), ByteOrder.BIG_ENDIAN);
            out.wrap(scratch, L3, headerLength + size);
            final int more = !last || originalMore ? Ipv4Packet.FLAG_MORE_FRAGMENTS : 0;
            final int word = (flagsWord & Ipv4Packet.FLAG_DONT_FRAGMENT) | more | (originalOffset + done) >>> 3;
            scratch.putShort(L3 + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) word, ByteOrder.BIG_ENDIAN);
            out.updateHeaderChecksum();
            delivery.send(ingress, to, scratch, L3 + headerLength + size);
        }
        if (to != null) {
            to.count(NetworkCounter.FRAGMENTED);
        }
    }
}
