package io.jvswitch.control.ipam;

import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * IPv6 routes of the calling process's network namespace, in every routing table, from {@code
 * /proc/net/ipv6_route} (what {@code ip -6 route show table all} lists), so that a default IPv6
 * subnet avoids what the host already reaches, as {@link HostRoutes} does for IPv4, and an explicit
 * one that overlaps such a route is refused with the route named.
 *
 * <p>Format (no header; space-separated; addresses as 32 hex digits, lengths as 2): destination,
 * its prefix length, source, its length, next hop, metric, reference count, use count, flags,
 * device:
 * <pre>
 * fd000021000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
 * </pre>
 * Left out: the default route (it overlaps everything), link-local ({@code fe80::/10}) and
 * multicast ({@code ff00::/8}) destinations, which every interface has and no subnet is taken from,
 * and the routes of jvs's own host link ({@code excludedDevice}): its networks' subnets, its
 * gateways, its masquerade address and its port-rule table, which jvs checks as its networks.
 */
public final class Ipv6HostRoutes {
    public static final Path PROC_NET_IPV6_ROUTE = Path.of("/proc/net/ipv6_route");

    private static final Ipv6Cidr LINK_LOCAL = Ipv6Cidr.parse("fe80::/10", "link-local");
    private static final Ipv6Cidr MULTICAST = Ipv6Cidr.parse("ff00::/8", "multicast");

    /** A route's destination and the device it goes out of. */
    public record Route(Ipv6Cidr destination, String device) {
        @Override
        public String toString() {
            return destination + " dev " + device;
        }
    }

    private Ipv6HostRoutes() {}

    /**
     * The current namespace's routes but {@code excludedDevice}'s (null: none left out), in file
     * order, without duplicates. Empty where the file does not exist (no IPv6, or not Linux).
     *
     * @throws UncheckedIOException if the file exists but cannot be read
     */
    public static List<Route> read(String excludedDevice) {
        return read(PROC_NET_IPV6_ROUTE, excludedDevice);
    }

    static List<Route> read(Path file, String excludedDevice) {
        return parse(ProcNetFile.text(file), excludedDevice);
    }

    /** Parses {@code /proc/net/ipv6_route} text; malformed lines are skipped, destinations masked. */
    public static List<Route> parse(String text, String excludedDevice) {
        final Set<Route> routes = new LinkedHashSet<>();
        for (String line : text.split("\n")) {
            final String[] cols = line.trim().split("\\s+");
            if (cols.length < 10 || cols[0].length() != 32 || cols[1].length() != 2) {
                continue;
            }
            final String device = cols[9];
            if (device.equals(excludedDevice)) {
                continue;
            }
            final BigInteger address;
            final int prefix;
            try {
                address = new BigInteger(cols[0], 16);
                prefix = Integer.parseInt(cols[1], 16);
            } catch (NumberFormatException e) {
                continue;
            }
            if (prefix == 0 || prefix > 128) {
                continue; // the default route, or malformed
            }
            final Ipv6Cidr destination = new Ipv6Cidr(masked(address, prefix), prefix);
            if (LINK_LOCAL.overlaps(destination) || MULTICAST.overlaps(destination)) {
                continue;
            }
            routes.add(new Route(destination, device));
        }
        return List.copyOf(routes);
    }

    /** The destinations only, as the default pools take them. */
    public static List<Ipv6Cidr> destinations(List<Route> routes) {
        return routes.stream().map(Route::destination).toList();
    }

    /** The first of {@code routes} that overlaps {@code subnet}, or null. */
    public static Route overlapping(List<Route> routes, Ipv6Cidr subnet) {
        for (Route route : routes) {
            if (route.destination().overlaps(subnet)) {
                return route;
            }
        }
        return null;
    }

    private static BigInteger masked(BigInteger address, int prefix) {
        return address.shiftRight(128 - prefix).shiftLeft(128 - prefix);
    }
}
