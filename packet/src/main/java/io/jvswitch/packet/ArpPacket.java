package io.jvswitch.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an ARP packet (RFC 826). Only the Ethernet/IPv4 form (28 bytes) is interpreted; {@link #wrap}
 * accepts any 28 bytes so the caller can still flood other hardware/protocol types, and checks
 * {@link #isEthernetIpv4()} before trusting the address fields.
 */
public final class ArpPacket extends Flyweight {
    /** Length of an Ethernet/IPv4 ARP packet. */
    public static final int LENGTH = 28;

    public static final int HARDWARE_TYPE_OFFSET = 0;
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    public static final int HARDWARE_LENGTH_OFFSET = 4;
    public static final int PROTOCOL_LENGTH_OFFSET = 5;
    public static final int OPERATION_OFFSET = 6;
    public static final int SENDER_MAC_OFFSET = 8;
    public static final int SENDER_IP_OFFSET = 14;
    public static final int TARGET_MAC_OFFSET = 18;
    public static final int TARGET_IP_OFFSET = 24;

    public static final int HARDWARE_TYPE_ETHERNET = 1;
    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    /** Ethernet header plus ARP: what {@link #encode} writes. */
    public static final int FRAME_LENGTH = EthernetFrame.HEADER_LENGTH + LENGTH;

    /** htype, ptype, hlen and plen of Ethernet/IPv4 as one big-endian long, compared in a single load. */
    private static final long ETHERNET_IPV4_PREAMBLE = ((long) HARDWARE_TYPE_ETHERNET << 48)
            | ((long) EthernetFrame.ETHERTYPE_IPV4 << 32)
            | ((long) MacAddress.LENGTH << 24)
            | ((long) Ipv4Address.LENGTH << 16);

    /**
     * @param length bytes available from {@code offset} (the Ethernet payload length).
     * @return false, leaving this unwrapped, if fewer than 28 bytes are available.
     */
    public boolean wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        if (!fits(buffer, offset, length, LENGTH)) {
            return reject();
        }
        return attach(buffer, offset, length);
    }

    /**
     * @return true if htype is Ethernet (1), ptype IPv4 (0x0800), hlen 6 and plen 4.
     */
    public boolean isEthernetIpv4() {
        return (buffer.getLong(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFF_FFFF_0000L) == ETHERNET_IPV4_PREAMBLE;
    }

    public int hardwareType() {
        return buffer.getShort(offset + HARDWARE_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int protocolType() {
        return buffer.getShort(offset + PROTOCOL_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int operation() {
        return buffer.getShort(offset + OPERATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public long senderMac() {
        return MacAddress.read(buffer, offset + SENDER_MAC_OFFSET);
    }

    public int senderIp() {
        return buffer.getInt(offset + SENDER_IP_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long targetMac() {
        return MacAddress.read(buffer, offset + TARGET_MAC_OFFSET);
    }

    public int targetIp() {
        return buffer.getInt(offset + TARGET_IP_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    /**
     * @return true if sender and target IP are equal: an announcement of the sender's own binding (a request or
     *         a reply), which updates neighbours' caches but is never answered.
     */
    public boolean isGratuitous() {
        return senderIp() == targetIp();
    }

    public void setOperation(final int operation) {
        buffer.putShort(offset + OPERATION_OFFSET, (short) operation, ByteOrder.BIG_ENDIAN);
    }

    public void setSenderMac(final long mac) {
        MacAddress.write(buffer, offset + SENDER_MAC_OFFSET, mac);
    }

    public void setSenderIp(final int ip) {
        buffer.putInt(offset + SENDER_IP_OFFSET, ip, ByteOrder.BIG_ENDIAN);
    }

    public void setTargetMac(final long mac) {
        MacAddress.write(buffer, offset + TARGET_MAC_OFFSET, mac);
    }

    public void setTargetIp(final int ip) {
        buffer.putInt(offset + TARGET_IP_OFFSET, ip, ByteOrder.BIG_ENDIAN);
    }

    /**
     * Write a complete untagged Ethernet/IPv4 ARP frame at {@code ethOffset}, e.g. a proxy-ARP reply.
     *
     * <p>The frame is not padded to {@link EthernetFrame#MIN_FRAME_LENGTH}: a TAP or VXLAN port does not need
     * it. Pad before handing it to anything that does.
     *
     * @return {@link #FRAME_LENGTH} (42), the number of bytes written.
     */
    public static int encode(
            final MutableDirectBuffer buffer,
            final int ethOffset,
            final long ethDestination,
            final long ethSource,
            final int operation,
            final long senderMac,
            final int senderIp,
            final long targetMac,
            final int targetIp) {
        MacAddress.write(buffer, ethOffset + EthernetFrame.DESTINATION_OFFSET, ethDestination);
        MacAddress.write(buffer, ethOffset + EthernetFrame.SOURCE_OFFSET, ethSource);
        buffer.putShort(
                ethOffset + EthernetFrame.ETHERTYPE_OFFSET, (short) EthernetFrame.ETHERTYPE_ARP, ByteOrder.BIG_ENDIAN);

        final int arp = ethOffset + EthernetFrame.HEADER_LENGTH;
        // htype+ptype as one int and hlen+plen as one short, taken from the constant isEthernetIpv4 compares with.
        buffer.putInt(arp + HARDWARE_TYPE_OFFSET, (int) (ETHERNET_IPV4_PREAMBLE >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putShort(arp + HARDWARE_LENGTH_OFFSET, (short) (ETHERNET_IPV4_PREAMBLE >>> 16), ByteOrder.BIG_ENDIAN);
        buffer.putShort(arp + OPERATION_OFFSET, (short) operation, ByteOrder.BIG_ENDIAN);
        MacAddress.write(buffer, arp + SENDER_MAC_OFFSET, senderMac);
        buffer.putInt(arp + SENDER_IP_OFFSET, senderIp, ByteOrder.BIG_ENDIAN);
        MacAddress.write(buffer, arp + TARGET_MAC_OFFSET, targetMac);
        buffer.putInt(arp + TARGET_IP_OFFSET, targetIp, ByteOrder.BIG_ENDIAN);
        return FRAME_LENGTH;
    }
}
