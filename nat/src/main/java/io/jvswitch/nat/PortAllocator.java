package io.jvswitch.nat;

import io.jvswitch.packet.Ipv4Packet;
import io.jvswitch.packet.Ipv6Packet;

/**
 * Picks the port a new connection's reply will come back to: the original one if its reply tuple
 * is free (as the kernel does), else, when the source is translated, the next free one of the
 * range from a rotating cursor, trying a bounded number. ICMP and ICMPv6 echo identifiers may use
 * the whole 16-bit space. Runs on the dataplane thread.
 */
final class PortAllocator {
    /** Ports tried before a new translated connection is refused: a bounded cost per packet. */
    private static final int PORT_ATTEMPTS = 256;

    private static final int MAX_PORT = 0xFFFF;

    private final ConnectionTable table;
    private final int low;
    private final int high;
    private int cursor;

    PortAllocator(ConnectionTable table, int low, int high) {
        this.table = table;
        this.low = low;
        this.high = high;
        this.cursor = low;
    }

    /**
     * The reply tuple's second half: the reply's destination (the translated source), its source
     * port (the original destination port) and destination port (the translated source port).
     */
    static long replyTupleB(int protocol, int replyDestination, int replySourcePort, int replyDestinationPort) {
        if (isEcho(protocol)) {
            // An echo's identifier stands for both ports, so the reply tuple carries it twice.
            return ConnectionTable.tupleB(replyDestination, replyDestinationPort, replyDestinationPort);
        }
        return ConnectionTable.tupleB(replyDestination, replySourcePort, replyDestinationPort);
    }

    /** @return {@code originalPort} if the reply tuple with it is free, else -1: a connection whose source stays */
    int originalIfFree(int protocol, long replyA, int replyDestination, int replySourcePort, int originalPort) {
        return isFree(protocol, replyA, replyDestination, replySourcePort, originalPort) ? originalPort : -1;
    }

    /**
     * For a connection whose source is translated.
     *
     * @return the port, or -1 if none of those tried was free
     */
    int freePort(int protocol, long replyA, int replyDestination, int replySourcePort, int originalPort) {
        if (isFree(protocol, replyA, replyDestination, replySourcePort, originalPort)) {
            return originalPort;
        }
        final boolean icmp = isEcho(protocol);
        final int first = icmp ? 0 : low;
        final int last = icmp ? MAX_PORT : high;
        final int attempts = Math.min(last - first + 1, PORT_ATTEMPTS);
        int candidate = cursor < first || cursor > last ? first : cursor;
        for (int i = 0; i < attempts; i++) {
            final int port = candidate;
            candidate = candidate == last ? first : candidate + 1;
            if (isFree(protocol, replyA, replyDestination, replySourcePort, port)) {
                cursor = candidate;
                return port;
            }
        }
        cursor = candidate;
        return -1;
    }

    /** ICMP and ICMPv6 (whose tracked messages are echoes): the identifier is the whole key, no port range. */
    private static boolean isEcho(int protocol) {
        return protocol == Ipv4Packet.PROTOCOL_ICMP || protocol == Ipv6Packet.NEXT_HEADER_ICMPV6;
    }

    private boolean isFree(int protocol, long replyA, int replyDestination, int replySourcePort, int port) {
        return table.lookup(replyA, replyTupleB(protocol, replyDestination, replySourcePort, port)) < 0;
    }
}
