package io.jvswitch.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Writes an Ethernet + IPv6 + UDP header in front of a UDP payload, the IPv6 counterpart of
 * {@link UdpIpv4Headers}: for frames the switch shows but never sends as such, like a tunnel's
 * datagrams on an IPv6 underlay. The UDP checksum is computed (IPv6 has no "none"), so the payload
 * must be in place before the headers are written.
 */
public final class UdpIpv6Headers {
    /** Bytes written before the UDP payload. */
    public static final int LENGTH = EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH + UdpPacket.HEADER_LENGTH;

    private UdpIpv6Headers() {}

    /**
     * Writes the headers at {@code offset} for the payload of {@code payloadLength} bytes already at
     * {@code offset + LENGTH}. MACs are zero: no link address is known for a socket's datagram.
     */
    public static void write(
            MutableDirectBuffer buffer,
            int offset,
            long sourceHigh,
            long sourceLow,
            long destinationHigh,
            long destinationLow,
            int sourcePort,
            int destinationPort,
            int hopLimit,
            int payloadLength) {
        buffer.setMemory(offset, 2 * MacAddress.LENGTH, (byte) 0);
        buffer.putShort(
                offset + EthernetFrame.ETHERTYPE_OFFSET, (short) EthernetFrame.ETHERTYPE_IPV6, ByteOrder.BIG_ENDIAN);
        final int ip = offset + EthernetFrame.HEADER_LENGTH;
        final int udpLength = UdpPacket.HEADER_LENGTH + payloadLength;
        buffer.putInt(ip, Ipv6Packet.VERSION_WORD, ByteOrder.BIG_ENDIAN);
        buffer.putShort(ip + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) udpLength, ByteOrder.BIG_ENDIAN);
        buffer.putByte(ip + Ipv6Packet.NEXT_HEADER_OFFSET, (byte) Ipv6Packet.NEXT_HEADER_UDP);
        buffer.putByte(ip + Ipv6Packet.HOP_LIMIT_OFFSET, (byte) hopLimit);
        buffer.putLong(ip + Ipv6Packet.SOURCE_OFFSET, sourceHigh, ByteOrder.BIG_ENDIAN);
        buffer.putLong(ip + Ipv6Packet.SOURCE_OFFSET + 8, sourceLow, ByteOrder.BIG_ENDIAN);
        buffer.putLong(ip + Ipv6Packet.DESTINATION_OFFSET, destinationHigh, ByteOrder.BIG_ENDIAN);
        buffer.putLong(ip + Ipv6Packet.DESTINATION_OFFSET + 8, destinationLow, ByteOrder.BIG_ENDIAN);
        final int udp = ip + Ipv6Packet.HEADER_LENGTH;
        buffer.putShort(udp + UdpPacket.SOURCE_PORT_OFFSET, (short) sourcePort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + UdpPacket.DESTINATION_PORT_OFFSET, (short) destinationPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + UdpPacket.LENGTH_OFFSET, (short) udpLength, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + UdpPacket.CHECKSUM_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        final int pseudo = InternetChecksum.pseudoHeaderIpv6(
                buffer,
                ip + Ipv6Packet.SOURCE_OFFSET,
                ip + Ipv6Packet.DESTINATION_OFFSET,
                Ipv6Packet.NEXT_HEADER_UDP,
                udpLength);
        final int checksum =
                ~InternetChecksum.fold(InternetChecksum.partialSum(buffer, udp, udpLength, pseudo)) & 0xFFFF;
        buffer.putShort(
                udp + UdpPacket.CHECKSUM_OFFSET, (short) (checksum == 0 ? 0xFFFF : checksum), ByteOrder.BIG_ENDIAN);
    }
}
