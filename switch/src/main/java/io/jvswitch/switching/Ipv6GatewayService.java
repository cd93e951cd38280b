package io.jvswitch.switching;

import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.Ipv6Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.service.GatewayDatagramService;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The gateway's UDP service (the DNS responder) at each network's IPv6 gateway address: the IPv6
 * counterpart of the IPv4 router's service path. The service speaks in IPv4 client addresses, so
 * an IPv6 sender is handed over as a client handle from {@link Ipv6ServiceClients}, and a deferred
 * answer addressed to such a handle comes back here to be framed in IPv6.
 *
 * <p>Only a UDP header straight after the fixed IPv6 header is served (no extension headers: a
 * resolver never sends them); the UDP checksum is checked, and a zero one is invalid over IPv6
 * (RFC 8200 8.1). An answer that would not fit the network's MTU is not sent (IPv6 routers never
 * fragment): the immediate answer's room is capped at the MTU, so the responder truncates it and
 * sets TC, and the client retries over TCP. Runs on the dataplane thread, in place, allocation-free.
 */
final class Ipv6GatewayService {
    private static final int ETH = VirtioNetHeader.LENGTH;
    private static final int L3 = ETH + EthernetFrame.HEADER_LENGTH;
    private static final int L4 = L3 + Ipv6Packet.HEADER_LENGTH;
    private static final int PAYLOAD = L4 + UdpPacket.HEADER_LENGTH;
    private static final int HOP_LIMIT = 64;

    private final Egress egress;
    private final FrameContext frame;
    private final UdpPacket udp = new UdpPacket();
    private final Ipv6Packet out = new Ipv6Packet();
    private final Ipv6ServiceClients clients = new Ipv6ServiceClients();
    private GatewayDatagramService service;

    Ipv6GatewayService(Egress egress, FrameContext frame) {
        this.egress = egress;
        this.frame = frame;
    }

    void service(GatewayDatagramService service) {
        this.service = service;
    }

    /**
     * Takes a packet for the gateway's IPv6 address (header in {@code ip}) if it is UDP to the
     * service's port. Returns false (the packet untouched) for anything else.
     */
    boolean offer(
            int ingress, PortCounters in, BridgeDomain domain, Ipv6Packet ip, MutableDirectBuffer buffer, int length) {
        final GatewayDatagramService served = service;
        if (served == null
                || ip.nextHeader() != Ipv6Packet.NEXT_HEADER_UDP
                || ip.payloadLength() < UdpPacket.HEADER_LENGTH
                || (buffer.getShort(L4 + UdpPacket.DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                        != served.port()) {
            return false;
        }
        if (!udp.wrap(buffer, L4, ip.payloadLength())) {
            egress.drop(ingress, in, DropReason.BAD_L4_HEADER, buffer, length);
            return true;
        }
        final int flags = VirtioNetHeader.flags(buffer, 0);
        final boolean checksumKnownGood =
                (flags & (VirtioNetHeader.FLAG_NEEDS_CSUM | VirtioNetHeader.FLAG_DATA_VALID)) != 0;
        if (!checksumKnownGood
                && (udp.checksum() == 0
                        || !udp.isChecksumValid(ip.pseudoHeaderSum(Ipv6Packet.NEXT_HEADER_UDP, udp.length())))) {
            egress.drop(ingress, in, DropReason.BAD_L4_CHECKSUM, buffer, length);
            return true;
        }
        frame.record(TraceEvent.GATEWAY6_SERVICE, served.port(), domain.gateway6High, domain.gateway6Low);
        if (frame.dryRun) {
            frame.record(TraceEvent.SERVICE_DRY_RUN_VERDICT, 0);
            return true;
        }
        egress.capture(CapturePoint.DNS, ingress, buffer, length); // the query, before the answer overwrites it
        final long clientHigh = ip.sourceHigh();
        final long clientLow = ip.sourceLow();
        final int clientPort = udp.sourcePort();
        final int client = clients.handle(domain.id, clientHigh, clientLow);
        final int capacity = Math.min(buffer.capacity(), ETH + EthernetFrame.HEADER_LENGTH + domain.mtu) - PAYLOAD;
        final int answer = served.handle(
                domain.id,
                client,
                clientPort,
                buffer,
                PAYLOAD,
                udp.length() - UdpPacket.HEADER_LENGTH,
                capacity,
                frame.now);
        if (answer < 0) {
            egress.drop(ingress, in, DropReason.SERVICE_DROPPED, buffer, length);
            return true;
        }
        in.count(PortCounter.GATEWAY_ANSWERED);
        domain.count(NetworkCounter.SERVICE_REQUESTS);
        if (answer == GatewayDatagramService.DEFERRED) {
            return true;
        }
        final long clientMac = MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET);
        writeHeaders(buffer, domain, clientMac, clientHigh, clientLow, clientPort, served.port(), answer);
        egress.capture(CapturePoint.DNS, ingress, buffer, PAYLOAD + answer);
        egress.transmit(ingress, buffer, PAYLOAD + answer);
        return true;
    }

    /**
     * Frames a deferred answer (its payload already at {@link #udpPayloadOffset}) to the IPv6 client
     * behind {@code client}. Returns false, counted, if the handle is stale, the client's address is
     * not on the network any more, or the answer does not fit the network's MTU.
     */
    boolean sendDeferred(
            BridgeDomain domain,
            MutableDirectBuffer buffer,
            int client,
            int clientPort,
            int servicePort,
            int payloadLength) {
        final int slot = clients.slot(client, domain.id);
        final long clientMac = slot < 0 ? -1 : domain.addresses6.lookup(clients.high(slot), clients.low(slot));
        if (clientMac < 0 || Ipv6Packet.HEADER_LENGTH + UdpPacket.HEADER_LENGTH + payloadLength > domain.mtu) {
            domain.count(NetworkCounter.SERVICE_REPLIES_UNDELIVERABLE);
            return false;
        }
        writeHeaders(
                buffer,
                domain,
                clientMac,
                clients.high(slot),
                clients.low(slot),
                clientPort,
                servicePort,
                payloadLength);
        domain.count(NetworkCounter.SERVICE_REPLIES);
        if (egress.capturesDns()) {
            egress.capture(CapturePoint.DNS, domain.macs.lookup(clientMac), buffer, PAYLOAD + payloadLength);
        }
        egress.switchWithin(-1, domain, buffer, PAYLOAD + payloadLength);
        return true;
    }

    /** Where a deferred answer's payload must be written before {@link #sendDeferred}. */
    static int udpPayloadOffset() {
        return PAYLOAD;
    }

    private void writeHeaders(
            MutableDirectBuffer buffer,
            BridgeDomain domain,
            long clientMac,
            long clientHigh,
            long clientLow,
            int clientPort,
            int servicePort,
            int payloadLength) {
        VirtioNetHeader.clear(buffer, 0);
        MacAddress.write(buffer, ETH + EthernetFrame.DESTINATION_OFFSET, clientMac);
        MacAddress.write(buffer, ETH + EthernetFrame.SOURCE_OFFSET, domain.gatewayMac);
        buffer.putShort(
                ETH + EthernetFrame.ETHERTYPE_OFFSET, (short) EthernetFrame.ETHERTYPE_IPV6, ByteOrder.BIG_ENDIAN);
        final int udpLength = UdpPacket.HEADER_LENGTH + payloadLength;
        buffer.putInt(L3, Ipv6Packet.VERSION_WORD, ByteOrder.BIG_ENDIAN);
        buffer.putShort(L3 + Ipv6Packet.PAYLOAD_LENGTH_OFFSET, (short) udpLength, ByteOrder.BIG_ENDIAN);
        out.wrap(buffer, L3, Ipv6Packet.HEADER_LENGTH + udpLength);
        out.setNextHeader(Ipv6Packet.NEXT_HEADER_UDP);
        out.setHopLimit(HOP_LIMIT);
        out.setSource(domain.gateway6High, domain.gateway6Low);
        out.setDestination(clientHigh, clientLow);
        buffer.putShort(L4 + UdpPacket.SOURCE_PORT_OFFSET, (short) servicePort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(L4 + UdpPacket.DESTINATION_PORT_OFFSET, (short) clientPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(L4 + UdpPacket.LENGTH_OFFSET, (short) udpLength, ByteOrder.BIG_ENDIAN);
        buffer.putShort(L4 + UdpPacket.CHECKSUM_OFFSET, (short) 0);
        udp.wrap(buffer, L4, udpLength);
        udp.setChecksum(udp.computeChecksum(out.pseudoHeaderSum(Ipv6Packet.NEXT_HEADER_UDP, udpLength)));
    }
}
