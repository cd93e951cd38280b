package io.jvswitch.nat;

/** Why the translator dropped a packet; each has a counter in {@link NatEngine}. */
public enum NatDrop {
    TABLE_FULL("table-full", "a new connection did not fit in the conntrack table"),
    ENDPOINT_LIMIT(
            "endpoint-limit",
            "a new connection of an endpoint (network and address) already holding its share of the table"),
    ENDPOINT_MAP_FULL(
            "endpoint-map-full", "a new connection of one more endpoint while the most endpoints are tracked"),
    PORTS_EXHAUSTED("ports-exhausted", "no free source port for the translated connection"),
    TCP_NO_CONNECTION("tcp-no-connection", "a TCP segment that is not a SYN matches no connection"),
    TCP_BAD_FLAGS("tcp-bad-flags", "an invalid TCP flag combination"),
    TCP_INVALID_TRANSITION("tcp-invalid", "a TCP segment the connection's state does not allow"),
    NO_CONNECTION("no-connection", "a packet that cannot open a connection matches none"),
    ICMP_ERROR_UNKNOWN("icmp-error-unknown", "an ICMP error quoting no tracked connection"),
    ICMP_ERROR_MALFORMED("icmp-error-malformed", "an ICMP error too short to quote a header, or with a bad checksum"),
    TRUNCATED("truncated", "a TCP, UDP or ICMP header cut short"),
    FRAGMENT("fragment", "an IPv4 or IPv6 fragment of a connection that needs translation");

    private final String label;
    private final String description;

    NatDrop(String label, String description) {
        this.label = label;
        this.description = description;
    }

    public String label() {
        return label;
    }

    public String description() {
        return description;
    }
}
