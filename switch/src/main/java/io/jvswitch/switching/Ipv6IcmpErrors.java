package io.jvswitch.switching;

import static io.jvswitch.switching.Ipv6Router.ETH;
import static io.jvswitch.switching.Ipv6Router.L3;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.packet.Ipv6Address;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VirtioNetHeader;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The IPv6 router's refusals: a packet that cannot be delivered is dropped under its reason, and
 * its sender gets the ICMPv6 error hosts rely on (RFC 4443): destination unreachable, packet too
 * big with the next hop's MTU (IPv6 routers never fragment, so path MTU discovery depends on it),
 * time exceeded. Built in a preallocated scratch buffer through {@link Ipv6Packet} and
 * {@link Icmpv6Packet}, and rate-limited like the IPv4 router's. Never about an ICMPv6 error, or
 * to an unspecified or multicast source (RFC 4443 2.4(e)).
 */
final class Ipv6IcmpErrors {
    /** The hop limit of the packets the router makes itself: errors and echo replies. */
    static final int HOP_LIMIT = 64;
    /** RFC 4443 2.4(c): an error carries as much of the offending packet as fits in the minimum MTU. */
    private static final int MAX_QUOTE = Ipv6Packet.MINIMUM_MTU - Ipv6Packet.HEADER_LENGTH - Icmpv6Packet.HEADER_LENGTH;

    private final FrameContext frame;
    private final Egress egress;
    /** The header of the frame in hand, wrapped by the router. */
    private final Ipv6Packet ip;

    private final Ipv6Packet out = new Ipv6Packet();
    private final Icmpv6Packet icmp = new Icmpv6Packet();
    private final UnsafeBuffer scratch;
    private final IcmpRateLimiter limiter;
    /** The router's MAC and link-local address (low half) on the host link: the source of errors to the host. */
    private long routerMac;

    private long routerLinkLocalLow;

    long sent;
    long suppressed;

    Ipv6IcmpErrors(FrameContext frame, Egress egress, Ipv6Packet ip, int scratchBytes, IcmpRateLimiter limiter) {
        this.frame = frame;
        this.egress = egress;
        this.ip = ip;
        this.scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(scratchBytes, 64));
        this.limiter = limiter;
    }

    void routerAddress(long mac, long linkLocalLow) {
        routerMac = mac;
        routerLinkLocalLow = linkLocalLow;
    }

    /** Drops the packet under {@code reason} and tells its sender "destination unreachable". */
    void unreachable(
            int ingress,
            PortCounters in,
            BridgeDomain from,
            MutableDirectBuffer buffer,
            int length,
            DropReason reason,
            int code) {
        refuse(ingress, in, from, buffer, length, reason, Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE, code, 0);
    }

    /**
     * Drops the packet (header in the router's view) under {@code reason} and tells its sender with
     * an ICMPv6 error sent back out of the port it came in on. {@code from} is the network it came
     * from, null for the host. The router has written the trace's record of why before the call.
     */
    void refuse(
            int ingress,
            PortCounters in,
            BridgeDomain from,
            MutableDirectBuffer buffer,
            int length,
            DropReason reason,
            int type,
            int code,
            int word) {
        if (!frame.dryRun) {
            send(ingress, from, buffer, length, type, code, word);
        }
        egress.drop(ingress, in, reason, buffer, length);
    }

    /** From the gateway's IPv6 address, or the router's link-local address towards the host. */
    private void send(
            int ingress, BridgeDomain from, MutableDirectBuffer buffer, int length, int type, int code, int word) {
        final long sourceHigh = ip.sourceHigh();
        final long sourceLow = ip.sourceLow();
        if ((sourceHigh | sourceLow) == 0 || (sourceHigh >>> 56) == 0xFF || isIcmpError(buffer)) {
            return;
        }
        if (!limiter.tryAcquire(frame.now)) {
            suppressed++;
            return;
        }
        final int quoted = Math.min(Math.min(Ipv6Packet.HEADER_LENGTH + ip.payloadLength(), length - L3), MAX_QUOTE);
        final int icmpLength = Icmpv6Packet.HEADER_LENGTH + quoted;
        VirtioNetHeader.clear(scratch, 0);
        MacAddress.write(
                scratch,
                ETH + EthernetFrame.DESTINATION_OFFSET,
                MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET));
        MacAddress.write(scratch, ETH + EthernetFrame.SOURCE_OFFSET, from == null ? routerMac : from.gatewayMac);
        scratch.putShort(
                ETH + EthernetFrame.ETHERTYPE_OFFSET, (short) EthernetFrame.ETHERTYPE_IPV6, ByteOrder.BIG_ENDIAN);
        final int l4 = L3 + Ipv6Packet.HEADER_LENGTH;
        scratch.putBytes(l4 + Icmpv6Packet.HEADER_LENGTH, buffer, L3, quoted);
        scratch.putInt(L3, Ipv6Packet.VERSION_WORD, ByteOrder.BIG_ENDIAN);
        scratch.putShort(L3 + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) icmpLength, ByteOrder.BIG_ENDIAN);
        out.wrap(scratch, L3, Ipv6Packet.HEADER_LENGTH + icmpLength);
        out.setNextHeader(Ipv6Packet.NEXT_HEADER_ICMPV6);
        out.setHopLimit(HOP_LIMIT);
        if (from == null) {
            out.setSource(Ipv6Address.LINK_LOCAL_HIGH, routerLinkLocalLow);
        } else {
            out.setSource(from.gateway6High, from.gateway6Low);
        }
        out.setDestination(sourceHigh, sourceLow);
        icmp.wrap(scratch, l4, icmpLength);
        icmp.setType(type);
        icmp.setCode(code);
        icmp.setWord(word);
        icmp.setChecksum(icmp.computeChecksum(out, icmpLength));
        sent++;
        if (from != null) {
            from.count(NetworkCounter.ICMP_ERRORS);
        }
        egress.transmit(ingress, scratch, l4 + icmpLength);
    }

    private boolean isIcmpError(DirectBuffer buffer) {
        return ip.nextHeader() == Ipv6Packet.NEXT_HEADER_ICMPV6
                && ip.payloadLength() >= 1
                && (buffer.getByte(ip.payloadOffset()) & 0x80) == 0; // types 0-127 are errors (RFC 4443 2.1)
    }
}
