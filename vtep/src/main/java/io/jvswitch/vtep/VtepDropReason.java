package io.jvswitch.vtep;

/**
 * Why the VTEP dropped a datagram or a frame. Each drop is counted under exactly one reason, on the
 * underlay (before the network is known), on the network, and where one is known on the peer.
 */
public enum VtepDropReason {
    // ---- receive: checked as the underlay reads, in this order ----
    TRUNCATED("truncated", "datagram shorter than the 8-byte VXLAN header"),
    BAD_FLAGS("bad-flags", "flags other than exactly the I flag"),
    RESERVED_BITS("reserved-bits", "a reserved field of the VXLAN header is not zero"),
    UNKNOWN_VNI("unknown-vni", "no network on this host has the datagram's VNI"),
    UNKNOWN_SENDER("unknown-sender", "the sender is not a configured peer of the network"),
    RUNT_INNER("runt-inner", "inner frame shorter than an Ethernet header"),
    RX_RING_FULL("rx-ring-full", "the dataplane has not taken earlier frames yet: the tunnel's ring is full"),
    RX_PORT_CLOSED("rx-port-closed", "the tunnel's port had left the dataplane (its network was being removed)"),
    RX_TOO_LARGE("rx-too-large", "inner frame larger than the dataplane's frame buffer"),
    MAC_OF_ANOTHER_PEER(
            "mac-of-another-peer",
            "inner source MAC heard from another peer within the aging time: a spoofed underlay sender"),
    // ---- transmit: as the tunnel port encapsulates, or as the underlay sends ----
    NO_PEERS("no-peers", "the network has no peer to send to"),
    OVERSIZE_INNER("oversize-inner", "frame larger than the overlay MTU and not a TCP super-frame"),
    GSO_UNSUPPORTED("gso-unsupported", "super-frame of a kind the VTEP cannot segment (only TCP is)"),
    BAD_SUPER_FRAME("bad-super-frame", "super-frame whose headers do not parse or whose segment size is zero"),
    BAD_OFFLOAD("bad-offload", "checksum to complete lies outside the frame"),
    TX_QUEUE_FULL("tx-queue-full", "the frames of one duty cycle filled the underlay's send queue"),
    TX_BUFFERS_BUSY("tx-buffers-busy", "every datagram buffer of the tunnel is still queued for sending"),
    UNDERLAY_BUSY("underlay-busy", "the underlay socket's send queue is above its high-water mark"),
    SEND_FAILED("send-failed", "the kernel refused the datagram (no route, message too long, ...)");

    static final VtepDropReason[] VALUES = values();

    private final String label;
    private final String description;

    VtepDropReason(String label, String description) {
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
