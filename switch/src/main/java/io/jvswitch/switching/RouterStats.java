package io.jvswitch.switching;

/**
 * The router's own counters: traffic over the host link, and the ICMP errors it sent or held back
 * under its rate limit.
 */
public record RouterStats(
        boolean hostLinkPlugged, long fromHost, long toHost, long icmpErrorsSent, long icmpErrorsSuppressed) {}
