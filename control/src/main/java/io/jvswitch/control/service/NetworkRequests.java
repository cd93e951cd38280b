package io.jvswitch.control.service;

import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.DefaultIpv6Pools;
import io.jvswitch.control.ipam.DefaultPools;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6HostRoutes;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.OverlayRecord;
import io.jvswitch.dns.ResolvConf;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.VxlanHeader;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Requests checked before anything is touched: {@code network create} into a {@link ValidNetwork}
 * (its pools built, its subnets checked against the other networks), and the parts of {@code
 * attach} that need no container. Pure: the networks and routes it checks against are passed in,
 * and a refusal is a {@link ControlException}.
 */
final class NetworkRequests {
    static final int DEFAULT_MTU = 1500;
    /** Underlay MTU (1500) minus the VXLAN overhead (outer IPv4, UDP, VXLAN and inner Ethernet: 50). */
    static final int DEFAULT_OVERLAY_MTU = DEFAULT_MTU - VxlanHeader.OVERHEAD;
    /** Most DNS aliases of one endpoint: keeps the name store's share of one endpoint small. */
    static final int MAX_ALIASES = 32;

    private NetworkRequests() {}

    /**
     * A network request that passed every check: what its record will hold, and its pools. {@code
     * global}: an overlay whose claims the cluster store makes; {@code pool6} null without IPv6;
     * {@code subnet} and {@code pool} null on an IPv6-only network.
     */
    record ValidNetwork(
            String name,
            String driver,
            boolean global,
            Cidr subnet,
            AddressPool pool,
            Ipv6Pool pool6,
            int mtu,
            List<String> dns,
            OverlayRecord overlay) {}

    /**
     * Checks {@code network create} against the {@code existing} networks and the host's routes
     * (which an automatically picked subnet avoids); {@code cluster} null without a cluster store.
     */
    static ValidNetwork network(
            CreateNetworkRequest request,
            Collection<NetworkRecord> existing,
            List<Cidr> hostRoutes,
            ClusterScope cluster) {
        return network(request, existing, hostRoutes, List.of(), cluster);
    }

    /**
     * The same, with the host's IPv6 routes ({@code hostRoutes6}, jvs's own left out): a default
     * IPv6 subnet avoids them, and an explicit one that overlaps one is refused.
     */
    static ValidNetwork network(
            CreateNetworkRequest request,
            Collection<NetworkRecord> existing,
            List<Cidr> hostRoutes,
            List<Ipv6HostRoutes.Route> hostRoutes6,
            ClusterScope cluster) {
        final String name = Names.requireValid("network", request.name());
        for (NetworkRecord other : existing) {
            if (other.name().equals(name)) {
                throw ControlException.conflict("network " + name + " already exists");
            }
        }
        final String driver = request.driver() == null ? "bridge" : request.driver();
        if (!driver.equals("bridge") && !driver.equals("overlay")) {
            throw ControlException.invalid("unknown driver '" + driver + "': this jvs supports 'bridge' and 'overlay'");
        }
        final boolean global =
                driver.equals("overlay") && cluster != null && request.local() == null && request.peers() == null;
        final OverlayRecord overlay = !driver.equals("overlay")
                ? null
                : global ? OverlayRequests.global(request, cluster) : OverlayRequests.local(request, existing);
        if (overlay == null
                && (request.vni() != null
                        || request.local() != null
                        || request.peers() != null
                        || request.vxlanPort() != null
                        || request.ttl() != null)) {
            throw ControlException.invalid(
                    "--vni, --local, --peer, --vxlan-port and --ttl apply to --driver overlay only");
        }
        // an IPv6 underlay's outer header is 20 bytes longer
        final int mtu = request.mtu() == null
                ? (overlay != null ? UnderlayAddress.defaultOverlayMtu(overlay.local(), DEFAULT_MTU) : DEFAULT_MTU)
                : request.mtu();
        if (mtu < 68 || mtu > 65_535) {
            throw ControlException.invalid("invalid MTU " + mtu + ": must be within 68..65535");
        }
        final boolean ipv4 = ipv4(request);
        final Cidr subnet = ipv4 ? subnet(request, existing, hostRoutes) : null;
        final AddressPool pool = ipv4 ? pool(request, subnet) : null;
        final Ipv6Pool pool6 = ipv6Pool(request, existing, hostRoutes6, global);
        final List<String> dns = request.dns() == null ? List.of() : request.dns();
        for (String server : dns) {
            if (ResolvConf.literal(server == null ? "" : server) == null) {
                throw ControlException.invalid("invalid --dns server '" + server + "': an IPv4 or IPv6 address");
            }
        }
        return new ValidNetwork(name, driver, global, subnet, pool, pool6, mtu, dns, overlay);
    }

    /** The name an endpoint gets: the requested one, or one derived from how its container is named. */
    static String endpointName(AttachRequest request) {
        final ContainerRef container = request.container();
        if (container == null || container.kind() == null || container.value() == null) {
            throw ControlException.invalid("say which container: --netns NAME, --pid PID or --docker NAME");
        }
        return Names.requireValid("endpoint", request.name() != null ? request.name() : defaultName(container));
    }

    /** The endpoint's DNS aliases, each a valid name, duplicates dropped, at most {@link #MAX_ALIASES}. */
    static List<String> aliases(AttachRequest request) {
        final List<String> aliases = request.aliases() == null
                ? List.of()
                : request.aliases().stream().distinct().toList();
        if (aliases.size() > MAX_ALIASES) {
            throw ControlException.invalid("too many aliases (" + aliases.size() + "): at most " + MAX_ALIASES);
        }
        aliases.forEach(alias -> Names.requireValid("alias", alias));
        return aliases;
    }

    /** {@code --ip}, or null when the pool chooses. */
    static Integer ip(String requested) {
        try {
            return requested == null ? null : Cidr.parseAddress(requested, "ip");
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        }
    }

    /** {@code --mac}: a unicast MAC address. */
    static long mac(String text) {
        final long mac;
        try {
            mac = MacAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid("invalid MAC address '" + text + "'");
        }
        if (MacAddress.isMulticast(mac) || mac == 0) {
            throw ControlException.invalid("MAC address " + text + " is not a unicast address");
        }
        return mac;
    }

    static String defaultName(ContainerRef container) {
        return switch (container.kind()) {
            case NETNS, DOCKER -> container.value();
            case PID -> "pid" + container.value();
            case DOCKER_SANDBOX ->
                "sandbox-" + Integer.toHexString(container.value().hashCode());
        };
    }

    /**
     * Whether the network gets IPv4 ({@code --ipv4}, default true). An IPv6-only one needs
     * {@code --ipv6} and takes no IPv4 IPAM options; it may be a bridge or an overlay (static peers or
     * global), whose remote endpoints are then known by their IPv6 addresses alone.
     */
    private static boolean ipv4(CreateNetworkRequest request) {
        if (!Boolean.FALSE.equals(request.ipv4())) {
            return true;
        }
        if (!Boolean.TRUE.equals(request.ipv6())) {
            throw ControlException.invalid("--ipv4=false needs --ipv6: a network has at least one address family");
        }
        final List<String> given = new ArrayList<>();
        if (request.subnet() != null) {
            given.add("--subnet " + request.subnet());
        }
        if (request.gateway() != null) {
            given.add("--gateway " + request.gateway());
        }
        if (request.ipRange() != null) {
            given.add("--ip-range " + request.ipRange());
        }
        if (request.auxAddresses() != null && !request.auxAddresses().isEmpty()) {
            request.auxAddresses().forEach((n, a) -> given.add("--aux-address " + n + "=" + a));
        }
        if (!given.isEmpty()) {
            throw ControlException.invalid("an IPv6-only network (--ipv4=false) takes no IPv4 options: "
                    + String.join(", ", given) + " given; leave them out or drop --ipv4=false");
        }
        return false;
    }

    private static Cidr subnet(CreateNetworkRequest request, Collection<NetworkRecord> existing, List<Cidr> routes) {
        final Cidr subnet;
        try {
            if (request.subnet() != null) {
                subnet = Cidr.parse(request.subnet());
            } else {
                final List<Cidr> inUse = new ArrayList<>(routes);
                existing.stream().filter(NetworkRecord::hasIpv4).forEach(n -> inUse.add(Cidr.parse(n.subnet())));
                subnet = DefaultPools.pick(inUse);
            }
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        } catch (IllegalStateException e) {
            throw ControlException.conflict(e.getMessage());
        }
        for (NetworkRecord other : existing) {
            if (other.hasIpv4() && Cidr.parse(other.subnet()).overlaps(subnet)) {
                throw ControlException.conflict(
                        "subnet " + subnet + " overlaps network " + other.name() + " (" + other.subnet() + ")");
            }
        }
        return subnet;
    }

    private static AddressPool pool(CreateNetworkRequest request, Cidr subnet) {
        try {
            final AddressPool.Builder builder = AddressPool.builder(subnet);
            if (request.gateway() != null) {
                builder.gateway(Cidr.parseAddress(request.gateway(), "gateway"));
            }
            if (request.ipRange() != null) {
                builder.ipRange(Cidr.parse(request.ipRange(), "ip-range"));
            }
            if (request.auxAddresses() != null) {
                request.auxAddresses()
                        .forEach((auxName, address) ->
                                builder.auxAddress(auxName, Cidr.parseAddress(address, "aux-address " + auxName)));
            }
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        }
    }

    /**
     * The IPv6 side of a new network, or null without {@code --ipv6}: its subnet (given, or the
     * first free default /64), gateway, ip-range and aux addresses, checked against every other
     * network's IPv6 subnet and the host's IPv6 routes.
     */
    private static Ipv6Pool ipv6Pool(
            CreateNetworkRequest request,
            Collection<NetworkRecord> existing,
            List<Ipv6HostRoutes.Route> hostRoutes,
            boolean global) {
        final boolean v6Options = request.subnet6() != null
                || request.gateway6() != null
                || request.ipRange6() != null
                || (request.auxAddresses6() != null && !request.auxAddresses6().isEmpty());
        if (!Boolean.TRUE.equals(request.ipv6())) {
            if (v6Options) {
                throw ControlException.invalid("an IPv6 --subnet, --gateway, --ip-range or --aux-address needs --ipv6");
            }
            return null;
        }
        if (global
                && (request.ipRange6() != null
                        || (request.auxAddresses6() != null
                                && !request.auxAddresses6().isEmpty()))) {
            throw ControlException.invalid("--ip-range and --aux-address do not apply to a global network:"
                    + " each host takes addresses from its own blocks of the subnet");
        }
        if (request.subnet6() == null && (request.gateway6() != null || request.ipRange6() != null)) {
            throw ControlException.invalid("an IPv6 --gateway or --ip-range needs an IPv6 --subnet");
        }
        try {
            final List<Ipv6Cidr> inUse = new ArrayList<>(Ipv6HostRoutes.destinations(hostRoutes));
            existing.stream()
                    .filter(n -> n.ipv6() != null)
                    .forEach(n -> inUse.add(Ipv6Cidr.parse(n.ipv6().subnet(), "subnet")));
            final Ipv6Cidr subnet = request.subnet6() == null
                    ? DefaultIpv6Pools.pick(inUse)
                    : Ipv6Cidr.parse(request.subnet6(), "subnet");
            for (NetworkRecord other : existing) {
                if (other.ipv6() != null
                        && Ipv6Cidr.parse(other.ipv6().subnet(), "subnet").overlaps(subnet)) {
                    throw ControlException.conflict("subnet " + subnet + " overlaps network " + other.name() + " ("
                            + other.ipv6().subnet() + ")");
                }
            }
            final Ipv6HostRoutes.Route route = Ipv6HostRoutes.overlapping(hostRoutes, subnet);
            if (route != null) {
                // Its route via the switch would take the host's traffic to that route's destinations.
                throw ControlException.conflict("subnet " + subnet + " overlaps the host's route " + route
                        + ": give another IPv6 --subnet, or none for a free default one");
            }
            final Map<String, BigInteger> aux = new LinkedHashMap<>();
            if (request.auxAddresses6() != null) {
                request.auxAddresses6().forEach((n, a) -> aux.put(n, Ipv6Cidr.parseAddress(a, "aux-address " + n)));
            }
            return new Ipv6Pool(
                    subnet,
                    request.gateway6() == null ? null : Ipv6Cidr.parseAddress(request.gateway6(), "gateway"),
                    request.ipRange6() == null ? null : Ipv6Cidr.parse(request.ipRange6(), "ip-range"),
                    aux);
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        } catch (IllegalStateException e) {
            throw ControlException.conflict(e.getMessage());
        }
    }
}
