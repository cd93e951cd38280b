package io.jvswitch.switching;

import io.jvswitch.packet.Ipv6Address;

/**
 * What the IPv6 translation stage did to a packet, as trace operands: a record per side that
 * changed, with the address before (a, b) and after (c, d) and one long (e) holding the side, the
 * port before and after and whether the hook tracks the connection; or one record of the flow left
 * unchanged (source a, b; destination c, d). An IPv6 address is two operands, so the record of an
 * IPv4 translation ({@link TraceFlow}) cannot hold it.
 */
final class TraceFlow6 {
    static final int UNCHANGED = 0;
    static final int SOURCE = 1;
    static final int DESTINATION = 2;
    /** No port to show: neither TCP nor UDP, or cut short. */
    static final int NO_PORT = -1;

    private static final int SIDE_MASK = 0x3;
    private static final long TRACKED = 1L << 2;
    private static final int PORT_BITS = 20;
    private static final long PORT_MASK = (1L << PORT_BITS) - 1;
    private static final int BEFORE_SHIFT = 8;
    private static final int AFTER_SHIFT = BEFORE_SHIFT + PORT_BITS;

    private TraceFlow6() {}

    /** For an unchanged flow: {@code before} is the source port, {@code after} the destination port. */
    static long detail(int side, int before, int after, boolean tracked) {
        return side
                | (tracked ? TRACKED : 0)
                | ((before & PORT_MASK) << BEFORE_SHIFT)
                | ((after & PORT_MASK) << AFTER_SHIFT);
    }

    static String format(TraceRecord r) {
        final long e = r.e();
        final String first = endpoint(r.a(), r.b(), port(e >>> BEFORE_SHIFT));
        final String second = endpoint(r.c(), r.d(), port(e >>> AFTER_SHIFT));
        final String tracked = (e & TRACKED) != 0 ? " (a tracked connection)" : "";
        return switch ((int) (e & SIDE_MASK)) {
            case SOURCE -> "source " + first + " translated to " + second + tracked;
            case DESTINATION -> "destination " + first + " translated to " + second + tracked;
            default -> "unchanged: " + first + " -> " + second + tracked;
        };
    }

    private static String endpoint(long high, long low, int port) {
        final String address = Ipv6Address.format(high, low);
        return port == NO_PORT ? address : "[" + address + "]:" + port;
    }

    private static int port(long field) {
        final int port = (int) (field & PORT_MASK);
        return port == PORT_MASK ? NO_PORT : port;
    }
}
