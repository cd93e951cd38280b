package io.jvswitch.switching;

import io.jvswitch.packet.Ipv4Address;

/**
 * An IPv4 flow as trace operands: both addresses in one long, both ports (or none) in another, and
 * its text ("10.0.0.2:40000 -> 10.0.1.2:80"), for the translation stage's records.
 */
final class TraceFlow {
    /** A flag with the ports: the hook said the packet belongs to a connection it tracks. */
    static final long TRACKED = 1L << 41;
    /** The ports of a packet that has none to show (not TCP or UDP, or a fragment). */
    static final long NO_PORTS = 0;

    private static final long HAS_PORTS = 1L << 40;
    private static final int PORT_BITS = 20;
    private static final long PORT_MASK = (1L << PORT_BITS) - 1;

    private TraceFlow() {}

    static long addresses(int source, int destination) {
        return ((long) source << 32) | (destination & 0xFFFFFFFFL);
    }

    /** Ports as read: -1 (cut short) is kept. */
    static long ports(int source, int destination) {
        return HAS_PORTS | ((source & PORT_MASK) << PORT_BITS) | (destination & PORT_MASK);
    }

    static boolean tracked(long ports) {
        return (ports & TRACKED) != 0;
    }

    /** "address[:port] -> address[:port]". */
    static String format(long addresses, long ports) {
        final boolean hasPorts = (ports & HAS_PORTS) != 0;
        return Ipv4Address.format((int) (addresses >>> 32))
                + (hasPorts ? ":" + port(ports >>> PORT_BITS) : "")
                + " -> "
                + Ipv4Address.format((int) addresses)
                + (hasPorts ? ":" + port(ports) : "");
    }

    private static int port(long field) {
        final int port = (int) (field & PORT_MASK);
        return port == PORT_MASK ? -1 : port;
    }
}
