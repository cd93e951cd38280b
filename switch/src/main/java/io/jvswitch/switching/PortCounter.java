package io.jvswitch.switching;

/**
 * What a port counts besides its drops ({@link DropReason}). Adding one is one line here: the port
 * snapshot ({@link PortStats#counters}) carries every one by its key, and so do the API, {@code jvs
 * stats --json} and the Prometheus export ({@code jvs_port_<key in snake case>_total}).
 */
public enum PortCounter {
    RX_FRAMES("rxFrames", "Frames received on a port."),
    RX_BYTES("rxBytes", "Bytes received on a port (Ethernet frames)."),
    TX_FRAMES("txFrames", "Frames sent out of a port."),
    TX_BYTES("txBytes", "Bytes sent out of a port."),
    // Ingress verdicts: every received frame ends in exactly one of these or in a drop.
    FORWARDED("forwarded", "Received frames forwarded to one port."),
    FLOODED("flooded", "Received frames flooded in their network."),
    ARP_ANSWERED("arpAnswered", "ARP requests the switch answered (proxy-ARP)."),
    ROUTED("routed", "Received packets the gateway routed to another network or the host."),
    GATEWAY_ANSWERED("gatewayAnswered", "Received packets the gateway answered itself (ping, its UDP service)."),
    // Not a verdict: what other ports' floods cost this one.
    FLOODED_OUT("floodedOut", "Copies a port sent because another port's frame was flooded.");

    static final PortCounter[] VALUES = values();

    private final String key;
    private final String help;

    PortCounter(String key, String help) {
        this.key = key;
        this.help = help;
    }

    /** The stable name in the API's JSON (lower camel case; tests and scripts read it). */
    public String key() {
        return key;
    }

    /** One sentence: what is counted. */
    public String help() {
        return help;
    }
}
