package io.jvswitch.switching;

import static io.jvswitch.switching.Ipv4HeaderWriter.ETH;
import static io.jvswitch.switching.Ipv4HeaderWriter.L3;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The router's refusals: a packet that cannot be delivered is dropped under its reason, and its
 * sender gets the ICMP error a host expects (RFC 792, RFC 1812 4.3), built in a scratch buffer
 * through {@link IcmpPacket} and rate-limited. Never about an ICMP error, a non-first fragment, or
 * a packet from no one (RFC 1122 3.2.2).
 */
final class Ipv4IcmpErrors {
    static final int UNREACHABLE_NET = 0;
    static final int UNREACHABLE_HOST = 1;
    static final int UNREACHABLE_PORT = 3;
    static final int UNREACHABLE_FRAGMENTATION_NEEDED = 4;
    static final int UNREACHABLE_ADMIN_PROHIBITED = 13;

    /** RFC 1812 4.3.2.3: an ICMP error quotes as much of the packet as fits in 576 bytes. */
    private static final int MAX_IP_LENGTH = 576;

    private static final int MAX_QUOTE = MAX_IP_LENGTH - Ipv4Packet.MIN_HEADER_LENGTH - IcmpPacket.HEADER_LENGTH;
    /** ICMP timestamp request and reply (RFC 792): queries, not errors. */
    private static final int TYPE_TIMESTAMP_REQUEST = 13;

    private static final int TYPE_TIMESTAMP_REPLY = 14;

    private final FrameContext frame;
    private final Egress egress;
    private final Ipv4HeaderWriter headers;
    private final IcmpRateLimiter limiter;
    private final UnsafeBuffer scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(L3 + MAX_IP_LENGTH, 64));
    private final IcmpPacket icmp = new IcmpPacket();
    /** The router's own address and MAC on the host link: the source of errors about the host's packets. */
    private int routerIp;

    private long routerMac;

    long sent;
    long suppressed;

    Ipv4IcmpErrors(FrameContext frame, Egress egress, Ipv4HeaderWriter headers, IcmpRateLimiter limiter) {
        this.frame = frame;
        this.egress = egress;
        this.headers = headers;
        this.limiter = limiter;
    }

    void routerAddress(int ip, long mac) {
        routerIp = ip;
        routerMac = mac;
    }

    /**
     * Drops the frame in hand under {@code reason} and tells its sender "destination unreachable";
     * {@code why} and its operands are the trace's record of the decision.
     */
    void unreachable(
            BridgeDomain from,
            MutableDirectBuffer buffer,
            int length,
            DropReason reason,
            int code,
            TraceEvent why,
            long whyA) {
        refuse(from, buffer, length, reason, IcmpPacket.TYPE_DESTINATION_UNREACHABLE, code, 0, why, whyA, 0);
    }

    void unreachable(
            BridgeDomain from,
            MutableDirectBuffer buffer,
            int length,
            DropReason reason,
            int code,
            TraceEvent why,
            long whyA,
            long whyB) {
        refuse(from, buffer, length, reason, IcmpPacket.TYPE_DESTINATION_UNREACHABLE, code, 0, why, whyA, whyB);
    }

    /**
     * Drops the frame in hand (header in the frame's IPv4 view) under {@code reason} and tells its
     * sender with an ICMP error sent back out of the port it came in on. {@code from} is the network
     * it came from, null for the host; {@code why} with its operands is the trace's record of the
     * decision ({@link TraceEvent}).
     */
    void refuse(
            BridgeDomain from,
            MutableDirectBuffer buffer,
            int length,
            DropReason reason,
            int type,
            int code,
            int nextHopMtu,
            TraceEvent why,
            long whyA,
            long whyB) {
        frame.record(why, whyA, whyB);
        if (!frame.dryRun) {
            send(from, buffer, length, type, code, nextHopMtu);
        }
        egress.drop(frame.ingress, frame.in, reason, buffer, length);
    }

    private void send(BridgeDomain from, MutableDirectBuffer buffer, int length, int type, int code, int nextHopMtu) {
        final Ipv4Packet ip = frame.ipv4;
        final int source = ip.source();
        if (source == 0
                || (source & 0xF0000000) == 0xE0000000 // multicast
                || source == -1
                || ip.fragmentOffset() != 0
                || isIcmpError(buffer)) {
            return;
        }
        if (!limiter.tryAcquire(frame.now)) {
            suppressed++;
            return;
        }
        final int quoted = Math.min(Math.min(ip.totalLength(), length - L3), MAX_QUOTE);
        final int icmpLength = IcmpPacket.HEADER_LENGTH + quoted;
        Ipv4HeaderWriter.writeEthernet(
                scratch,
                MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET),
                from == null ? routerMac : from.gatewayMac);
        headers.writeIpv4(
                scratch,
                Ipv4Packet.MIN_HEADER_LENGTH + icmpLength,
                Ipv4Packet.PROTOCOL_ICMP,
                from == null ? routerIp : from.gatewayIp,
                source);
        final int l4 = L3 + Ipv4Packet.MIN_HEADER_LENGTH;
        scratch.putBytes(l4 + IcmpPacket.HEADER_LENGTH, buffer, L3, quoted);
        icmp.wrap(scratch, l4, icmpLength);
        icmp.setType(type);
        icmp.setCode(code);
        // The second word of an error: unused, except the next hop's MTU in its low half (RFC 1191).
        icmp.setIdentifier(0);
        icmp.setSequence(nextHopMtu);
        icmp.updateChecksum();
        sent++;
        if (from != null) {
            from.count(NetworkCounter.ICMP_ERRORS);
        }
        egress.transmit(frame.ingress, scratch, l4 + icmpLength);
    }

    private boolean isIcmpError(DirectBuffer buffer) {
        final Ipv4Packet ip = frame.ipv4;
        if (ip.protocol() != Ipv4Packet.PROTOCOL_ICMP || ip.payloadLength() < 1) {
            return false;
        }
        final int type = buffer.getByte(ip.payloadOffset() + IcmpPacket.TYPE_OFFSET) & 0xFF;
        return type != IcmpPacket.TYPE_ECHO_REQUEST
                && type != IcmpPacket.TYPE_ECHO_REPLY
                && type != TYPE_TIMESTAMP_REQUEST
                && type != TYPE_TIMESTAMP_REPLY;
    }
}
