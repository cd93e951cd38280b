package io.jvswitch.dns;

/**
 * What the DNS responder counts. Every query ends under exactly one outcome; bad input is counted
 * under the reason it was refused for.
 */
public enum DnsCounter {
    QUERIES_UDP("queries-udp", "queries received over UDP at a gateway address"),
    QUERIES_TCP("queries-tcp", "queries received over TCP at a gateway address"),
    ANSWERED_LOCAL("answered-local", "answered from the names of the asker's networks"),
    NODATA_LOCAL("nodata-local", "a local name asked for a type it has no record of (NOERROR, no answer)"),
    TRUNCATED_LOCAL("truncated-local", "local answer did not fit the client's UDP size: sent with TC"),
    DROP_TRUNCATED_HEADER("drop-truncated-header", "datagram shorter than a DNS header: dropped"),
    DROP_RESPONSE("drop-response", "a response (QR set) sent to the responder: dropped"),
    FORMERR_QDCOUNT("formerr-qdcount", "question count other than 1"),
    FORMERR_TRUNCATED("formerr-truncated", "name, question or record runs past the end of the message"),
    FORMERR_LABEL_TOO_LONG("formerr-label-too-long", "label length over 63 (an extended or reserved label type)"),
    FORMERR_NAME_TOO_LONG("formerr-name-too-long", "name longer than 255 bytes"),
    FORMERR_BAD_POINTER("formerr-bad-pointer", "compression pointer that loops or points forward"),
    FORMERR_COUNTS("formerr-counts", "answer or authority records in a query, or more than one OPT"),
    NOTIMP_OPCODE("notimp-opcode", "opcode other than QUERY"),
    NOTIMP_CLASS("notimp-class", "class other than IN"),
    BADVERS_EDNS("badvers-edns", "EDNS version other than 0"),
    REFUSED_INTERNAL("refused-internal", "name not local on an internal network: not forwarded"),
    SERVFAIL_NO_UPSTREAM("servfail-no-upstream", "name not local and no upstream server configured"),
    FORWARDED("forwarded", "queries sent upstream"),
    DROP_FORWARD_QUEUE_FULL("drop-forward-queue-full", "query to forward found the forwarder's queue full: dropped"),
    DROP_INFLIGHT_FULL("drop-inflight-full", "too many queries already waiting for upstream: dropped"),
    DROP_FORWARD_QUEUE_NETWORK_SHARE(
            "drop-forward-queue-network-share",
            "query to forward from a network already holding its share of the forwarder's queue: dropped"),
    DROP_INFLIGHT_NETWORK_SHARE(
            "drop-inflight-network-share",
            "the asker's network already has its share of the queries waiting for upstream: dropped (TCP: SERVFAIL)"),
    DROP_INFLIGHT_CLIENT_SHARE(
            "drop-inflight-client-share",
            "the asker already has its share of the queries waiting for upstream: dropped (TCP: SERVFAIL)"),
    UPSTREAM_ANSWERS("upstream-answers", "answers from upstream passed to clients"),
    UPSTREAM_NXDOMAIN("upstream-nxdomain", "NXDOMAIN from upstream passed to clients as NXDOMAIN"),
    UPSTREAM_TRUNCATED("upstream-truncated", "upstream answers passed with TC (client retries over TCP)"),
    UPSTREAM_TIMEOUTS("upstream-timeouts", "queries no upstream answered in time: SERVFAIL"),
    UPSTREAM_IGNORED("upstream-ignored", "datagrams from upstream matching no query in flight, or malformed"),
    UPSTREAM_SEND_ERRORS("upstream-send-errors", "sends to an upstream server that failed"),
    CACHE_HITS("cache-hits", "forwarded names answered from the cache"),
    CACHE_MISSES("cache-misses", "forwarded names not in the cache"),
    CACHE_INSERTS("cache-inserts", "upstream answers stored in the cache"),
    CACHE_EVICTIONS("cache-evictions", "cache entries evicted (least recently used) to make room"),
    CACHE_EXPIRED("cache-expired", "cache entries found past their TTL"),
    REPLY_QUEUE_FULL("reply-queue-full", "deferred answers the dataplane's reply queue refused"),
    TCP_CONNECTIONS("tcp-connections", "TCP connections accepted"),
    TCP_REFUSED("tcp-refused", "TCP connections closed at once: connection limit reached"),
    TCP_IDLE_CLOSED("tcp-idle-closed", "TCP connections closed for idling"),
    TCP_REFUSED_NETWORK_SHARE(
            "tcp-refused-network-share", "TCP connections closed at once: the network holds its share of connections"),
    TCP_REFUSED_CLIENT_SHARE(
            "tcp-refused-client-share", "TCP connections closed at once: the client holds its share of connections"),
    TCP_LIFETIME_CLOSED(
            "tcp-lifetime-closed",
            "TCP connections closed at their absolute deadline (however busy or slow they were)"),
    NAMES_OVER_LIMIT("names-over-limit", "names left out of the name store: its limit was reached");
    static final DnsCounter[] VALUES = values();

    private final String label;
    private final String description;

    DnsCounter(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** Stable, lower-case name used by the CLI, the API and metrics. */
    public String label() {
        return label;
    }

    public String description() {
        return description;
    }
}
