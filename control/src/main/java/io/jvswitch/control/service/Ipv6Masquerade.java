package io.jvswitch.control.service;

import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.nat.Ipv6NatPolicy;
import io.jvswitch.nat.PortMapping;
import io.jvswitch.packet.Ipv6Packet;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * IPv6 masquerade as the daemon sets it up: the translator's IPv6 policy built from the networks
 * and published ports, and the route that brings the replies of masqueraded connections back to
 * the switch.
 *
 * <p>As over IPv4, masqueraded connections leave with an address owned by no interface and routed
 * to the router over the host link ({@link #ADDRESS}), so the host forwards them and sends their
 * replies down the link. The route goes via the router's link-local address, so it can only be
 * added once the link carries IPv6, which the first dual-stack network turns on; until then (or if
 * it fails, which is logged) the policy has no masquerade address and nothing is masqueraded.
 */
final class Ipv6Masquerade {
    private static final System.Logger LOG = System.getLogger("jvs.nat");
    /** The source of masqueraded IPv6 connections, in a ULA prefix of its own (fd4a:5653 spells "JVS"). */
    static final String ADDRESS = "fd4a:5653::1";

    private static final BigInteger PARSED = Ipv6Cidr.parseAddress(ADDRESS, "masquerade address");

    private final CommandRunner runner;
    private final HostLink link;
    private boolean routed;

    Ipv6Masquerade(CommandRunner runner, HostLink link) {
        this.runner = runner;
        this.link = link;
    }

    /**
     * The policy for these networks and published ports: which networks masquerade, the host's IPv6
     * addresses (gateways included), the ports the dataplane translates.
     */
    Ipv6NatPolicy policy(Collection<NetworkRecord> networks, List<Ipv6NatPolicy.PublishedPort> published) {
        final List<Integer> masquerading = new ArrayList<>();
        final List<BigInteger> hostAddresses = new ArrayList<>(HostAddresses.ipv6(runner));
        for (NetworkRecord n : networks) {
            if (n.ipv6() == null) {
                continue;
            }
            hostAddresses.add(Ipv6Cidr.parseAddress(n.ipv6().gateway(), "gateway"));
            if (n.masquerades()) {
                masquerading.add(n.dataplaneId());
            }
        }
        if (!masquerading.isEmpty()) {
            route();
        }
        final long[] pairs = new long[hostAddresses.size() * 2];
        for (int i = 0; i < hostAddresses.size(); i++) {
            pairs[2 * i] = Ipv6Cidr.high(hostAddresses.get(i));
            pairs[2 * i + 1] = Ipv6Cidr.low(hostAddresses.get(i));
        }
        return routed
                ? new Ipv6NatPolicy(Ipv6Cidr.high(PARSED), Ipv6Cidr.low(PARSED), masquerading, pairs, published)
                : new Ipv6NatPolicy(0, 0, masquerading, pairs, published);
    }

    /**
     * What the dataplane translates of a mapping on an IPv6 host address: connections that reach the
     * switch's router (a container asking for a host address: hairpin) go to the container's IPv6
     * address. None for the loopback address (it never reaches the router) or an endpoint without
     * an IPv6 address.
     */
    static Optional<Ipv6NatPolicy.PublishedPort> publishedPort(PortMapping m, int network, String containerIpv6) {
        if (!m.ipv6Host() || containerIpv6 == null || m.hostPort() == 0 || "::1".equals(m.hostIp())) {
            return Optional.empty();
        }
        final BigInteger host = Ipv6Cidr.parseAddress(m.hostIp(), "host address");
        final BigInteger container = Ipv6Cidr.parseAddress(containerIpv6, "endpoint address");
        return Optional.of(new Ipv6NatPolicy.PublishedPort(
                "tcp".equals(m.protocol()) ? Ipv6Packet.NEXT_HEADER_TCP : Ipv6Packet.NEXT_HEADER_UDP,
                Ipv6Cidr.high(host),
                Ipv6Cidr.low(host),
                m.hostPort(),
                network,
                Ipv6Cidr.high(container),
                Ipv6Cidr.low(container),
                m.containerPort()));
    }

    /** Routes {@link #ADDRESS} to the router's link-local address on the host link, once. */
    private void route() {
        if (routed) {
            return;
        }
        final CommandRunner.Result result = runner.run(List.of(
                "ip", "-6", "route", "replace", ADDRESS + "/128", "via", link.routerLinkLocal(), "dev", link.name()));
        if (result.ok()) {
            routed = true;
        } else {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "cannot route the IPv6 masquerade address {0} to the switch: {1}",
                    ADDRESS,
                    result.stderr().strip());
        }
    }
}
