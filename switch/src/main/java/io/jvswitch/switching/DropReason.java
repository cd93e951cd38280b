package io.jvswitch.switching;

/**
 * Why the switch dropped a frame. Every drop is counted under exactly one reason, per port, so
 * {@code received = forwarded + answered + dropped} holds for every port.
 */
public enum DropReason {
    RUNT("runt", "frame shorter than an Ethernet header"),
    OVERSIZE("oversize", "frame longer than the port MTU and not a GSO super-frame"),
    MULTICAST_SOURCE("multicast-source", "source MAC is a multicast or broadcast address"),
    ZERO_SOURCE("zero-source", "source MAC is 00:00:00:00:00:00"),
    TRUNCATED_ARP("truncated-arp", "ARP packet shorter than 28 bytes"),
    MALFORMED_ARP("malformed-arp", "ARP is not Ethernet/IPv4 or has an unknown operation"),
    UNKNOWN_ETHERTYPE("unknown-ethertype", "EtherType not forwarded by the network's policy"),
    DESTINATION_IS_INGRESS("destination-is-ingress", "destination MAC was learned on the port it came in on"),
    NO_ROUTE("no-route", "frame addressed to the gateway, which does not route this traffic"),
    GSO_UNSUPPORTED("gso-unsupported", "GSO super-frame towards a port without offloads"),
    BAD_OFFLOAD("bad-offload", "virtio-net header asks for an offload the frame does not fit"),
    TX_QUEUE_FULL("tx-queue-full", "egress device queue full"),
    TX_REJECTED("tx-rejected", "egress device refused the frame"),
    PORT_GONE("port-gone", "egress port vanished (its namespace was deleted)");

    private final String label;
    private final String description;

    DropReason(String label, String description) {
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

    static final DropReason[] VALUES = values();
}
