package io.jvswitch.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Writes an Ethernet + IPv4 + UDP header in front of a UDP payload: for frames the switch shows
 * but never sends as such, like a tunnel's datagrams as the underlay carries them. The IPv4 header
 * has no options and a valid checksum; the UDP checksum is 0 (none, as IPv4 allows).
 */
public final class UdpIpv4Headers {
    /** Bytes written before the UDP payload. */
    public static final int LENGTH =
            EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH;

    private UdpIpv4Headers() {}

    /**
     * Writes the headers at {@code offset}; the payload of {@code payloadLength} bytes follows at
     * {@code offset + LENGTH}. MACs are zero: no link address is known for a socket's datagram.
     */
    public static void write(
            MutableDirectBuffer buffer,
            int offset,
            int source,
            int destination,
            int sourcePort,
            int destinationPort,
            int ttl,
            int payloadLength) {
        buffer.setMemory(offset, 2 * MacAddress.LENGTH, (byte) 0);
        buffer.putShort(
                offset + EthernetFrame.ETHERTYPE_OFFSET, (short) EthernetFrame.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        final int ip = offset + EthernetFrame.HEADER_LENGTH;
        final int udpLength = UdpPacket.HEADER_LENGTH + payloadLength;
        buffer.putByte(ip, (byte) 0x45);
        buffer.putByte(ip + Ipv4Packet.TOS_OFFSET, (byte) 0);
        buffer.putShort(
                ip + Ipv4Packet.TOTAL_LENGTH_OFFSET,
                (short) (Ipv4Packet.MIN_HEADER_LENGTH + udpLength),
                ByteOrder.BIG_ENDIAN);
        buffer.putShort(ip + Ipv4Packet.ID_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        buffer.putShort(ip + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) 0x4000, ByteOrder.BIG_ENDIAN); // DF
        buffer.putByte(ip + Ipv4Packet.TTL_OFFSET, (byte) ttl);
        buffer.putByte(ip + Ipv4Packet.PROTOCOL_OFFSET, (byte) Ipv4Packet.PROTOCOL_UDP);
        buffer.putShort(ip + Ipv4Packet.CHECKSUM_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        buffer.putInt(ip + Ipv4Packet.SOURCE_OFFSET, source, ByteOrder.BIG_ENDIAN);
        buffer.putInt(ip + Ipv4Packet.DESTINATION_OFFSET, destination, ByteOrder.BIG_ENDIAN);
        buffer.putShort(
                ip + Ipv4Packet.CHECKSUM_OFFSET,
                (short) InternetChecksum.compute(buffer, ip, Ipv4Packet.MIN_HEADER_LENGTH),
                ByteOrder.BIG_ENDIAN);
        final int udp = ip + Ipv4Packet.MIN_HEADER_LENGTH;
        buffer.putShort(udp + UdpPacket.SOURCE_PORT_OFFSET, (short) sourcePort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + UdpPacket.DESTINATION_PORT_OFFSET, (short) destinationPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + UdpPacket.LENGTH_OFFSET, (short) udpLength, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + UdpPacket.CHECKSUM_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
    }
}
