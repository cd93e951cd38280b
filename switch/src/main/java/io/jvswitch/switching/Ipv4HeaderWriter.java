package io.jvswitch.switching;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Writes the Ethernet and IPv4 headers of the packets the router makes itself (ICMP errors, the
 * gateway's answers, fragments), untagged at the fixed offsets of a routed frame. One per router:
 * the packets it originates take their IPv4 identification from one counter.
 */
final class Ipv4HeaderWriter {
    /** Where the Ethernet header of a frame starts: after the virtio-net header. */
    static final int ETH = VirtioNetHeader.LENGTH;
    /** Routed frames are untagged, so the IPv4 header always starts here. */
    static final int L3 = ETH + EthernetFrame.HEADER_LENGTH;
    /** The TTL of the packets the router originates. */
    static final int TTL = 64;

    private static final int VERSION_AND_MIN_HEADER = (Ipv4Packet.VERSION << 4) | (Ipv4Packet.MIN_HEADER_LENGTH / 4);

    private final Ipv4Packet header = new Ipv4Packet();
    private short nextId = 1;

    static void writeMacs(MutableDirectBuffer buffer, long destination, long source) {
        MacAddress.write(buffer, ETH + EthernetFrame.DESTINATION_OFFSET, destination);
        MacAddress.write(buffer, ETH + EthernetFrame.SOURCE_OFFSET, source);
    }

    static void swapMacs(MutableDirectBuffer buffer) {
        final long destination = MacAddress.read(buffer, ETH + EthernetFrame.DESTINATION_OFFSET);
        final long source = MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET);
        writeMacs(buffer, source, destination);
    }

    /** A clear virtio-net header and an untagged Ethernet header for IPv4. */
    static void writeEthernet(MutableDirectBuffer buffer, long destination, long source) {
        VirtioNetHeader.clear(buffer, 0);
        writeMacs(buffer, destination, source);
        buffer.putShort(
                ETH + EthernetFrame.ETHERTYPE_OFFSET, (short) EthernetFrame.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
    }

    /** A 20-byte IPv4 header at {@link #L3}, no fragmentation, with its checksum. */
    void writeIpv4(MutableDirectBuffer buffer, int totalLength, int protocol, int source, int destination) {
        buffer.putByte(L3 + Ipv4Packet.VERSION_IHL_OFFSET, (byte) VERSION_AND_MIN_HEADER);
        buffer.putByte(L3 + Ipv4Packet.TOS_OFFSET, (byte) 0);
        buffer.putShort(L3 + Ipv4Packet.TOTAL_LENGTH_OFFSET, (short) totalLength, ByteOrder.BIG_ENDIAN);
        buffer.putShort(L3 + Ipv4Packet.ID_OFFSET, nextId++, ByteOrder.BIG_ENDIAN);
        buffer.putShort(L3 + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        buffer.putByte(L3 + Ipv4Packet.TTL_OFFSET, (byte) TTL);
        buffer.putByte(L3 + Ipv4Packet.PROTOCOL_OFFSET, (byte) protocol);
        buffer.putInt(L3 + Ipv4Packet.SOURCE_OFFSET, source, ByteOrder.BIG_ENDIAN);
        buffer.putInt(L3 + Ipv4Packet.DESTINATION_OFFSET, destination, ByteOrder.BIG_ENDIAN);
        header.wrap(buffer, L3, totalLength);
        header.updateHeaderChecksum();
    }
}
