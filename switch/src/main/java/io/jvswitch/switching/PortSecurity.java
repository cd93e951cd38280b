package io.jvswitch.switching;

/**
 * Whether a port may only speak as its endpoint. Docker's bridge lets a container send with any
 * source MAC or IP and answer ARP for any address; jvs does not, unless told so per endpoint.
 */
public enum PortSecurity {
    /**
     * Frames must carry the endpoint's MAC as source; IPv4 packets its address (or 0.0.0.0, as DHCP
     * probes do); IPv6 packets its IPv6 address (on a dual-stack network), a link-local or the
     * unspecified source;
     * ARP may only claim the endpoint's own MAC and address (or 0.0.0.0 in a probe).
     */
    ENFORCE,
    /** Anything goes, as on a Linux bridge: for appliances that route or bridge for others. */
    ALLOW_SPOOFING
}
