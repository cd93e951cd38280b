package io.jvswitch.testsupport;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An IPv4 frame being built, for the tests that need a header field a router must check: the TTL,
 * the identification, the flags and fragment offset as they stand on the wire, options, a total
 * length that does not match the packet, a wrong header checksum, transport bytes kept exactly as
 * given, an offload request in the virtio-net header. Begun with {@link FrameBuilder#ipv4Frame};
 * unless told otherwise it is what {@link FrameBuilder#ipv4} builds: TTL 64, identification
 * 0x1234, don't fragment, no options, valid checksums.
 */
public final class Ipv4Frame {
    /** The option that fills a header to a 4-byte boundary (RFC 791). */
    private static final byte OPTION_NO_OPERATION = 1;

    private final long dstMac;
    private final long srcMac;
    private final int srcIp;
    private final int dstIp;
    private final int protocol;
    private final byte[] l4;
    private int ttl = 64;
    private int id = 0x1234;
    private int flagsAndFragmentOffset = Ipv4Packet.FLAG_DONT_FRAGMENT;
    private byte[] options = new byte[0];
    private int totalLength = -1;
    private int checksumXor;
    private boolean transportChecksum = true;
    private byte[] vnetHeader = new byte[VirtioNetHeader.LENGTH];

    Ipv4Frame(long dstMac, long srcMac, int srcIp, int dstIp, int protocol, byte[] l4) {
        this.dstMac = dstMac;
        this.srcMac = srcMac;
        this.srcIp = srcIp;
        this.dstIp = dstIp;
        this.protocol = protocol;
        this.l4 = l4.clone();
    }

    public Ipv4Frame ttl(int ttl) {
        this.ttl = ttl;
        return this;
    }

    public Ipv4Frame id(int id) {
        this.id = id;
        return this;
    }

    /** Sets or clears DF, keeping the other flags and the offset. */
    public Ipv4Frame dontFragment(boolean dontFragment) {
        flagsAndFragmentOffset = dontFragment
                ? flagsAndFragmentOffset | Ipv4Packet.FLAG_DONT_FRAGMENT
                : flagsAndFragmentOffset & ~Ipv4Packet.FLAG_DONT_FRAGMENT;
        return this;
    }

    /** The 16 bits of flags and fragment offset as they stand on the wire (DF, MF, offset in 8-byte units). */
    public Ipv4Frame flagsAndFragmentOffset(int field) {
        this.flagsAndFragmentOffset = field;
        return this;
    }

    /** {@code words} 4-byte words of no-operation options after the fixed header. */
    public Ipv4Frame noOperationOptions(int words) {
        options = new byte[4 * words];
        Arrays.fill(options, OPTION_NO_OPERATION);
        return this;
    }

    /** A total length as given, whether or not it matches the packet. */
    public Ipv4Frame totalLength(int totalLength) {
        this.totalLength = totalLength;
        return this;
    }

    /** The header checksum with these bits flipped: 0 keeps it valid. */
    public Ipv4Frame headerChecksumXor(int bits) {
        this.checksumXor = bits;
        return this;
    }

    /**
     * The transport bytes exactly as given: no UDP, TCP or ICMP checksum is filled in (a UDP
     * checksum of 0 means none over IPv4).
     */
    public Ipv4Frame rawTransport() {
        this.transportChecksum = false;
        return this;
    }

    /** The virtio-net header in front of the frame, as {@link FrameBuilder#vnetHeader} writes it. */
    public Ipv4Frame vnetHeader(byte[] header) {
        this.vnetHeader = header.clone();
        return this;
    }

    public byte[] build() {
        final int headerLength = Ipv4Packet.MIN_HEADER_LENGTH + options.length;
        final int l4Offset = FrameBuilder.L3 + headerLength;
        final byte[] frame = new byte[l4Offset + l4.length];
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        b.putBytes(0, vnetHeader);
        final int eth = FrameBuilder.ETH;
        final int l3 = FrameBuilder.L3;
        MacAddress.write(b, eth + EthernetFrame.DESTINATION_OFFSET, dstMac);
        MacAddress.write(b, eth + EthernetFrame.SOURCE_OFFSET, srcMac);
        b.putShort(eth + EthernetFrame.ETHERTYPE_OFFSET, (short) EthernetFrame.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        b.putByte(l3 + Ipv4Packet.VERSION_IHL_OFFSET, (byte) ((Ipv4Packet.VERSION << 4) | (headerLength / 4)));
        b.putShort(
                l3 + Ipv4Packet.TOTAL_LENGTH_OFFSET,
                (short) (totalLength >= 0 ? totalLength : headerLength + l4.length),
                ByteOrder.BIG_ENDIAN);
        b.putShort(l3 + Ipv4Packet.ID_OFFSET, (short) id, ByteOrder.BIG_ENDIAN);
        b.putShort(l3 + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, (short) flagsAndFragmentOffset, ByteOrder.BIG_ENDIAN);
        b.putByte(l3 + Ipv4Packet.TTL_OFFSET, (byte) ttl);
        b.putByte(l3 + Ipv4Packet.PROTOCOL_OFFSET, (byte) protocol);
        b.putInt(l3 + Ipv4Packet.SOURCE_OFFSET, srcIp, ByteOrder.BIG_ENDIAN);
        b.putInt(l3 + Ipv4Packet.DESTINATION_OFFSET, dstIp, ByteOrder.BIG_ENDIAN);
        b.putBytes(l3 + Ipv4Packet.MIN_HEADER_LENGTH, options);
        // computed here, not by the flyweight: a total length that lies must not stop it
        final int checksum = InternetChecksum.compute(b, l3, headerLength) ^ checksumXor;
        b.putShort(l3 + Ipv4Packet.CHECKSUM_OFFSET, (short) checksum, ByteOrder.BIG_ENDIAN);
        b.putBytes(l4Offset, l4);
        if (transportChecksum) {
            fillTransportChecksum(b, l4Offset);
        }
        return frame;
    }

    private void fillTransportChecksum(UnsafeBuffer b, int l4Offset) {
        if (protocol == Ipv4Packet.PROTOCOL_UDP && l4.length >= UdpPacket.HEADER_LENGTH) {
            final int sum = pseudoHeaderChecksum(b, l4Offset, UdpPacket.CHECKSUM_OFFSET);
            // 0 would say "no checksum": a computed 0 is sent as its other form (RFC 768)
            b.putShort(l4Offset + UdpPacket.CHECKSUM_OFFSET, (short) (sum == 0 ? 0xFFFF : sum), ByteOrder.BIG_ENDIAN);
        } else if (protocol == Ipv4Packet.PROTOCOL_TCP && l4.length >= TcpPacket.MIN_HEADER_LENGTH) {
            final int sum = pseudoHeaderChecksum(b, l4Offset, TcpPacket.CHECKSUM_OFFSET);
            b.putShort(l4Offset + TcpPacket.CHECKSUM_OFFSET, (short) sum, ByteOrder.BIG_ENDIAN);
        } else if (protocol == Ipv4Packet.PROTOCOL_ICMP && l4.length >= IcmpPacket.CHECKSUM_OFFSET + 2) {
            b.putShort(l4Offset + IcmpPacket.CHECKSUM_OFFSET, (short) 0);
            final int sum = InternetChecksum.compute(b, l4Offset, l4.length);
            b.putShort(l4Offset + IcmpPacket.CHECKSUM_OFFSET, (short) sum, ByteOrder.BIG_ENDIAN);
        }
    }

    /** The TCP or UDP checksum over the pseudo-header and the transport bytes (its own field zero). */
    private int pseudoHeaderChecksum(UnsafeBuffer b, int l4Offset, int checksumOffset) {
        b.putShort(l4Offset + checksumOffset, (short) 0);
        final int sum = InternetChecksum.partialSum(
                b, l4Offset, l4.length, InternetChecksum.pseudoHeaderIpv4(srcIp, dstIp, protocol, l4.length));
        return ~InternetChecksum.fold(sum) & 0xFFFF;
    }
}
