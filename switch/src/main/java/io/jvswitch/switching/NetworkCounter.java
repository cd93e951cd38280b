package io.jvswitch.switching;

/**
 * What a network counts (its FDB's own figures aside). Adding one is one line here: the network
 * snapshot ({@link NetworkStats#counters}) carries every one by its key, and so do the API, {@code
 * jvs stats --json} and the Prometheus export ({@code jvs_network_<key in snake case>_total}).
 */
public enum NetworkCounter {
    FLOODED("flooded", "Frames flooded in the network."),
    UNKNOWN_UNICAST("unknownUnicast", "Frames flooded because the destination was not learned."),
    ARP_ANSWERED("arpAnswered", "ARP and neighbour solicitations the switch answered in the network."),
    REMOTE_NDP_ANSWERED(
            "remoteNdpAnswered",
            "Neighbour solicitations the switch answered for another host's endpoint (a global network's, from the"
                    + " cluster store, or one learned from the tunnel on an overlay with static peers), so they did"
                    + " not cross the tunnel."),
    /** Kept by the IPv4 address book ({@code AddressBook}); its snapshot fills this in. */
    ARP_LEARN_REFUSED(
            "arpLearnRefused",
            "Addresses a tunnel's ARP (or the cluster store) could not put in the proxy-ARP book: a local endpoint's,"
                    + " another peer's not yet aged, or the book full."),
    /** Kept by the IPv6 address book ({@code Ipv6AddressBook}); its snapshot fills this in. */
    NDP_LEARN_REFUSED(
            "ndpLearnRefused",
            "Addresses a tunnel's neighbour discovery (or the cluster store) could not put in the proxy-NDP book: a"
                    + " local endpoint's, another peer's not yet aged, or the book full."),
    ROUTED_IN("routedIn", "Packets the gateway routed into the network."),
    ROUTED_OUT("routedOut", "Packets the gateway routed out of the network."),
    FRAGMENTED("fragmented", "Packets the gateway fragmented on their way into the network."),
    ICMP_ERRORS("icmpErrors", "ICMP errors the gateway sent into the network."),
    SERVICE_REQUESTS("serviceRequests", "Datagrams the gateway's UDP service took from the network."),
    SERVICE_REPLIES("serviceReplies", "Answers of the gateway's UDP service sent into the network."),
    SERVICE_REPLIES_UNDELIVERABLE(
            "serviceRepliesUndeliverable",
            "Answers of the gateway's UDP service not sent: the asker's address has no known MAC.");

    static final NetworkCounter[] VALUES = values();

    private final String key;
    private final String help;

    NetworkCounter(String key, String help) {
        this.key = key;
        this.help = help;
    }

    /** The stable name in the API's JSON (lower camel case; the CLI and scripts read it). */
    public String key() {
        return key;
    }

    /** One sentence: what is counted. */
    public String help() {
        return help;
    }
}
