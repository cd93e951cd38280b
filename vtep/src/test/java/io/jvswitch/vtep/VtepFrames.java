package io.jvswitch.vtep;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.testsupport.FrameBuilder;

/**
 * The VTEP tests' frames between two endpoints A and B, built with {@link FrameBuilder}
 * ([virtio-net header][Ethernet]).
 */
final class VtepFrames {
    static final long MAC_A = 0x02_4a_0a_0a_00_02L;
    static final long MAC_B = 0x02_4a_0a_0a_00_03L;
    static final int IP_A = 0x0a0a0002;
    static final int IP_B = 0x0a0a0003;
    /** A first sequence number that wraps around within a super-frame. */
    private static final int WRAPPING_SEQUENCE = 0xFFFF_F000;

    private VtepFrames() {}

    /** A UDP/IPv4 frame (5000 to 6000, no UDP checksum) of {@code payload} counting bytes from A to {@code dstMac}. */
    static byte[] udp(long dstMac, int payload) {
        final byte[] data = new byte[payload];
        for (int i = 0; i < payload; i++) {
            data[i] = (byte) i;
        }
        return FrameBuilder.ipv4Frame(
                        dstMac, MAC_A, IP_A, IP_B, Ipv4Packet.PROTOCOL_UDP, FrameBuilder.udpDatagram(5000, 6000, data))
                .id(7)
                .rawTransport()
                .build();
    }

    /** A gratuitous ARP (broadcast) from A. */
    static byte[] arpFromA() {
        return FrameBuilder.arp(MacAddress.BROADCAST, MAC_A, ArpPacket.OP_REQUEST, MAC_A, IP_A, 0L, IP_A);
    }

    /**
     * A TCP/IPv4 super-frame from A to B as a container's kernel hands it over with TSO: GSO_TCPV4,
     * NEEDS_CSUM, the TCP checksum field holding the pseudo-header sum; 12 bytes of TCP options; a
     * sequence number that wraps around during the super-frame.
     */
    static byte[] tcpSuperFrame(int payload, int mss, int flags) {
        return FrameBuilder.tcpSuperFrame(MAC_B, MAC_A, IP_A, IP_B, WRAPPING_SEQUENCE, flags, payload, mss);
    }
}
