package io.jvswitch.switching;

import static io.jvswitch.switching.Ipv4HeaderWriter.ETH;
import static io.jvswitch.switching.Ipv4HeaderWriter.L3;

import io.jvswitch.packet.ArpPacket;
import io.jvswitch.packet.EthernetFrame;
import io.jvswitch.packet.IcmpPacket;
import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.UdpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.service.GatewayDatagramService;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * What the gateway answers itself: ICMP echo at a gateway or router address, the gateway's UDP
 * service (DNS) with its immediate and deferred answers, and ARP for the router's address on the
 * host link. Answers are written over the request in place, or built in the frame buffer the agent
 * hands a deferred answer in; an answer larger than the network's MTU is fragmented.
 */
final class Ipv4GatewayResponder {
    private final PortTable table;
    private final FrameContext frame;
    private final Egress egress;
    private final Ipv4HeaderWriter headers;
    private final Ipv4Fragmenter fragmenter;
    private final IcmpPacket icmp = new IcmpPacket();
    private final UdpPacket udp = new UdpPacket();
    private final ArpPacket arp = new ArpPacket();
    private GatewayDatagramService service;

    Ipv4GatewayResponder(
            PortTable table, FrameContext frame, Egress egress, Ipv4HeaderWriter headers, Ipv4Fragmenter fragmenter) {
        this.table = table;
        this.frame = frame;
        this.egress = egress;
        this.headers = headers;
        this.fragmenter = fragmenter;
    }

    void service(GatewayDatagramService service) {
        this.service = service;
    }

    /** Where a deferred answer's payload must be written before {@link #sendDeferred}. */
    static int udpPayloadOffset() {
        return L3 + Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH;
    }

    /**
     * A packet for the gateway address: echo and the UDP service are answered here. Returns false
     * for anything else, which goes on to the routing hook and then to the host.
     */
    boolean answerAtGateway(BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final Ipv4Packet ip = frame.ipv4;
        final int protocol = ip.protocol();
        if (protocol == Ipv4Packet.PROTOCOL_ICMP && !ip.isFragment()) {
            return answerEcho(buffer, length, domain.gatewayIp);
        }
        if (protocol == Ipv4Packet.PROTOCOL_UDP
                && !ip.isFragment()
                && service != null
                && frame.ipv4DestinationPort(buffer) == service.port()) {
            answerService(domain, buffer, length);
            return true;
        }
        return false;
    }

    /** Answers an echo request to {@code address} in place; false if it is not a valid echo request. */
    boolean answerEcho(MutableDirectBuffer buffer, int length, int address) {
        final Ipv4Packet ip = frame.ipv4;
        if (!icmp.wrap(buffer, ip.payloadOffset(), ip.payloadLength())
                || icmp.type() != IcmpPacket.TYPE_ECHO_REQUEST
                || icmp.code() != 0
                || !icmp.isChecksumValid()) {
            return false;
        }
        frame.record(TraceEvent.GATEWAY_ECHO, address);
        frame.record(TraceEvent.ECHO_REPLY_VERDICT, frame.ingress);
        if (frame.dryRun) {
            return true;
        }
        icmp.setType(IcmpPacket.TYPE_ECHO_REPLY);
        icmp.setChecksum(InternetChecksum.adjust16(
                icmp.checksum(), IcmpPacket.TYPE_ECHO_REQUEST << 8, IcmpPacket.TYPE_ECHO_REPLY << 8));
        ip.setDestination(ip.source());
        ip.setSource(address);
        ip.setTtl(Ipv4HeaderWriter.TTL);
        ip.updateHeaderChecksum();
        Ipv4HeaderWriter.swapMacs(buffer);
        VirtioNetHeader.clear(buffer, 0);
        frame.in.count(PortCounter.GATEWAY_ANSWERED);
        egress.transmit(frame.ingress, buffer, length);
        return true;
    }

    /** Hands a datagram to the gateway service; sends its immediate answer back from the gateway. */
    private void answerService(BridgeDomain domain, MutableDirectBuffer buffer, int length) {
        final Ipv4Packet ip = frame.ipv4;
        final int ingress = frame.ingress;
        final int l4 = ip.payloadOffset();
        if (!udp.wrap(buffer, l4, ip.payloadLength())
                || udp.length() < UdpPacket.HEADER_LENGTH
                || udp.length() > ip.payloadLength()) {
            egress.drop(ingress, frame.in, DropReason.BAD_L4_HEADER, buffer, length);
            return;
        }
        if (ip.headerLength() != Ipv4Packet.MIN_HEADER_LENGTH) {
            egress.drop(ingress, frame.in, DropReason.IP_OPTIONS_NOT_SERVED, buffer, length);
            return;
        }
        final int flags = VirtioNetHeader.flags(buffer, 0);
        final boolean checksumKnownGood =
                (flags & (VirtioNetHeader.FLAG_NEEDS_CSUM | VirtioNetHeader.FLAG_DATA_VALID)) != 0;
        if (!checksumKnownGood && udp.checksum() != 0 && !udp.isChecksumValid(ip.pseudoHeaderSum())) {
            egress.drop(ingress, frame.in, DropReason.BAD_L4_CHECKSUM, buffer, length);
            return;
        }
        frame.record(TraceEvent.GATEWAY_SERVICE, service.port());
        if (frame.dryRun) {
            frame.record(TraceEvent.SERVICE_DRY_RUN_VERDICT, 0);
            return;
        }
        egress.capture(CapturePoint.DNS, ingress, buffer, length); // the query, before the answer overwrites it
        final int clientIp = ip.source();
        final int clientPort = udp.sourcePort();
        final int payload = l4 + UdpPacket.HEADER_LENGTH;
        final int capacity =
                Math.min(buffer.capacity() - payload, 65_535 - Ipv4Packet.MIN_HEADER_LENGTH - UdpPacket.HEADER_LENGTH);
        final int answer = service.handle(
                domain.id,
                clientIp,
                clientPort,
                buffer,
                payload,
                udp.length() - UdpPacket.HEADER_LENGTH,
                capacity,
                frame.now);
        if (answer == GatewayDatagramService.DROP || answer < 0) {
            egress.drop(ingress, frame.in, DropReason.SERVICE_DROPPED, buffer, length);
            return;
        }
        frame.in.count(PortCounter.GATEWAY_ANSWERED);
        domain.count(NetworkCounter.SERVICE_REQUESTS);
        if (answer == GatewayDatagramService.DEFERRED) {
            return;
        }
        final long clientMac = MacAddress.read(buffer, ETH + EthernetFrame.SOURCE_OFFSET);
        writeUdpHeaders(buffer, domain, clientMac, clientIp, clientPort, service.port(), answer);
        sendFromGateway(ingress, domain, buffer, answer);
    }

    /**
     * Frames a deferred answer (its payload already at {@link #udpPayloadOffset()} of {@code buffer})
     * and sends it to the client. Returns false if the client's address is not on the network any more.
     */
    boolean sendDeferred(
            BridgeDomain domain,
            MutableDirectBuffer buffer,
            int clientIp,
            int clientPort,
            int servicePort,
            int payloadLength) {
        final long clientMac = domain.addresses.lookup(clientIp);
        if (clientMac < 0) {
            domain.count(NetworkCounter.SERVICE_REPLIES_UNDELIVERABLE);
            return false;
        }
        writeUdpHeaders(buffer, domain, clientMac, clientIp, clientPort, servicePort, payloadLength);
        domain.count(NetworkCounter.SERVICE_REPLIES);
        sendFromGateway(FrameContext.NO_PORT, domain, buffer, payloadLength);
        return true;
    }

    /** Answers the host's ARP request for the router's link address; drops any other ARP. */
    void answerHostArp(EthernetFrame ethernet, MutableDirectBuffer buffer, int length, int routerIp, long routerMac) {
        final int l3 = ethernet.payloadOffset();
        if (!arp.wrap(buffer, l3, length - l3) || !arp.isEthernetIpv4()) {
            egress.drop(frame.ingress, frame.in, DropReason.MALFORMED_ARP, buffer, length);
            return;
        }
        if (arp.operation() != ArpPacket.OP_REQUEST || arp.targetIp() != routerIp || arp.isGratuitous()) {
            egress.drop(frame.ingress, frame.in, DropReason.NOT_FOR_ROUTER, buffer, length);
            return;
        }
        frame.record(TraceEvent.HOST_ARP_FOR_ROUTER, routerIp);
        if (frame.dryRun) {
            return;
        }
        final long askerMac = arp.senderMac();
        final int askerIp = arp.senderIp();
        ethernet.setDestination(askerMac);
        ethernet.setSource(routerMac);
        arp.setOperation(ArpPacket.OP_REPLY);
        arp.setSenderMac(routerMac);
        arp.setSenderIp(routerIp);
        arp.setTargetMac(askerMac);
        arp.setTargetIp(askerIp);
        VirtioNetHeader.clear(buffer, 0);
        frame.in.count(PortCounter.ARP_ANSWERED);
        egress.transmit(frame.ingress, buffer, length);
    }

    private void writeUdpHeaders(
            MutableDirectBuffer buffer,
            BridgeDomain domain,
            long clientMac,
            int clientIp,
            int clientPort,
            int servicePort,
            int payloadLength) {
        Ipv4HeaderWriter.writeEthernet(buffer, clientMac, domain.gatewayMac);
        final int udpLength = UdpPacket.HEADER_LENGTH + payloadLength;
        headers.writeIpv4(
                buffer, Ipv4Packet.MIN_HEADER_LENGTH + udpLength, Ipv4Packet.PROTOCOL_UDP, domain.gatewayIp, clientIp);
        final int l4 = L3 + Ipv4Packet.MIN_HEADER_LENGTH;
        buffer.putShort(l4 + UdpPacket.SOURCE_PORT_OFFSET, (short) servicePort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(l4 + UdpPacket.DESTINATION_PORT_OFFSET, (short) clientPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(l4 + UdpPacket.LENGTH_OFFSET, (short) udpLength, ByteOrder.BIG_ENDIAN);
        buffer.putShort(l4 + UdpPacket.CHECKSUM_OFFSET, (short) 0);
        udp.wrap(buffer, l4, udpLength); // now that its length field is right
        final int sum = udp.computeChecksum(
                InternetChecksum.pseudoHeaderIpv4(domain.gatewayIp, clientIp, Ipv4Packet.PROTOCOL_UDP, udpLength));
        udp.setChecksum(sum == 0 ? 0xFFFF : sum);
    }

    private void sendFromGateway(int ingress, BridgeDomain domain, MutableDirectBuffer buffer, int payloadLength) {
        final int ipLength = Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH + payloadLength;
        frame.ipv4.wrap(buffer, L3, ipLength);
        final long clientMac = MacAddress.read(buffer, ETH + EthernetFrame.DESTINATION_OFFSET);
        if (ingress >= 0) {
            egress.capture(CapturePoint.DNS, ingress, buffer, L3 + ipLength);
        } else if (egress.capturesDns()) {
            egress.capture(CapturePoint.DNS, domain.macs.lookup(clientMac), buffer, L3 + ipLength);
        }
        if (ipLength > domain.mtu) {
            fragmenter.fragment(ingress, domain, buffer, L3 + ipLength, domain.mtu, clientMac, domain.gatewayMac);
        } else if (ingress >= 0) {
            egress.transmit(ingress, buffer, L3 + ipLength);
        } else {
            egress.switchWithin(FrameContext.NO_PORT, domain, buffer, L3 + ipLength);
        }
    }
}
