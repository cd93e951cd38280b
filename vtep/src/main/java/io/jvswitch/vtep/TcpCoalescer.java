package io.jvswitch.vtep;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Receive offload for the tunnel: joins consecutive in-order TCP/IPv4 segments of one flow, as they
 * come out of the tunnel's ring, into one super-frame with a virtio-net GSO_TCPV4 header, so the
 * container's TAP takes a burst of segments in one write (what GRO does for a NIC).
 *
 * <p>A segment joins the frame being built only if it continues it exactly: same VTEP, same
 * Ethernet and IPv4 header (no options, not a fragment, same TOS and TTL), same ports,
 * acknowledgment and TCP options, sequence number where the last one ended, only ACK (and PSH,
 * which ends the frame) set, the first segment's payload size (a smaller one ends the frame), and a
 * TCP checksum that verifies: the super-frame goes out with NEEDS_CSUM, which the receiving kernel
 * trusts, so every segment's checksum is checked here first (or holds only the pseudo-header sum,
 * as a sender that left it to offload sends it: {@link PartialChecksum}). A segment whose datagram
 * came with an outer UDP checksum that the kernel verified is not checked again: that checksum
 * covers the whole inner frame ({@link GroReads} says how it is known), as Linux's own GRO relies
 * on. NEEDS_CSUM is how a TAP write says "verified": the kernel's tun ignores a write's DATA_VALID
 * flag. A segment that does not fit is left in the ring for the next frame. A frame of one segment
 * goes out as it came, with an all-zero virtio-net header.
 *
 * <p>Single-threaded (the dataplane's), no allocation.
 */
final class TcpCoalescer {
    /** Most segments in one super-frame (the kernel's GSO limit for a TAP write). */
    static final int MAX_SEGMENTS = 64;

    private static final int ETH = EthernetFrame.HEADER_LENGTH;
    private static final int IP_HEADER = Ipv4Packet.MIN_HEADER_LENGTH;
    private static final int MAX_IP_LENGTH = 65_535;
    /** The longest TCP header: a data offset of 15 words. */
    private static final int MAX_TCP_HEADER = 60;

    private MutableDirectBuffer target;
    private int vnet;
    private int capacity;
    /** Bytes in the frame being built, virtio-net header included; 0 before the first segment. */
    private int length;

    private int senderIp;
    private int segments;
    /** Payload size of the first segment; 0 when the frame cannot take more segments. */
    private int segmentSize;

    private int tcpHeader;
    /** TCP header length of the segment {@link #mergeablePayload} last accepted. */
    private int candidateHeader;
    /** Whether that segment's checksum was left partial by its sender ({@link PartialChecksum}). */
    private boolean candidatePartial;
    /** Segments of the frame being built (or just finished) whose checksum came partial. */
    private int partialSegments;

    private int nextSequence;

    /** Starts a frame in {@code target} at {@code vnetOffset}, at most {@code capacity} bytes. */
    void begin(MutableDirectBuffer target, int vnetOffset, int capacity) {
        this.target = target;
        this.vnet = vnetOffset;
        this.capacity = capacity;
        this.length = 0;
        this.segments = 0;
        this.segmentSize = 0;
        this.partialSegments = 0;
    }

    boolean isEmpty() {
        return length == 0;
    }

    /** Segments in the frame being built. */
    int segments() {
        return segments;
    }

    /** Segments of the last finished frame whose sender left their checksum partial. */
    int partialSegments() {
        return partialSegments;
    }

    /**
     * The first frame: copied as it is behind an all-zero virtio-net header. Returns false if it
     * does not fit the target.
     */
    boolean first(int sender, DirectBuffer src, int offset, int frameLength, boolean outerChecksummed) {
        if (frameLength + VirtioNetHeader.LENGTH > capacity) {
            return false;
        }
        VirtioNetHeader.clear(target, vnet);
        target.putBytes(vnet + VirtioNetHeader.LENGTH, src, offset, frameLength);
        length = VirtioNetHeader.LENGTH + frameLength;
        senderIp = sender;
        segments = 1;
        final int payload = mergeablePayload(target, vnet + VirtioNetHeader.LENGTH, frameLength, outerChecksummed);
        if (payload > 0 && (target.getByte(tcpFlagsOffset()) & TcpPacket.PSH) == 0) {
            partialSegments = candidatePartial ? 1 : 0;
            tcpHeader = candidateHeader;
            segmentSize = payload;
            nextSequence = target.getInt(tcp() + TcpPacket.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) + payload;
        }
        return true;
    }

    /** Whether the frame may take more segments. */
    boolean open() {
        return segmentSize > 0 && segments < MAX_SEGMENTS;
    }

    /**
     * Appends the next segment if it continues the frame; returns false (nothing changed) if it
     * does not. Afterwards {@link #open()} says whether more may follow.
     */
    boolean append(int sender, DirectBuffer src, int offset, int frameLength, boolean outerChecksummed) {
        if (!open() || sender != senderIp) {
            return false;
        }
        final int payload = mergeablePayload(src, offset, frameLength, outerChecksummed);
        if (payload <= 0
                || payload > segmentSize
                || length + payload > capacity
                || length - VirtioNetHeader.LENGTH - ETH + payload > MAX_IP_LENGTH) {
            return false;
        }
        final int th = offset + ETH + IP_HEADER;
        if (src.getInt(th + TcpPacket.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) != nextSequence
                || candidateHeader != tcpHeader
                || !sameHeaders(src, offset)) {
            return false;
        }
        target.putBytes(vnet + length, src, th + tcpHeader, payload);
        length += payload;
        segments++;
        if (candidatePartial) {
            partialSegments++;
        }
        nextSequence += payload;
        // the newest window and PSH stand for the whole frame
        target.putShort(tcp() + TcpPacket.WINDOW_OFFSET, src.getShort(th + TcpPacket.WINDOW_OFFSET));
        final int flags = src.getByte(th + TcpPacket.FLAGS_OFFSET) & 0xFF;
        if ((flags & TcpPacket.PSH) != 0 || payload < segmentSize) {
            target.putByte(tcpFlagsOffset(), (byte) (target.getByte(tcpFlagsOffset()) | flags));
            segmentSize = -segmentSize; // closed; the size is kept for finish()
        }
        return true;
    }

    /**
     * Completes the frame: for two segments or more, the headers of the super-frame and its
     * virtio-net header. Returns its length, virtio-net header included.
     */
    int finish() {
        if (segments == 1) {
            // Not joined: it goes as it came, marked NEEDS_CSUM if its sender left the checksum partial.
            partialSegments = PartialChecksum.markIfPartial(target, vnet, length - VirtioNetHeader.LENGTH) ? 1 : 0;
        } else if (segments > 1) {
            final int frame = vnet + VirtioNetHeader.LENGTH;
            final int ip = frame + ETH;
            final int ipLength = length - VirtioNetHeader.LENGTH - ETH;
            target.putShort(ip + Ipv4Packet.TOTAL_LENGTH_OFFSET, (short) ipLength, ByteOrder.BIG_ENDIAN);
            target.putShort(ip + Ipv4Packet.CHECKSUM_OFFSET, (short) 0);
            target.putShort(
                    ip + Ipv4Packet.CHECKSUM_OFFSET,
                    (short) InternetChecksum.compute(target, ip, IP_HEADER),
                    ByteOrder.BIG_ENDIAN);
            // NEEDS_CSUM: the checksum field holds the pseudo-header sum, the kernel adds the rest
            final int pseudo = InternetChecksum.pseudoHeaderIpv4(
                    target.getInt(ip + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
                    target.getInt(ip + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN),
                    Ipv4Packet.PROTOCOL_TCP,
                    ipLength - IP_HEADER);
            target.putShort(
                    tcp() + TcpPacket.CHECKSUM_OFFSET, (short) InternetChecksum.fold(pseudo), ByteOrder.BIG_ENDIAN);
            VirtioNetHeader.setTcpSegmentation(
                    target,
                    vnet,
                    VirtioNetHeader.GSO_TCPV4,
                    ETH + IP_HEADER,
                    ETH + IP_HEADER + tcpHeader,
                    Math.abs(segmentSize));
        }
        target = null;
        return length;
    }

    private int tcp() {
        return vnet + VirtioNetHeader.LENGTH + ETH + IP_HEADER;
    }

    private int tcpFlagsOffset() {
        return tcp() + TcpPacket.FLAGS_OFFSET;
    }

    /**
     * The TCP payload length of a frame that may be part of a super-frame (untagged IPv4 without
     * options, not a fragment, TCP with only ACK and maybe PSH, no padding, checksums that verify
     * unless {@code outerChecksummed}), or -1. Sets {@link #candidateHeader} on success.
     */
    private int mergeablePayload(DirectBuffer src, int frame, int frameLength, boolean outerChecksummed) {
        if (frameLength < ETH + IP_HEADER + TcpPacket.MIN_HEADER_LENGTH
                || src.getShort(frame + EthernetFrame.ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN)
                        != (short) EthernetFrame.ETHERTYPE_IPV4) {
            return -1;
        }
        final int ip = frame + ETH;
        if ((src.getByte(ip) & 0xFF) != 0x45
                || (src.getByte(ip + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF) != Ipv4Packet.PROTOCOL_TCP
                || (src.getShort(ip + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN)
                                & Ipv4Packet.FRAGMENT_BITS)
                        != 0) {
            return -1;
        }
        final int ipLength = src.getShort(ip + Ipv4Packet.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (ipLength != frameLength - ETH) {
            return -1;
        }
        final int th = ip + IP_HEADER;
        final int thLength = (src.getByte(th + TcpPacket.DATA_OFFSET_OFFSET) & 0xF0) >>> 2;
        final int flags = src.getByte(th + TcpPacket.FLAGS_OFFSET) & 0xFF;
        final int payload = ipLength - IP_HEADER - thLength;
        if (thLength < TcpPacket.MIN_HEADER_LENGTH || payload <= 0 || (flags & ~TcpPacket.PSH) != TcpPacket.ACK) {
            return -1;
        }
        candidatePartial = false;
        if (outerChecksummed) {
            // the outer checksum covered these bytes: verifying them again is what this saves
            candidateHeader = thLength;
            return payload;
        }
        final int pseudo = InternetChecksum.pseudoHeaderIpv4(
                src.getInt(ip + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
                src.getInt(ip + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN),
                Ipv4Packet.PROTOCOL_TCP,
                ipLength - IP_HEADER);
        if (InternetChecksum.compute(src, ip, IP_HEADER) != 0) {
            return -1; // left for the receiver to check and drop
        }
        if (InternetChecksum.fold(InternetChecksum.partialSum(src, th, ipLength - IP_HEADER, pseudo)) != 0xFFFF) {
            // Either corrupt (left for the receiver to check and drop) or left partial by a sender
            // that offloads (PartialChecksum): the super-frame goes out NEEDS_CSUM either way.
            if ((src.getShort(th + TcpPacket.CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                    != InternetChecksum.fold(pseudo)) {
                return -1;
            }
            candidatePartial = true;
        }
        candidateHeader = thLength;
        return payload;
    }

    /**
     * Whether the frame at {@code offset} has the headers of the frame being built, but for the
     * fields that differ between segments of one flow (IPv4 total length, identification and
     * checksum; TCP sequence number, flags, window, checksum and urgent pointer): MACs and
     * EtherType, IPv4 version, length, TOS, fragment field, TTL, protocol and addresses, TCP ports,
     * acknowledgment, data offset and options. Compared a machine word at a time under a mask.
     */
    private boolean sameHeaders(DirectBuffer src, int offset) {
        final int frame = vnet + VirtioNetHeader.LENGTH;
        final long[] masks = HeaderMasks.FOR_TCP_HEADER[(tcpHeader - TcpPacket.MIN_HEADER_LENGTH) / 4];
        final int headers = ETH + IP_HEADER + tcpHeader;
        src.boundsCheck(offset, headers);
        target.boundsCheck(frame, headers);
        for (int w = 0; w < masks.length; w++) {
            // the last word ends where the headers end, overlapping the one before it
            final int at = Math.min(w * Long.BYTES, headers - Long.BYTES);
            if (((src.getLong(at + offset) ^ target.getLong(at + frame)) & masks[w]) != 0) {
                return false;
            }
        }
        return true;
    }

    /** The masks {@link #sameHeaders} compares under, one set per TCP header length (20 to 60 bytes). */
    private static final class HeaderMasks {
        static final long[][] FOR_TCP_HEADER = new long[(MAX_TCP_HEADER - TcpPacket.MIN_HEADER_LENGTH) / 4 + 1][];

        static {
            final int ip = ETH;
            final int tcp = ETH + IP_HEADER;
            final int[][] differing = {
                {ip + Ipv4Packet.TOTAL_LENGTH_OFFSET, 2},
                {ip + Ipv4Packet.ID_OFFSET, 2},
                {ip + Ipv4Packet.CHECKSUM_OFFSET, 2},
                {tcp + TcpPacket.SEQUENCE_OFFSET, 4},
                {tcp + TcpPacket.FLAGS_OFFSET, 1},
                {tcp + TcpPacket.WINDOW_OFFSET, 2},
                {tcp + TcpPacket.CHECKSUM_OFFSET, 2},
                {tcp + TcpPacket.URGENT_POINTER_OFFSET, 2},
            };
            for (int i = 0; i < FOR_TCP_HEADER.length; i++) {
                final int headers = tcp + TcpPacket.MIN_HEADER_LENGTH + 4 * i;
                final UnsafeBuffer same = new UnsafeBuffer(new byte[headers]);
                same.setMemory(0, headers, (byte) 0xFF);
                for (int[] field : differing) {
                    same.setMemory(field[0], field[1], (byte) 0);
                }
                final long[] masks = new long[(headers + Long.BYTES - 1) / Long.BYTES];
                for (int w = 0; w < masks.length; w++) {
                    masks[w] = same.getLong(
                            Math.min(w * Long.BYTES, headers - Long.BYTES)); // the machine's order, as compared
                }
                FOR_TCP_HEADER[i] = masks;
            }
        }
    }
}
