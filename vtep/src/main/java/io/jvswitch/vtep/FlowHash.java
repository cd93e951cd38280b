package io.jvswitch.vtep;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Ipv4Packet;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * A hash of an inner frame's flow, for the outer UDP source port (RFC 7348 section 5: so that
 * underlay routers spreading traffic by 5-tuple keep one inner flow on one path). IPv4 frames hash
 * addresses, protocol and the first 4 bytes after the IP header (the ports of TCP and UDP); others
 * their MAC addresses.
 */
final class FlowHash {
    private FlowHash() {}

    static int of(DirectBuffer buffer, int frame, int frameLength) {
        long h;
        final int etherType = buffer.getShort(frame + EthernetFrame.ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int ip = frame + EthernetFrame.HEADER_LENGTH;
        if (etherType == EthernetFrame.ETHERTYPE_IPV4
                && frameLength >= EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH + 4) {
            final int ihl = (buffer.getByte(ip) & 0x0F) * 4;
            h = buffer.getLong(ip + Ipv4Packet.SOURCE_OFFSET)
                    ^ (buffer.getByte(ip + Ipv4Packet.PROTOCOL_OFFSET) & 0xFF);
            if (ihl >= Ipv4Packet.MIN_HEADER_LENGTH && frameLength >= EthernetFrame.HEADER_LENGTH + ihl + 4) {
                h = h * 31 + buffer.getInt(ip + ihl);
            }
        } else {
            h = buffer.getLong(frame) ^ ((long) buffer.getInt(frame + 8) << 16);
        }
        h *= 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
