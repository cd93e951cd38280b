package io.jvswitch.vtep;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.packet.VxlanHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Software TCP segmentation of a TSO super-frame (virtio-net GSO_TCPV4 or GSO_TCPV6) into
 * VXLAN datagrams laid end to end, each {@code [VXLAN header][Ethernet][IP][TCP][payload]}, all of
 * {@link #stride()} bytes but the last: the layout UDP GSO sends as one super-datagram.
 *
 * <p>Each segment gets the super-frame's headers with what Linux's {@code tcp_gso_segment} would
 * change: IP total (or payload) length, IPv4 identification incremented per segment, IPv4 header
 * checksum, TCP sequence number, FIN and PSH only on the last segment, CWR only on the first, and a
 * complete TCP checksum (the super-frame's field only held the pseudo-header sum). The segment size
 * is the sender's, lowered if needed so a segment fits the overlay MTU.
 *
 * <p>One copy: payload bytes go from the frame straight into the datagram buffer. Reused, no
 * allocation; single-threaded.
 */
public final class TcpSegmenter {
    /** Most segments one UDP GSO send may carry (the kernel's UDP_MAX_SEGMENTS on older kernels). */
    public static final int MAX_GSO_SEGMENTS = 64;

    private int segmentCount;
    private int stride;
    private int totalBytes;
    private VtepDropReason failure;

    /** Bytes the datagrams of a super-frame of {@code frameLength} bytes can take at most, given its headers. */
    public static int maxOutputBytes(int frameLength, int minSegment) {
        final int segments = frameLength / Math.max(1, minSegment) + 1;
        return frameLength + segments * (VxlanHeader.LENGTH + 14 + 4 + 60 + 60);
    }

    /**
     * Segments the frame whose virtio-net header is at {@code vnetOffset} ({@code length} bytes with
     * the header) into {@code dst} from offset 0.
     *
     * @return true on success ({@link #segmentCount()}, {@link #stride()}, {@link #totalBytes()} are
     *     set); false, with {@link #failure()} set, when the frame cannot be segmented.
     */
    public boolean segment(DirectBuffer src, int vnetOffset, int length, MutableDirectBuffer dst, int vni, int mtu) {
        failure = null;
        final int gsoType = VirtioNetHeader.gsoType(src, vnetOffset);
        final boolean v4 = gsoType == VirtioNetHeader.GSO_TCPV4;
        if (!v4 && gsoType != VirtioNetHeader.GSO_TCPV6) {
            return fail(VtepDropReason.GSO_UNSUPPORTED);
        }
        final int frame = vnetOffset + VirtioNetHeader.LENGTH;
        final int frameLength = length - VirtioNetHeader.LENGTH;
        if (frameLength < EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH) {
            return fail(VtepDropReason.BAD_SUPER_FRAME);
        }
        int l2 = EthernetFrame.HEADER_LENGTH;
        int etherType = src.getShort(frame + EthernetFrame.ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (etherType == EthernetFrame.ETHERTYPE_VLAN) {
            l2 += EthernetFrame.VLAN_TAG_LENGTH;
            etherType = src.getShort(frame + l2 - 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        final int ip = frame + l2;
        final int ipHeader;
        if (v4) {
            final int versionIhl = src.getByte(ip) & 0xFF;
            ipHeader = (versionIhl & 0x0F) * 4;
            if (etherType != EthernetFrame.ETHERTYPE_IPV4
                    || versionIhl >>> 4 != 4
                    || ipHeader < Ipv4Packet.MIN_HEADER_LENGTH
                    || (src.getByte(ip + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF) != Ipv4Packet.PROTOCOL_TCP) {
                return fail(VtepDropReason.BAD_SUPER_FRAME);
            }
        } else {
            ipHeader = Ipv6Packet.HEADER_LENGTH;
            if (etherType != EthernetFrame.ETHERTYPE_IPV6 || (src.getByte(ip + 6) & 0xFF) != Ipv4Packet.PROTOCOL_TCP) {
                return fail(VtepDropReason.BAD_SUPER_FRAME); // extension headers are not segmented
            }
        }
        final int tcp = ip + ipHeader;
        if (tcp + TcpPacket.MIN_HEADER_LENGTH > frame + frameLength) {
            return fail(VtepDropReason.BAD_SUPER_FRAME);
        }
        final int tcpHeader = ((src.getByte(tcp + TcpPacket.DATA_OFFSET_OFFSET) & 0xFF) >>> 4) * 4;
        final int headers = l2 + ipHeader + tcpHeader;
        final int payload = frameLength - headers;
        int mss = VirtioNetHeader.gsoSize(src, vnetOffset);
        mss = Math.min(mss, mtu - ipHeader - tcpHeader);
        if (tcpHeader < TcpPacket.MIN_HEADER_LENGTH || payload <= 0 || mss <= 0) {
            return fail(VtepDropReason.BAD_SUPER_FRAME);
        }
        final int count = (payload + mss - 1) / mss;
        final int datagramHeaders = VxlanHeader.LENGTH + headers;
        if ((long) count * datagramHeaders + payload > dst.capacity()) {
            return fail(VtepDropReason.BAD_SUPER_FRAME);
        }

        final long sequence = src.getInt(tcp + TcpPacket.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
        final int flags = src.getByte(tcp + TcpPacket.FLAGS_OFFSET) & 0xFF;
        final int id = v4 ? src.getShort(ip + Ipv4Packet.ID_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF : 0;
        final int ipOut = VxlanHeader.LENGTH + l2;
        final int tcpOut = ipOut + ipHeader;

        // The headers are written once, into the first datagram, and every other datagram copies
        // them; each sets its own length, identification, sequence number, flags and checksums.
        // Those fields are zeroed before the headers' sums are taken, once, so a segment's two
        // checksums cost a few additions to them instead of a pass over its headers.
        VxlanHeader.write(dst, 0, vni);
        dst.putBytes(VxlanHeader.LENGTH, src, frame, headers);
        dst.putInt(tcpOut + TcpPacket.SEQUENCE_OFFSET, 0);
        dst.putByte(tcpOut + TcpPacket.FLAGS_OFFSET, (byte) 0);
        dst.putShort(tcpOut + TcpPacket.CHECKSUM_OFFSET, (short) 0);
        final int pseudo;
        final long ipConstant;
        if (v4) {
            dst.putShort(ipOut + Ipv4Packet.TOTAL_LENGTH_OFFSET, (short) 0);
            dst.putShort(ipOut + Ipv4Packet.ID_OFFSET, (short) 0);
            dst.putShort(ipOut + Ipv4Packet.CHECKSUM_OFFSET, (short) 0);
            ipConstant = InternetChecksum.partialSum(dst, ipOut, ipHeader, 0) & 0xFFFF_FFFFL;
            pseudo = InternetChecksum.pseudoHeaderIpv4(
                    dst.getInt(ipOut + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
                    dst.getInt(ipOut + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN),
                    Ipv4Packet.PROTOCOL_TCP,
                    0);
        } else {
            ipConstant = 0;
            // the IPv6 pseudo-header: both addresses and the next header; the length is added per segment
            pseudo =
                    InternetChecksum.fold(InternetChecksum.partialSum(dst, ipOut + 8, 32, 0)) + Ipv4Packet.PROTOCOL_TCP;
        }
        final long tcpConstant = InternetChecksum.partialSum(dst, tcpOut, tcpHeader, pseudo) & 0xFFFF_FFFFL;

        int out = 0;
        for (int i = 0; i < count; i++) {
            final int segmentPayload = Math.min(mss, payload - i * mss);
            final boolean last = i == count - 1;
            if (i > 0) {
                dst.putBytes(out, dst, 0, datagramHeaders);
            }
            // the payload is summed as it is copied: one pass over it
            final int payloadSum = InternetChecksum.copyAndSum(
                    src, frame + headers + i * mss, dst, out + datagramHeaders, segmentPayload, 0);
            final int tcpLength = tcpHeader + segmentPayload;
            if (v4) {
                final int ipLength = ipHeader + tcpLength;
                final int segmentId = (id + i) & 0xFFFF;
                dst.putShort(out + ipOut + Ipv4Packet.TOTAL_LENGTH_OFFSET, (short) ipLength, ByteOrder.BIG_ENDIAN);
                dst.putShort(out + ipOut + Ipv4Packet.ID_OFFSET, (short) segmentId, ByteOrder.BIG_ENDIAN);
                dst.putShort(
                        out + ipOut + Ipv4Packet.CHECKSUM_OFFSET,
                        (short) ~InternetChecksum.fold(ipConstant + ipLength + segmentId),
                        ByteOrder.BIG_ENDIAN);
            } else {
                dst.putShort(out + ipOut + 4, (short) tcpLength, ByteOrder.BIG_ENDIAN);
            }
            final int segmentSequence = (int) (sequence + (long) i * mss);
            dst.putInt(out + tcpOut + TcpPacket.SEQUENCE_OFFSET, segmentSequence, ByteOrder.BIG_ENDIAN);
            int segmentFlags = flags;
            if (!last) {
                segmentFlags &= ~(TcpPacket.FIN | TcpPacket.PSH);
            }
            if (i > 0) {
                segmentFlags &= ~TcpPacket.CWR;
            }
            dst.putByte(out + tcpOut + TcpPacket.FLAGS_OFFSET, (byte) segmentFlags);
            // the flags are the low byte of the 16-bit word they share with the data offset
            final long sum = tcpConstant
                    + tcpLength
                    + (segmentSequence >>> 16)
                    + (segmentSequence & 0xFFFF)
                    + segmentFlags
                    + (payloadSum & 0xFFFF_FFFFL);
            dst.putShort(
                    out + tcpOut + TcpPacket.CHECKSUM_OFFSET,
                    (short) ~InternetChecksum.fold(sum),
                    ByteOrder.BIG_ENDIAN);
            out += datagramHeaders + segmentPayload;
        }
        segmentCount = count;
        stride = datagramHeaders + mss;
        totalBytes = out;
        return true;
    }

    private boolean fail(VtepDropReason reason) {
        failure = reason;
        return false;
    }

    public int segmentCount() {
        return segmentCount;
    }

    /** Length of every datagram but the last (the UDP GSO segment size). */
    public int stride() {
        return stride;
    }

    public int totalBytes() {
        return totalBytes;
    }

    public VtepDropReason failure() {
        return failure;
    }
}
