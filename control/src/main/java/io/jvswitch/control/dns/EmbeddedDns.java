package io.jvswitch.control.dns;

import io.jvswitch.control.cluster.EndpointAdvert;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.EndpointRecord;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.dns.DnsEndpointName;
import io.jvswitch.dns.DnsNetwork;
import io.jvswitch.dns.DnsService;
import io.jvswitch.dns.ResolvConf;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps the DNS responder's names and each {@code ip netns} container's resolv.conf in step with
 * the daemon's networks and endpoints. Called on the control thread after every change.
 */
public final class EmbeddedDns {
    private static final System.Logger LOG = System.getLogger("jvs.dns");

    private final DnsService dns;
    private final NetnsResolvConf resolvConf;
    /** Namespaces whose resolv.conf this daemon run has written, so a detach can remove it. */
    private final Set<String> written = new HashSet<>();

    public EmbeddedDns(DnsService dns, NetnsResolvConf resolvConf) {
        this.dns = dns;
        this.resolvConf = resolvConf;
    }

    /** Publishes the names of {@code endpoints} on {@code networks}, and points netns containers at their gateways. */
    public void update(List<NetworkRecord> networks, List<EndpointRecord> endpoints) {
        update(networks, endpoints, Map.of());
    }

    /**
     * As above, with the endpoints other hosts have on global networks (network name to adverts):
     * their names answer on that network like local ones.
     */
    public void update(
            List<NetworkRecord> networks,
            List<EndpointRecord> endpoints,
            Map<String, List<EndpointAdvert>> remoteEndpoints) {
        final Map<String, NetworkRecord> byName = new HashMap<>();
        final List<DnsNetwork> dnsNetworks = new ArrayList<>();
        for (NetworkRecord n : networks) {
            byName.put(n.name(), n);
            dnsNetworks.add(new DnsNetwork(
                    n.dataplaneId(),
                    n.name(),
                    n.gateway() == null ? 0 : Cidr.parseAddress(n.gateway()),
                    n.internal(),
                    n.dns().stream()
                            .map(s -> new InetSocketAddress(ResolvConf.literal(s), 53))
                            .toList(),
                    n.ipv6() == null ? null : ResolvConf.literal(n.ipv6().gateway())));
        }
        final List<DnsEndpointName> names = new ArrayList<>();
        final Map<String, List<String>> gatewaysByNetns = new LinkedHashMap<>();
        for (EndpointRecord e : endpoints) {
            final NetworkRecord network = byName.get(e.network());
            if (network == null) {
                continue;
            }
            names.add(new DnsEndpointName(
                    network.dataplaneId(),
                    network.name(),
                    containerKey(e.target()),
                    e.name(),
                    e.aliases(),
                    e.hasIpv4() ? Cidr.parseAddress(e.ipv4()) : 0,
                    e.ipv6() == null ? null : Ipv6Cidr.bytes(Ipv6Cidr.parseAddress(e.ipv6(), "ipv6"))));
            if (e.target().kind() == ContainerRef.Kind.NETNS) {
                final List<String> nameservers =
                        gatewaysByNetns.computeIfAbsent(e.target().value(), k -> new ArrayList<>());
                // Each family's gateway answers DNS; IPv4's first on a dual-stack network.
                if (network.gateway() != null) {
                    nameservers.add(network.gateway());
                }
                if (network.ipv6() != null) {
                    nameservers.add(network.ipv6().gateway());
                }
            }
        }
        remoteEndpoints.forEach((networkName, adverts) -> {
            final NetworkRecord network = byName.get(networkName);
            if (network == null) {
                return;
            }
            for (EndpointAdvert e : adverts) {
                names.add(new DnsEndpointName(
                        network.dataplaneId(),
                        network.name(),
                        "remote:" + e.host() + ":" + e.name(),
                        e.name(),
                        e.aliases(),
                        e.ip() == null ? 0 : Cidr.parseAddress(e.ip()),
                        e.ip6() == null ? null : Ipv6Cidr.bytes(Ipv6Cidr.parseAddress(e.ip6(), "ip6"))));
            }
        });
        dns.update(dnsNetworks, names);
        for (Map.Entry<String, List<String>> entry : gatewaysByNetns.entrySet()) {
            try {
                if (resolvConf.write(entry.getKey(), entry.getValue())) {
                    written.add(entry.getKey());
                } else {
                    LOG.log(
                            System.Logger.Level.INFO,
                            "netns {0} has its own resolv.conf: left as it is",
                            entry.getKey());
                }
            } catch (IOException | RuntimeException ex) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "cannot write the resolv.conf of netns {0}: {1}",
                        entry.getKey(),
                        ex.getMessage());
            }
        }
        for (String gone : Set.copyOf(written)) {
            if (!gatewaysByNetns.containsKey(gone)) {
                try {
                    resolvConf.remove(gone);
                } catch (IOException | RuntimeException ex) {
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "cannot remove the resolv.conf of netns {0}: {1}",
                            gone,
                            ex.getMessage());
                }
                written.remove(gone);
            }
        }
    }

    private static String containerKey(ContainerRef target) {
        return target.kind().name() + ":" + target.value();
    }
}
