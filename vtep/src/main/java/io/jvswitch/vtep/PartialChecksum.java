package io.jvswitch.vtep;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Inner frames whose TCP or UDP checksum was left to offload by the sending host.
 *
 * <p>A Linux VTEP whose containers send with checksum offload, across a veth or virtio underlay,
 * sends inner segments whose checksum field holds only the pseudo-header sum: the kernel kept the
 * packet "partial" and no NIC completed it. The Linux receiver on the far side delivers such a
 * packet as partial too, so its container never checks that field. A container behind jvs would
 * check it and drop the segment; so such a frame goes to the container with NEEDS_CSUM in its
 * virtio-net header and the field as it came, which is exactly how a partial packet crosses a TAP,
 * and the container's kernel takes it as Linux's own receiver would.
 *
 * <p>Marking a frame whose complete checksum happens to equal the pseudo-header sum changes nothing
 * for it: delivered, its checksum is trusted either way; forwarded on, completing the sum over the
 * same bytes gives the same field. Reads within the frame only; allocates nothing.
 */
final class PartialChecksum {
    private static final int ETH = EthernetFrame.HEADER_LENGTH;

    private PartialChecksum() {}

    /**
     * Whether {@code src}'s untagged IPv4 or IPv6 TCP/UDP frame at {@code frame} has only the
     * pseudo-header sum in its checksum field.
     *
     * @return the checksum start (from the frame) when it does, else -1
     */
    static int partialStart(DirectBuffer src, int frame, int frameLength) {
        if (frameLength < ETH + Ipv4Packet.MIN_HEADER_LENGTH) {
            return -1;
        }
        final int etherType = src.getShort(frame + EthernetFrame.ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int ip = frame + ETH;
        final int protocol;
        final int l4;
        final int l4Length;
        final int pseudo;
        if (etherType == EthernetFrame.ETHERTYPE_IPV4) {
            final int versionAndLength = src.getByte(ip) & 0xFF;
            final int headerLength = (versionAndLength & 0x0F) * 4;
            final int totalLength = src.getShort(ip + Ipv4Packet.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (versionAndLength >>> 4 != 4
                    || headerLength < Ipv4Packet.MIN_HEADER_LENGTH
                    || totalLength < headerLength
                    || totalLength > frameLength - ETH
                    || (src.getShort(ip + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN)
                                    & Ipv4Packet.FRAGMENT_BITS)
                            != 0) {
                return -1;
            }
            protocol = src.getByte(ip + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF;
            l4 = ip + headerLength;
            l4Length = totalLength - headerLength;
            pseudo = InternetChecksum.pseudoHeaderIpv4(
                    src.getInt(ip + Ipv4Packet.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
                    src.getInt(ip + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN),
                    protocol,
                    l4Length);
        } else if (etherType == EthernetFrame.ETHERTYPE_IPV6 && frameLength >= ETH + Ipv6Packet.HEADER_LENGTH) {
            protocol = src.getByte(ip + Ipv6Packet.NEXT_HEADER_OFFSET) & 0xFF;
            l4 = ip + Ipv6Packet.HEADER_LENGTH;
            l4Length = src.getShort(ip + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (l4Length > frameLength - ETH - Ipv6Packet.HEADER_LENGTH) {
                return -1;
            }
            pseudo = InternetChecksum.pseudoHeaderIpv6(
                    src, ip + Ipv6Packet.SOURCE_OFFSET, ip + Ipv6Packet.DESTINATION_OFFSET, protocol, l4Length);
        } else {
            return -1;
        }
        final int field;
        if (protocol == Ipv4Packet.PROTOCOL_TCP && l4Length >= TcpPacket.MIN_HEADER_LENGTH) {
            field = src.getShort(l4 + TcpPacket.CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        } else if (protocol == Ipv4Packet.PROTOCOL_UDP && l4Length >= UdpPacket.HEADER_LENGTH) {
            field = src.getShort(l4 + UdpPacket.CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (field == 0) {
                return -1; // no checksum at all (IPv4)
            }
        } else {
            return -1;
        }
        return field == InternetChecksum.fold(pseudo) ? l4 - frame : -1;
    }

    /**
     * Marks the frame behind the virtio-net header at {@code vnet} NEEDS_CSUM when its checksum is
     * partial. The header must be all zero (a frame that is not a super-frame).
     *
     * @return whether it was marked
     */
    static boolean markIfPartial(MutableDirectBuffer buffer, int vnet, int frameLength) {
        final int frame = vnet + VirtioNetHeader.LENGTH;
        final int start = partialStart(buffer, frame, frameLength);
        if (start < 0) {
            return false;
        }
        final int protocol = (buffer.getShort(frame + EthernetFrame.ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                        == EthernetFrame.ETHERTYPE_IPV4
                ? buffer.getByte(frame + ETH + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF
                : buffer.getByte(frame + ETH + Ipv6Packet.NEXT_HEADER_OFFSET) & 0xFF;
        VirtioNetHeader.setFlags(buffer, vnet, VirtioNetHeader.FLAG_NEEDS_CSUM);
        VirtioNetHeader.setChecksumStart(buffer, vnet, start);
        VirtioNetHeader.setChecksumOffset(
                buffer,
                vnet,
                protocol == Ipv4Packet.PROTOCOL_TCP ? TcpPacket.CHECKSUM_OFFSET : UdpPacket.CHECKSUM_OFFSET);
        return true;
    }

    /**
     * The sending side: copies a frame whose checksum was left to complete (NEEDS_CSUM; its
     * virtio-net header at {@code vnetOffset} of {@code src}, the frame behind it) to {@code at} in
     * {@code dst}, summing the checksummed part as it goes, and completes the checksum in the copy.
     * Returns false if the header's checksum field lies beyond the frame.
     */
    static boolean copyCompleting(DirectBuffer src, int vnetOffset, int frameLength, MutableDirectBuffer dst, int at) {
        final int start = VirtioNetHeader.checksumStart(src, vnetOffset);
        final int field = start + VirtioNetHeader.checksumOffset(src, vnetOffset);
        if (field + 2 > frameLength) {
            return false;
        }
        final int frame = vnetOffset + VirtioNetHeader.LENGTH;
        dst.putBytes(at, src, frame, start);
        final int checksum = ~InternetChecksum.fold(
                        InternetChecksum.copyAndSum(src, frame + start, dst, at + start, frameLength - start, 0))
                & 0xFFFF;
        dst.putShort(at + field, (short) (checksum == 0 ? 0xFFFF : checksum), ByteOrder.BIG_ENDIAN);
        return true;
    }
}
