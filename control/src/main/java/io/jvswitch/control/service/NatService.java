package io.jvswitch.control.service;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.nat.Connection;
import io.jvswitch.nat.Ipv6NatPolicy;
import io.jvswitch.nat.NatEngine;
import io.jvswitch.nat.NatPolicy;
import io.jvswitch.nat.PortListeners;
import io.jvswitch.nat.PortMapping;
import io.jvswitch.nat.PublishedPorts;
import io.jvswitch.packet.Ipv4Packet;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * NAT and published ports as the daemon runs them: keeps the translator's policy in step with the
 * networks and endpoints, and opens and closes the host-side listeners of published ports.
 *
 * <p>A published port works on two paths. Connections that reach the switch's router (a container
 * asking for a host address) are translated in the dataplane by {@link NatEngine}, which keeps the
 * client's address. Connections that end on the host's own stack (from the host itself, or from
 * outside to a host address) are taken by a listener on the shared event loop of
 * {@link PortListeners} and relayed from the host, so the container sees its gateway address.
 *
 * <p>Masqueraded connections leave with the masquerade address as source: an address routed to
 * the router over the host link but owned by no interface, so the host forwards those packets and
 * sends their replies back down the link (a host address would make the host drop them as
 * martians, and keep the replies). The same for IPv6 on dual-stack networks (Docker masquerades
 * IPv6 since 27.0; {@link Ipv6Masquerade}); {@code --masquerade=false} turns off both families.
 * Called on the control thread.
 */
public final class NatService implements NetworkEvents, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.nat");
    public static final String DEFAULT_MASQUERADE_ADDRESS = "169.254.43.1";

    private final NatEngine engine;
    private final PortListeners listeners = new PortListeners();
    private final int masqueradeAddress;
    private final CommandRunner runner;
    private final LongSupplier dataplaneClock;
    private final Map<String, NetworkRecord> networks = new LinkedHashMap<>();
    /** Published ports by endpoint id, with the host ports they got. */
    private final Map<String, List<PortMapping>> published = new LinkedHashMap<>();

    private final Map<String, EndpointRecord> endpoints = new LinkedHashMap<>();
    /** The host's port rules that bring clients from beyond the host into the dataplane; null: relay only. */
    private final HostPortRules hostRules;
    /** The same for IPv6 host addresses; set by {@link #start} when there are IPv4's. */
    private HostPortRules hostRules6;

    private boolean started;
    /** The IPv6 half of the policy, and the route of its masquerade address; set by {@link #start}. */
    private Ipv6Masquerade ipv6;
    /** Runs a read of the tracker's table on the dataplane thread, which owns it. */
    private final Function<Supplier<List<Connection>>, List<Connection>> onDataplaneThread;

    public NatService(
            NatEngine engine,
            int masqueradeAddress,
            CommandRunner runner,
            LongSupplier dataplaneClock,
            Function<Supplier<List<Connection>>, List<Connection>> onDataplaneThread,
            HostPortRules hostRules) {
        this.onDataplaneThread = onDataplaneThread;
        this.hostRules = hostRules;
        this.engine = engine;
        this.masqueradeAddress = masqueradeAddress;
        this.runner = runner;
        this.dataplaneClock = dataplaneClock;
    }

    public NatEngine engine() {
        return engine;
    }

    /** Routes the masquerade address to the router over the host link, so replies reach the translator. */
    public void start(HostLink link) {
        started = true;
        ipv6 = new Ipv6Masquerade(runner, link);
        runner.check(
                "cannot route the masquerade address " + Cidr.format(masqueradeAddress) + " to the switch",
                List.of(
                        "ip",
                        "route",
                        "replace",
                        Cidr.format(masqueradeAddress) + "/32",
                        "via",
                        Cidr.format(link.routerIp()),
                        "dev",
                        link.name()));
        if (hostRules != null) {
            hostRules.start();
            hostRules6 = hostRules.ipv6Twin(link.routerLinkLocal());
            hostRules6.start();
        }
        rebuild();
    }

    @Override
    public void networkAdded(NetworkRecord network) {
        networks.put(network.name(), network);
        rebuild();
    }

    @Override
    public void networkRemoved(NetworkRecord network) {
        networks.remove(network.name());
        rebuild();
    }

    @Override
    public void endpointAdded(NetworkRecord network, EndpointRecord endpoint) {
        endpoints.put(endpoint.id(), endpoint);
        if (!published.containsKey(endpoint.id()) && !endpoint.ports().isEmpty()) {
            // A restarted daemon: take the same host ports again; one taken meanwhile is reported and skipped.
            final List<PortMapping> open = new ArrayList<>();
            for (PortMapping mapping : endpoint.ports()) {
                try {
                    open.add(listeners.open(mapping, relayTarget(endpoint)));
                } catch (IllegalStateException e) {
                    LOG.log(System.Logger.Level.WARNING, "endpoint {0}: {1}", endpoint.name(), e.getMessage());
                }
            }
            published.put(endpoint.id(), open);
        }
        rebuild();
    }

    @Override
    public void endpointRemoved(EndpointRecord endpoint) {
        endpoints.remove(endpoint.id());
        final List<PortMapping> open = published.remove(endpoint.id());
        if (open != null) {
            open.forEach(listeners::close);
        }
        rebuild();
        // Its connections go with it: left in the table they would hold their place for days (an
        // established TCP) and match whoever is given the address next.
        final NetworkRecord network = networks.get(endpoint.network());
        if (network != null) {
            final int[] removed = new int[1];
            if (endpoint.hasIpv4()) {
                final int address = Cidr.parseAddress(endpoint.ipv4());
                onDataplaneThread.apply(() -> {
                    removed[0] = engine.removeEndpoint(network.dataplaneId(), address);
                    return List.of();
                });
            }
            if (endpoint.ipv6() != null) {
                final BigInteger address6 = Ipv6Cidr.parseAddress(endpoint.ipv6(), "endpoint address");
                onDataplaneThread.apply(() -> {
                    removed[0] += engine.removeEndpoint(
                            network.dataplaneId(), Ipv6Cidr.high(address6), Ipv6Cidr.low(address6));
                    return List.of();
                });
            }
            if (removed[0] > 0) {
                LOG.log(
                        System.Logger.Level.INFO,
                        "removed {0} tracked connections of {1} on {2}",
                        removed[0],
                        endpoint.name(),
                        endpoint.network());
            }
        }
    }

    /**
     * Opens the listeners of an endpoint about to be attached; all or nothing. On a dual-stack
     * network ({@code containerIpv6} given) a {@code -p} without a host IP publishes on both
     * families, as Docker does: {@code 0.0.0.0} and {@code [::]}, on the same host port; on an
     * IPv6-only one ({@code containerIp} null) on {@code [::]} only ({@link PortSpecs}). The
     * listeners relay to the container's IPv4 address, or its IPv6 one when it has none.
     *
     * @param containerIp the endpoint's IPv4 address, or null on an IPv6-only network
     * @param containerIpv6 the endpoint's IPv6 address, or null
     * @param specs {@code -p} arguments
     * @return the mappings with their host ports, to keep in the endpoint's record
     * @throws ControlException invalid for a malformed {@code -p}, a conflict for a port in use or overlapping
     */
    public List<PortMapping> publish(String endpointId, String containerIp, String containerIpv6, List<String> specs) {
        if (specs == null || specs.isEmpty()) {
            return List.of();
        }
        final List<PortMapping> wanted = PortSpecs.parse(specs, containerIp != null, containerIpv6 != null);
        for (PortMapping mapping : wanted) {
            for (Map.Entry<String, List<PortMapping>> other : published.entrySet()) {
                for (PortMapping taken : other.getValue()) {
                    if (mapping.overlaps(taken)) {
                        final EndpointRecord owner = endpoints.get(other.getKey());
                        throw ControlException.conflict("host port " + taken.hostPort() + "/" + taken.protocol()
                                + " is already published by " + (owner == null ? "another endpoint" : owner.name()));
                    }
                }
            }
        }
        final List<PortMapping> open = new ArrayList<>();
        try {
            for (int i = 0; i < wanted.size(); i++) {
                final PortMapping mapping = wanted.get(i);
                // The IPv6 half of a dual-stack -p takes the host port its IPv4 half got (picked, perhaps).
                final boolean twin = i > 0 && mapping.isIpv6TwinOf(wanted.get(i - 1));
                open.add(listeners.open(
                        twin ? mapping.withHostPort(open.get(i - 1).hostPort()) : mapping,
                        containerIp != null ? containerIp : containerIpv6));
            }
        } catch (IllegalStateException e) {
            open.forEach(listeners::close);
            throw ControlException.conflict(e.getMessage());
        }
        published.put(endpointId, open);
        if (started && hostRules != null) {
            try {
                hostRules.sync(allMappings(), HostAddresses.forPortRules(runner, networks.values(), false));
                hostRules6.sync(
                        ipv6Mappings(endpointId, containerIpv6),
                        HostAddresses.forPortRules(runner, networks.values(), true));
            } catch (IllegalStateException e) {
                published.remove(endpointId);
                open.forEach(listeners::close);
                syncHostRules();
                throw ControlException.conflict("cannot route the published ports to the switch: " + e.getMessage());
            }
        }
        return open;
    }

    private List<PortMapping> allMappings() {
        final List<PortMapping> all = new ArrayList<>();
        published.values().forEach(all::addAll);
        return all;
    }

    /**
     * The mappings the dataplane translates over IPv6: those of endpoints with an IPv6 address (the
     * others' are relayed to the container's IPv4 address). {@code pendingId}: an endpoint being
     * attached, not yet known here, with {@code pendingIpv6}.
     */
    private List<PortMapping> ipv6Mappings(String pendingId, String pendingIpv6) {
        final List<PortMapping> all = new ArrayList<>();
        published.forEach((id, mappings) -> {
            final EndpointRecord endpoint = endpoints.get(id);
            final String ipv6 = endpoint != null ? endpoint.ipv6() : id.equals(pendingId) ? pendingIpv6 : null;
            if (ipv6 != null) {
                all.addAll(mappings);
            }
        });
        return all;
    }

    /** Brings the host's port rules in line with what is published; a failure is logged (restore, detach). */
    private void syncHostRules() {
        if (hostRules == null || !started) {
            return;
        }
        try {
            hostRules.sync(allMappings(), HostAddresses.forPortRules(runner, networks.values(), false));
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.WARNING, "host port rules: {0}", e.getMessage());
        }
        try {
            hostRules6.sync(ipv6Mappings(null, null), HostAddresses.forPortRules(runner, networks.values(), true));
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.WARNING, "IPv6 host port rules: {0}", e.getMessage());
        }
    }

    /** What jvs added to the host's routing for published ports, one line each (IPv4's, then IPv6's). */
    public List<String> hostRules() {
        if (hostRules == null) {
            return List.of();
        }
        final List<String> out = new ArrayList<>(hostRules.describe());
        if (hostRules6 != null) {
            out.addAll(hostRules6.describe());
        }
        return out;
    }

    /** Forgets what {@link #publish} opened for an attach that failed afterwards. */
    public void unpublish(String endpointId) {
        final List<PortMapping> open = published.remove(endpointId);
        if (open != null) {
            open.forEach(listeners::close);
        }
    }

    /** Every published port: endpoint, network, container address and the mapping. */
    public List<Map<String, Object>> ports() {
        final List<Map<String, Object>> out = new ArrayList<>();
        published.forEach((id, mappings) -> {
            final EndpointRecord endpoint = endpoints.get(id);
            for (PortMapping m : mappings) {
                final Map<String, Object> row = new LinkedHashMap<>();
                row.put("endpoint", endpoint == null ? id : endpoint.name());
                row.put("network", endpoint == null ? "" : endpoint.network());
                row.put("protocol", m.protocol());
                row.put("hostIp", m.hostIp());
                row.put("hostPort", m.hostPort());
                row.put("containerIp", endpoint == null ? "" : relayTarget(endpoint));
                row.put("containerPort", m.containerPort());
                row.put("path", pathOf(m, endpoint));
                out.add(row);
            }
        });
        return out;
    }

    /**
     * How clients reach a mapping: from beyond the host through the switch (the container sees them),
     * from this host through the listener's relay (the container sees its gateway).
     */
    private String pathOf(PortMapping m, EndpointRecord endpoint) {
        final boolean routed = m.ipv6Host()
                ? endpoint != null && endpoint.ipv6() != null && HostPortRules.ipv6SelectorOf(m) != null
                : HostPortRules.selectorOf(m) != null;
        return hostRules != null && routed ? "outside:dataplane host:relay" : "host:relay";
    }

    /** Where the listeners relay to: the container's IPv4 address, its IPv6 one on an IPv6-only network. */
    private static String relayTarget(EndpointRecord endpoint) {
        return endpoint.hasIpv4() ? endpoint.ipv4() : endpoint.ipv6();
    }

    /** The tracked connections, read on the dataplane thread: a consistent snapshot. */
    public Map<String, Object> conntrack(String networkName, int limit) {
        int network = NatEngine.ALL_NETWORKS;
        if (networkName != null) {
            final NetworkRecord record = networks.get(networkName);
            if (record == null) {
                throw ControlException.notFound("no network named " + networkName);
            }
            network = record.dataplaneId();
        }
        final int which = network;
        final List<Connection> connections =
                onDataplaneThread.apply(() -> engine.connections(which, dataplaneClock.getAsLong(), limit));
        return ConntrackReport.of(connections, networks.values(), engine.counters(), listeners.relayFailures());
    }

    /**
     * Swaps in a new policy. Before {@link #start} nothing is built: the daemon restores its
     * endpoints first, so containers get their interfaces back before anything else costs time.
     */
    private void rebuild() {
        if (!started) {
            return;
        }
        final List<NatPolicy.NetworkNat> nets = new ArrayList<>();
        final List<Integer> hostAddresses = new ArrayList<>();
        for (NetworkRecord n : networks.values()) {
            if (!n.hasIpv4()) {
                continue; // IPv6-only: nothing for the IPv4 NAT
            }
            final int gateway = Cidr.parseAddress(n.gateway());
            nets.add(new NatPolicy.NetworkNat(n.dataplaneId(), n.masquerades(), gateway));
            hostAddresses.add(gateway);
        }
        hostAddresses.addAll(hostAddresses());
        final List<PublishedPorts.Rule> rules = new ArrayList<>();
        final List<Ipv6NatPolicy.PublishedPort> rules6 = new ArrayList<>();
        published.forEach((id, mappings) -> {
            final EndpointRecord endpoint = endpoints.get(id);
            final NetworkRecord network = endpoint == null ? null : networks.get(endpoint.network());
            if (network == null) {
                return;
            }
            for (PortMapping m : mappings) {
                if (m.ipv6Host()) {
                    Ipv6Masquerade.publishedPort(m, network.dataplaneId(), endpoint.ipv6())
                            .ifPresent(rules6::add);
                    continue;
                }
                rules.add(new PublishedPorts.Rule(
                        "tcp".equals(m.protocol()) ? Ipv4Packet.PROTOCOL_TCP : Ipv4Packet.PROTOCOL_UDP,
                        Cidr.parseAddress(m.hostIp()),
                        m.hostPort(),
                        network.dataplaneId(),
                        Cidr.parseAddress(endpoint.ipv4()),
                        m.containerPort()));
            }
        });
        engine.policy(new NatPolicy(
                masqueradeAddress,
                nets,
                hostAddresses.stream().mapToInt(Integer::intValue).toArray(),
                new PublishedPorts(rules)));
        syncHostRules();
        engine.ipv6Policy(ipv6.policy(networks.values(), rules6));
    }

    /** The IPv4 addresses of the daemon's namespace, which a container may use to reach a published port. */
    private List<Integer> hostAddresses() {
        return HostAddresses.ipv4(runner);
    }

    @Override
    public void close() {
        if (hostRules6 != null) {
            hostRules6.close();
        }
        if (hostRules != null) {
            hostRules.close();
        }
        listeners.close();
    }
}
