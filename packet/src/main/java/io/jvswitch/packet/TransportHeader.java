package io.jvswitch.packet;

import java.nio.ByteOrder;

/**
 * The first four bytes that TCP (RFC 9293) and UDP (RFC 768) share: source and destination port.
 * Written once here; {@link TcpPacket} and {@link UdpPacket} add the rest of their headers, and the
 * NAT's views read both protocols' ports at these offsets.
 */
public abstract sealed class TransportHeader extends Flyweight permits TcpPacket, UdpPacket {
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;

    TransportHeader() {}

    public final int sourcePort() {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public final int destinationPort() {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public final void setSourcePort(final int port) {
        buffer.putShort(offset + SOURCE_PORT_OFFSET, (short) port, ByteOrder.BIG_ENDIAN);
    }

    public final void setDestinationPort(final int port) {
        buffer.putShort(offset + DESTINATION_PORT_OFFSET, (short) port, ByteOrder.BIG_ENDIAN);
    }
}
