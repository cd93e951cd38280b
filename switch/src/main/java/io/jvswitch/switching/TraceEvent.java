package io.jvswitch.switching;

/**
 * What a stage can write into a trace, with the stage it is shown under; the operands of each are
 * named in its comment and read by {@link TraceFormatter}. A verdict event has no stage: it ends
 * the trace's story.
 */
enum TraceEvent {
    /** a: ingress slot, b: frame bytes, c: 1 for a synthetic (dry-run) frame. */
    RX("rx"),
    /** a: source MAC, b: destination MAC, c: EtherType, d: GSO segment size, or -1 for no GSO. */
    INGRESS_PASSED("ingress-checks"),
    /** a: ingress slot. */
    PORT_SECURITY("port-security"),
    /** a: source MAC, b: ingress slot, c: the MAC table's answer ({@code MacTable.LEARNED}, ...). */
    LEARN("learn"),
    /** a: destination MAC (broadcast or multicast). */
    L2_GROUP("l2-lookup"),
    /** a: network id, b: destination MAC. */
    L2_UNKNOWN("l2-lookup"),
    /** a: network id, b: destination MAC, c: the port it was learned on. */
    L2_HIT("l2-lookup"),
    /** a: the operation (ARP reply or gratuitous request). */
    ARP_NOT_A_QUESTION("arp-proxy"),
    /** a: network id, b: target address, c: 1 when it is the asker's own address, else not in the book. */
    ARP_UNANSWERED("arp-proxy"),
    /** a: network id, b: target address, c: its MAC. */
    ARP_ANSWERED("arp-proxy"),
    /** a: sender address, b: sender MAC. */
    ARP_LEARNED_FROM_TUNNEL("arp-proxy"),
    /** a: network id, b, c: target address (high, low), d: 1 when it is the asker's own. */
    NDP_UNANSWERED("ndp-proxy"),
    /** a: network id, b, c: target address (high, low), d: its MAC. */
    NDP_ANSWERED("ndp-proxy"),
    /** a, b: the address (high, low) neighbor discovery from the tunnel taught, c: its MAC. */
    NDP_LEARNED_FROM_TUNNEL("ndp-proxy"),
    /** a: the gateway address. */
    GATEWAY_ECHO("gateway"),
    /** a: the service's UDP port. */
    GATEWAY_SERVICE("gateway"),
    /** a: the router's link address. */
    HOST_ARP_FOR_ROUTER("arp-proxy"),
    /** a: network id. */
    ROUTE_INTERNAL_NO_WAY_OUT("route"),
    /** No operands. */
    ROUTE_NO_HOST_LINK("route"),
    /** a: destination address. */
    ROUTE_BEYOND_NETWORKS("route"),
    /** a: destination address, b: the network it is in. */
    ROUTE_ISOLATED("route"),
    /** No operands. */
    ROUTE_OTHER_GATEWAY("route"),
    /** a: destination address, b: the network it is in. */
    ROUTE_IN_NETWORK("route"),
    /** No operands. */
    ROUTE_GATEWAY_TO_HOST("route"),
    /** No operands. */
    ROUTE_GATEWAY_SERVES_DNS_ONLY("route"),
    /** No operands. */
    ROUTE_NO_HOST_LINK_BEHIND_GATEWAY("route"),
    /** No operands. */
    ROUTE_ROUTER_ANSWERS_PING_ONLY("route"),
    /** a: destination address. */
    ROUTE_IN_NO_NETWORK("route"),
    /** a: network id. */
    ROUTE_INTERNAL_FROM_HOST("route"),
    /** a: destination address, b: the network it is in. */
    ROUTE_FROM_HOST("route"),
    /** No operands. */
    ROUTE_TTL_EXPIRES("route"),
    /** a: the packet's length, b: the next hop's MTU. */
    ROUTE_TOO_BIG("route"),
    /** a: destination address, b: the network that has no such endpoint. */
    ROUTE_NO_NEIGHBOR("route"),
    // ---- the IPv6 router: an address is two operands (high, low half) --------------------------
    /** a, b: the address asked for (the router's link-local address on the host link). */
    HOST_NDP_FOR_ROUTER("ndp-proxy"),
    /** a, b: the address the echo request is for (a gateway's, or the router's link-local). */
    GATEWAY_ECHO6("gateway"),
    /** a: the service's UDP port; b, c: the gateway address. */
    GATEWAY6_SERVICE("gateway"),
    /** No operands. */
    ROUTE_GATEWAY6_ANSWERS_PING_AND_SERVICE_ONLY("route"),
    /** No operands. */
    ROUTE_ROUTER_ANSWERS_PING6_ONLY("route"),
    /** a, b: destination address. */
    ROUTE6_BEYOND_NETWORKS("route"),
    /** a, b: destination address; c: the network it is in. */
    ROUTE6_ISOLATED("route"),
    /** a, b: destination address; c: the network it is in. */
    ROUTE6_IN_NETWORK("route"),
    /** a, b: destination address. */
    ROUTE6_IN_NO_NETWORK("route"),
    /** a, b: destination address; c: the network it is in. */
    ROUTE6_FROM_HOST("route"),
    /** a: the hop limit the packet came with. */
    ROUTE_HOP_LIMIT_EXPIRES("route"),
    /** a: the packet's length (of a segment, for a GSO super-frame), b: the next hop's MTU. */
    ROUTE6_TOO_BIG("route"),
    /** a, b: destination address; c: the network that has no such endpoint. */
    ROUTE6_NO_NEIGHBOR("route"),
    /** a, b: the flow before the hook's call; c, d: after it ({@link TraceFlow}). */
    NAT_PRE_ROUTE("nat (pre-route)"),
    /** As {@link #NAT_PRE_ROUTE}, after the route lookup. */
    NAT_POST_ROUTE("nat (post-route)"),
    /** What the IPv6 hook did before the route lookup, a side at a time ({@link TraceFlow6}). */
    NAT6_PRE_ROUTE("nat (pre-route)"),
    /** As {@link #NAT6_PRE_ROUTE}, after the route lookup. */
    NAT6_POST_ROUTE("nat (post-route)"),
    /** a: the reason's ordinal ({@link DropReason}); shown under the reason's stage. */
    DROPPED(null),
    /** A step written as text, {@code stage} and {@code text}: the routing hook's words, a tunnel's egress. */
    NOTE(null),

    // ---- verdicts --------------------------------------------------------------------------------
    /** a: the port it went out of. */
    FORWARDED_TO(null),
    /** a: network id, b: ingress slot. */
    FLOODED_IN(null),
    /** a: the port the answer went out of. */
    PROXY_ARP_VERDICT(null),
    /** a: the port the answer went out of. */
    PROXY_NDP_VERDICT(null),
    /** a: the port the answer went out of. */
    ECHO_REPLY_VERDICT(null),
    /** a: the port the answer went out of. */
    ECHO6_REPLY_VERDICT(null),
    /** No operands. */
    SERVICE_DRY_RUN_VERDICT(null),
    /** a: the slot the frame was dropped at, b: the reason's ordinal. */
    DROPPED_VERDICT(null),
    /** a: the network it was routed to, or {@code RoutingHook.HOST_LINK}. */
    ROUTED_VERDICT(null),
    /** a: the host link's slot. */
    ROUTED_TO_HOST_LINK_VERDICT(null);

    /** The stage a step is shown under; null for verdicts and for events that carry their own. */
    final String stage;

    TraceEvent(String stage) {
        this.stage = stage;
    }

    boolean isVerdict() {
        return ordinal() >= FORWARDED_TO.ordinal();
    }
}
