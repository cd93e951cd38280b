package io.jvswitch.switching.service;

import org.agrona.MutableDirectBuffer;

/**
 * A UDP service the switch runs at every network's gateway address, such as the DNS responder on
 * port 53, over IPv4 and IPv6. The switch parses and checks the Ethernet, IP and UDP headers, hands
 * the payload over, and sends the answer back from the gateway, so a service sees datagrams only.
 *
 * <p>Called on the dataplane thread for every datagram to {@link #port()}: an implementation must
 * not block, must not allocate per datagram on its common path, and must not throw (bad input is
 * its to count and drop).
 */
public interface GatewayDatagramService {
    /** {@link #handle} result: nothing to send now; the datagram was counted and dropped. */
    int DROP = -1;
    /**
     * {@link #handle} result: taken; the answer (if any) comes later through {@link GatewayReplies},
     * for example after asking an upstream server.
     */
    int DEFERRED = 0;
    /**
     * The tag of a client handle standing for a sender over IPv6: addresses in 240.0.0.0/4 are
     * reserved and never an endpoint's, so a handle cannot be mistaken for an IPv4 client. The
     * dataplane maps a handle back to the sender when a deferred answer names it; a service treats it
     * as an opaque client address (no endpoint has it, so DNS answers it within the asked network).
     */
    int IPV6_CLIENT_TAG = 0xF000_0000;

    /** Whether {@code clientIp} is a handle for a sender over IPv6 rather than an IPv4 address. */
    static boolean isIpv6Client(int clientIp) {
        return (clientIp & IPV6_CLIENT_TAG) == IPV6_CLIENT_TAG;
    }

    /** The UDP port served at each gateway address. */
    int port();

    /**
     * Handles one datagram from an endpoint.
     *
     * @param networkId the network the datagram came from (the asker's network)
     * @param clientIp the sender's IPv4 address, or for a sender over IPv6 a handle ({@link #isIpv6Client})
     * @param clientPort the sender's UDP port
     * @param buffer holds the UDP payload at {@code [offset, offset + length)}; an immediate answer is
     *     written over it, starting at {@code offset}
     * @param capacity room for an answer from {@code offset}
     * @param nowNanos the dataplane's clock
     * @return the answer's length (sent to the client from the gateway), {@link #DEFERRED} or {@link #DROP}
     */
    int handle(
            int networkId,
            int clientIp,
            int clientPort,
            MutableDirectBuffer buffer,
            int offset,
            int length,
            int capacity,
            long nowNanos);
}
