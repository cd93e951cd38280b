package io.jvswitch.switching;

/**
 * Why the switch dropped a frame. Every drop is counted under exactly one reason, per port, so
 * {@code received = forwarded + answered + dropped} holds for every port.
 */
public enum DropReason {
    RUNT("runt", Stage.INGRESS, "frame shorter than an Ethernet header"),
    OVERSIZE("oversize", Stage.INGRESS, "frame longer than the port MTU and not a GSO super-frame"),
    BAD_OFFLOAD("bad-offload", Stage.INGRESS, "virtio-net header asks for an offload the frame does not fit"),
    MULTICAST_SOURCE("multicast-source", Stage.INGRESS, "source MAC is a multicast or broadcast address"),
    ZERO_SOURCE("zero-source", Stage.INGRESS, "source MAC is 00:00:00:00:00:00"),
    UNKNOWN_ETHERTYPE("unknown-ethertype", Stage.INGRESS, "EtherType not forwarded by the network's policy"),
    SPOOFED_SOURCE_MAC("spoofed-source-mac", Stage.PORT_SECURITY, "source MAC is not the endpoint's"),
    SPOOFED_SOURCE_IP("spoofed-source-ip", Stage.PORT_SECURITY, "source address is not the endpoint's"),
    SPOOFED_ARP("spoofed-arp", Stage.PORT_SECURITY, "ARP claims a MAC or address that is not the endpoint's"),
    TRUNCATED_IP("truncated-ip", Stage.PORT_SECURITY, "IP header too short to check its source"),
    ROUTER_ADVERTISEMENT(
            "ra-guard", Stage.PORT_SECURITY, "an IPv6 router advertisement from an endpoint: only the gateway routes"),
    ICMPV6_REDIRECT("icmpv6-redirect", Stage.PORT_SECURITY, "an ICMPv6 redirect from an endpoint"),
    SPOOFED_NEIGHBOR_DISCOVERY(
            "spoofed-nd",
            Stage.PORT_SECURITY,
            "a neighbour advertisement for an address that is not the endpoint's, or an ND link-layer option"
                    + " with another MAC"),
    DHCP_SERVER("dhcp-server", Stage.PORT_SECURITY, "a DHCP server message (UDP 67 to 68) from an endpoint"),
    DHCPV6_SERVER("dhcpv6-server", Stage.PORT_SECURITY, "a DHCPv6 server message (UDP 547 to 546) from an endpoint"),
    IPV6_HEADER_CHAIN(
            "ipv6-header-chain",
            Stage.PORT_SECURITY,
            "IPv6 extension headers that are cut short, more than 4, or hide the upper-layer header of a first"
                    + " fragment"),
    TUNNEL_LOCAL_MAC(
            "tunnel-local-mac",
            Stage.PORT_SECURITY,
            "from a tunnel, with the source MAC of one of this host's endpoints: forged"),
    TUNNEL_SPOOFED_ARP(
            "tunnel-spoofed-arp",
            Stage.PORT_SECURITY,
            "ARP from a tunnel giving another MAC for an address of this host, or for one another peer holds"),
    TUNNEL_SPOOFED_NDP(
            "tunnel-spoofed-nd",
            Stage.PORT_SECURITY,
            "neighbour discovery from a tunnel giving another MAC for an IPv6 address of this host, or for one"
                    + " another peer holds"),
    TRUNCATED_ARP("truncated-arp", Stage.ARP_PROXY, "ARP packet shorter than 28 bytes"),
    MALFORMED_ARP("malformed-arp", Stage.ARP_PROXY, "ARP is not Ethernet/IPv4 or has an unknown operation"),
    DESTINATION_IS_INGRESS(
            "destination-is-ingress", Stage.L2_FORWARD, "destination MAC was learned on the port it came in on"),
    NO_ROUTE(
            "no-route",
            Stage.ROUTE,
            "addressed to the gateway, which has no route for it (ICMP unreachable sent where routed)"),
    TAGGED_NOT_ROUTED(
            "tagged-not-routed",
            Stage.ROUTE,
            "802.1Q-tagged frame addressed to the gateway: only untagged frames are routed"),
    BAD_IP_HEADER("bad-ip-header", Stage.ROUTE, "IPv4 header with a wrong version, header length or total length"),
    BAD_IP_CHECKSUM("bad-ip-checksum", Stage.ROUTE, "IPv4 header checksum does not match"),
    TTL_EXCEEDED("ttl-exceeded", Stage.ROUTE, "TTL would reach 0 here (ICMP time exceeded sent)"),
    ISOLATED("isolated", Stage.ROUTE, "addressed to another network: networks are isolated (ICMP prohibited sent)"),
    INTERNAL_NETWORK("internal-network", Stage.ROUTE, "an internal network has no way out, and the host no way in"),
    NO_NEIGHBOR(
            "no-neighbor",
            Stage.ROUTE,
            "no endpoint has this address in the target network (ICMP host unreachable sent)"),
    FRAGMENTATION_NEEDED(
            "fragmentation-needed", Stage.ROUTE, "larger than the next hop's MTU with DF set (ICMP sent with the MTU)"),
    NOT_FOR_ROUTER("not-for-router", Stage.ROUTE, "frame from the host link not addressed to the router"),
    GATEWAY_CLOSED("gateway-closed", Stage.ROUTE, "to the gateway address, on a port or protocol nothing serves there"),
    TRANSLATION_REFUSED("translation-refused", Stage.ROUTE, "the address translation stage refused the packet"),
    BAD_L4_HEADER("bad-l4-header", Stage.ROUTE, "UDP header to the gateway's service is truncated or inconsistent"),
    BAD_L4_CHECKSUM("bad-l4-checksum", Stage.ROUTE, "UDP checksum to the gateway's service does not match"),
    IP_OPTIONS_NOT_SERVED("ip-options-not-served", Stage.ROUTE, "datagram with IPv4 options to the gateway's service"),
    SERVICE_DROPPED("service-dropped", Stage.ROUTE, "the gateway's service refused the datagram (see its counters)"),
    GSO_UNSUPPORTED("gso-unsupported", Stage.EGRESS, "GSO super-frame towards a port without offloads"),
    EGRESS_BAD_OFFLOAD("bad-offload-egress", Stage.EGRESS, "checksum to complete lies outside the frame"),
    TX_QUEUE_FULL("tx-queue-full", Stage.EGRESS, "egress device queue full"),
    TX_REJECTED(
            "tx-rejected", Stage.EGRESS, "egress device refused the frame (e.g. the container set its interface down)"),
    PORT_GONE("port-gone", Stage.EGRESS, "egress port vanished (its namespace was deleted)");
    static final DropReason[] VALUES = values();

    /** The pipeline stages, in the order a frame meets them; every drop belongs to one. */
    public enum Stage {
        INGRESS("ingress"),
        PORT_SECURITY("port-security"),
        ARP_PROXY("arp-proxy"),
        L2_FORWARD("l2-forward"),
        ROUTE("route"),
        EGRESS("egress");

        private final String label;

        Stage(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final String label;
    private final Stage stage;
    private final String description;

    DropReason(String label, Stage stage, String description) {
        this.label = label;
        this.stage = stage;
        this.description = description;
    }

    public Stage stage() {
        return stage;
    }

    /** Ingress drops are counted against the frame's verdict; egress ones against the copy sent. */
    public boolean isIngress() {
        return stage != Stage.EGRESS;
    }

    /** Stable, lower-case name used by the CLI, the API and metrics. */
    public String label() {
        return label;
    }

    public String description() {
        return description;
    }

    /** By ordinal, as stored in capture records. */
    public static DropReason ofOrdinal(int ordinal) {
        return VALUES[ordinal];
    }

    public static DropReason parse(String label) {
        for (DropReason reason : VALUES) {
            if (reason.label.equals(label)) {
                return reason;
            }
        }
        throw new IllegalArgumentException("unknown drop reason '" + label + "'");
    }
}
