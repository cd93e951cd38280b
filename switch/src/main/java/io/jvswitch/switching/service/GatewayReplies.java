package io.jvswitch.switching.service;

import org.agrona.DirectBuffer;

/**
 * How a {@link GatewayDatagramService} answers later, from any thread: the datagram is queued to the
 * dataplane, which wraps it in UDP, IPv4 and Ethernet headers from the network's gateway and sends it
 * to the client's port.
 */
public interface GatewayReplies {
    /** Longest payload {@link #send} accepts. */
    int MAX_PAYLOAD = 65_507;

    /**
     * Queues a datagram from the gateway's {@code servicePort} to {@code clientIp:clientPort} on
     * network {@code networkId}.
     *
     * @return false when the queue is full or the payload too long; nothing was queued
     */
    boolean send(
            int networkId, int clientIp, int clientPort, int servicePort, DirectBuffer payload, int offset, int length);
}
