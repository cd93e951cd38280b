package io.jvswitch.control.ipam;

import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * IPv4 routes of the calling process's network namespace, from {@code /proc/net/route}, so that an
 * automatically chosen subnet does not collide with networks the host already reaches.
 *
 * <p>Format (one header line, then tab-separated columns; Destination and Mask are the kernel's
 * network-order {@code __be32} printed with {@code %08X} as a native integer, i.e. byte-reversed on
 * little-endian machines: 192.168.1.0 prints as {@code 0001A8C0}):
 * <pre>
 * Iface  Destination  Gateway   Flags  RefCnt  Use  Metric  Mask      MTU  Window  IRTT
 * eth0   00000000     0101A8C0  0003   0       0   100     00000000  0    0       0
 * eth0   0001A8C0     00000000  0001   0       0   100     00FFFFFF  0    0       0
 * </pre>
 * The default route (mask 0) is skipped: it overlaps everything, and Docker ignores it too.
 */
public final class HostRoutes {

    public static final Path PROC_NET_ROUTE = Path.of("/proc/net/route");

    private HostRoutes() {}

    /**
     * Destinations of the current namespace's routes, in file order, without duplicates or the
     * default route. Returns an empty list where {@code /proc/net/route} does not exist (not Linux).
     *
     * @throws UncheckedIOException if the file exists but cannot be read
     */
    public static List<Cidr> read() {
        return read(PROC_NET_ROUTE);
    }

    static List<Cidr> read(Path file) {
        return parse(ProcNetFile.text(file), ByteOrder.nativeOrder());
    }

    /** Parses {@code /proc/net/route} text as written by a little-endian kernel (x86-64, arm64). */
    public static List<Cidr> parse(String procNetRouteText) {
        return parse(procNetRouteText, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Parses {@code /proc/net/route} text written by a kernel of the given byte order. The header and
     * malformed lines are skipped; destinations are masked, so a stray host bit cannot fail parsing.
     */
    public static List<Cidr> parse(String procNetRouteText, ByteOrder kernelOrder) {
        Set<Cidr> routes = new LinkedHashSet<>();
        for (String line : procNetRouteText.split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length < 8 || cols[0].equals("Iface")) {
                continue;
            }
            Integer dst = hex(cols[1], kernelOrder);
            Integer mask = hex(cols[7], kernelOrder);
            if (dst == null || mask == null || mask == 0) {
                continue; // malformed, or the default route
            }
            int prefix = Integer.bitCount(mask);
            if (mask != Cidr.mask(prefix)) {
                continue; // non-contiguous mask: the kernel does not produce these
            }
            routes.add(new Cidr(dst & mask, prefix));
        }
        return List.copyOf(routes);
    }

    private static Integer hex(String s, ByteOrder order) {
        if (s.length() != 8) {
            return null;
        }
        int v;
        try {
            v = Integer.parseUnsignedInt(s, 16);
        } catch (NumberFormatException e) {
            return null;
        }
        return order == ByteOrder.LITTLE_ENDIAN ? Integer.reverseBytes(v) : v;
    }
}
