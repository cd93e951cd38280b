package io.jvswitch.dns;

import io.jvswitch.switching.service.GatewayDatagramService;
import org.agrona.MutableDirectBuffer;

/**
 * The DNS responder at every network's gateway address, UDP port 53, on the dataplane thread.
 * Local names are answered in place without allocating ({@link LocalAnswerer}); other names are
 * handed to the {@link UpstreamForwarder}, which answers later through the gateway's replies.
 */
public final class DnsResponder implements GatewayDatagramService {
    private final DnsNameStore names;
    private final LocalAnswerer answerer;
    private final UpstreamForwarder forwarder;
    private final DnsCounters counters;

    DnsResponder(DnsNameStore names, DnsCounters counters, int ttlSeconds, UpstreamForwarder forwarder) {
        this.names = names;
        this.counters = counters;
        this.answerer = new LocalAnswerer(counters, ttlSeconds);
        this.forwarder = forwarder;
    }

    @Override
    public int port() {
        return ResolvConf.DNS_PORT;
    }

    @Override
    public int handle(
            int networkId,
            int clientIp,
            int clientPort,
            MutableDirectBuffer buffer,
            int offset,
            int length,
            int capacity,
            long nowNanos) {
        counters.increment(DnsCounter.QUERIES_UDP);
        final int n = answerer.answer(names.current(), networkId, clientIp, buffer, offset, length, capacity, false);
        if (n > 0) {
            return n;
        }
        if (n == LocalAnswerer.FORWARD
                && forwarder != null
                && forwarder.submit(
                        networkId, clientIp, clientPort, answerer.query().udpSize(), buffer, offset, length)) {
            return DEFERRED;
        }
        return DROP;
    }
}
