package io.jvswitch.control.cluster;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.OverlayRecord;
import io.jvswitch.control.service.ApiException;
import io.jvswitch.packet.VxlanHeader;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Creating and removing global networks in the store: the name and a VNI claimed together in one
 * transaction (two hosts creating one name at once: one wins, the other is told who did), and a
 * removal refused while any host has endpoints on the network. Control thread only.
 */
final class GlobalNetworkClaims {
    /** Docker's overlay driver allocates VNIs from 4096 up; so does jvs. */
    private static final int FIRST_VNI = 4096;

    private final StoreWriter writer;
    private final ClusterView view;
    private final ClusterKeys keys;
    private final ClusterAgent.Options options;
    private final ClusterMembership membership;
    /** Takes a removed network's remote endpoints out of the dataplane. */
    private final Consumer<String> forgetNetwork;

    GlobalNetworkClaims(ClusterContext context, Consumer<String> forgetNetwork) {
        this.writer = context.writer();
        this.view = context.view();
        this.keys = context.keys();
        this.options = context.options();
        this.membership = context.membership();
        this.forgetNetwork = forgetNetwork;
    }

    NetworkRecord create(NetworkRecord proposed, Integer requestedVni) {
        final String what = "create global network " + proposed.name();
        membership.requireReachable(what);
        try {
            return createInStore(proposed, requestedVni);
        } catch (StoreUnavailableException e) {
            throw membership.unavailable(e, what);
        }
    }

    private NetworkRecord createInStore(NetworkRecord proposed, Integer requestedVni) {
        final ClusterNetwork existing = view.networks.get(proposed.name());
        if (existing != null) {
            throw ApiException.conflict("network " + proposed.name() + " already exists in the cluster (created by "
                    + existing.createdBy() + ")");
        }
        final Cidr subnet = proposed.hasIpv4() ? Cidr.parse(proposed.subnet()) : null;
        final Ipv6Cidr subnet6 =
                proposed.ipv6() == null ? null : Ipv6Cidr.parse(proposed.ipv6().subnet(), "subnet");
        for (ClusterNetwork other : view.networks.values()) {
            if (subnet != null
                    && other.subnet() != null
                    && Cidr.parse(other.subnet()).overlaps(subnet)) {
                throw ApiException.conflict(
                        "subnet " + subnet + " overlaps global network " + other.name() + " (" + other.subnet() + ")");
            }
            if (subnet6 != null
                    && other.subnet6() != null
                    && Ipv6Cidr.parse(other.subnet6(), "subnet").overlaps(subnet6)) {
                throw ApiException.conflict("IPv6 subnet " + subnet6 + " overlaps global network " + other.name() + " ("
                        + other.subnet6() + "): give another IPv6 --subnet");
            }
        }
        int vni = requestedVni != null ? requestedVni : FIRST_VNI;
        for (int attempt = 0; attempt < 64; attempt++) {
            while (requestedVni == null && view.vnis.containsKey(vni)) {
                vni++;
            }
            if (vni > VxlanHeader.MAX_VNI) {
                throw ApiException.conflict("no free VNI left");
            }
            final ClusterNetwork record = new ClusterNetwork(
                    proposed.id(),
                    proposed.name(),
                    vni,
                    proposed.subnet(),
                    proposed.gateway(),
                    proposed.mtu(),
                    proposed.internal(),
                    proposed.dns(),
                    proposed.masquerade(),
                    proposed.overlay().udpPort(),
                    proposed.overlay().ttl(),
                    proposed.created(),
                    options.hostName(),
                    subnet6 == null ? null : subnet6.toString(),
                    proposed.ipv6() == null ? null : proposed.ipv6().gateway());
            final String networkKey = keys.network(proposed.name());
            final String vniKey = keys.vni(vni);
            final List<KeyValueStore.Compare> compares = new ArrayList<>(
                    List.of(KeyValueStore.Compare.absent(networkKey), KeyValueStore.Compare.absent(vniKey)));
            final List<KeyValueStore.Op> puts = new ArrayList<>(List.of(
                    new KeyValueStore.Op.Put(networkKey, StoreWriter.json(record), 0),
                    new KeyValueStore.Op.Put(vniKey, StoreWriter.json(proposed.name()), 0)));
            final List<KeyValueStore.Op> reads =
                    new ArrayList<>(List.of(new KeyValueStore.Op.Get(networkKey), new KeyValueStore.Op.Get(vniKey)));
            if (subnet6 != null) {
                // the IPv6 subnet's claim: two hosts that picked one default subnet at once cannot both win
                final String subnet6Key = keys.subnet6(subnet6.toString());
                final String holder = view.subnets6.get(subnet6.toString());
                if (holder != null && !view.networks.containsKey(holder)) {
                    // a claim no network backs (its network removed by a jvs from before the claims, or
                    // by hand): taken over, as long as neither it nor its network changes meanwhile
                    compares.add(KeyValueStore.Compare.unchanged(subnet6Key, view.revisionOf(subnet6Key)));
                    if (!holder.equals(proposed.name())) {
                        compares.add(KeyValueStore.Compare.absent(keys.network(holder)));
                    }
                } else {
                    compares.add(KeyValueStore.Compare.absent(subnet6Key));
                }
                puts.add(new KeyValueStore.Op.Put(subnet6Key, StoreWriter.json(proposed.name()), 0));
                reads.add(new KeyValueStore.Op.Get(subnet6Key));
            }
            final KeyValueStore.TxnResult result = writer.txn(compares, puts, reads);
            if (result.succeeded()) {
                return proposed.withOverlay(new OverlayRecord(
                        vni,
                        proposed.overlay().local(),
                        proposed.overlay().udpPort(),
                        proposed.overlay().ttl(),
                        List.of(),
                        true));
            }
            final ClusterNetwork winner = StoreWriter.read(result.ranges().get(0), ClusterNetwork.class);
            if (winner != null) {
                throw ApiException.conflict("network " + proposed.name() + " already exists in the cluster (created by "
                        + winner.createdBy() + " just now)");
            }
            if (subnet6 != null) {
                final String holder = StoreWriter.read(result.ranges().get(2), String.class);
                if (holder != null) {
                    throw ApiException.conflict("IPv6 subnet " + subnet6 + " was claimed by global network " + holder
                            + " just now: create again (a default subnet is picked anew) or give another"
                            + " IPv6 --subnet");
                }
            }
            final String owner = StoreWriter.read(result.ranges().get(1), String.class);
            if (requestedVni != null) {
                throw ApiException.conflict("VNI " + vni + " is already used by global network " + owner);
            }
        }
        throw ApiException.conflict("could not claim a VNI: too many concurrent network creations");
    }

    void remove(NetworkRecord network, List<String> localEndpoints) {
        final String what = "remove global network " + network.name();
        membership.requireReachable(what);
        try {
            removeFromStore(network, localEndpoints);
        } catch (StoreUnavailableException e) {
            throw membership.unavailable(e, what);
        }
    }

    private void removeFromStore(NetworkRecord network, List<String> localEndpoints) {
        final Map<String, Set<String>> byHost = new TreeMap<>();
        if (!localEndpoints.isEmpty()) {
            byHost.put(options.hostName(), new TreeSet<>(localEndpoints));
        }
        for (EndpointAdvert e : view.endpointsOf(network.name()).values()) {
            byHost.computeIfAbsent(e.host(), k -> new TreeSet<>()).add(e.name());
        }
        if (!byHost.isEmpty()) {
            throw ApiException.conflict("network " + network.name() + " has endpoints on "
                    + byHost.entrySet().stream()
                            .map(e -> "host " + e.getKey() + " (" + String.join(", ", e.getValue()) + ")")
                            .collect(Collectors.joining(", "))
                    + ": detach them first");
        }
        final ClusterNetwork stored = view.networks.get(network.name());
        final List<KeyValueStore.Op> ops = new ArrayList<>(List.of(
                new KeyValueStore.Op.Delete(keys.network(network.name()), false),
                new KeyValueStore.Op.Delete(keys.blocks(network.name()), true),
                new KeyValueStore.Op.Delete(keys.addresses(network.name()), true),
                new KeyValueStore.Op.Delete(keys.blocks6(network.name()), true),
                new KeyValueStore.Op.Delete(keys.addresses6(network.name()), true),
                new KeyValueStore.Op.Delete(keys.endpoints(network.name()), true)));
        if (stored != null) {
            ops.add(new KeyValueStore.Op.Delete(keys.vni(stored.vni()), false));
        }
        final String subnet6Key = stored == null || stored.subnet6() == null ? null : keys.subnet6(stored.subnet6());
        if (subnet6Key != null && network.name().equals(view.subnets6.get(stored.subnet6()))) {
            ops.add(new KeyValueStore.Op.Delete(subnet6Key, false));
        }
        final long revision = writer.txn(List.of(), ops, List.of()).revision();
        final List<String> gone = new ArrayList<>(List.of(keys.network(network.name())));
        if (stored != null) {
            gone.add(keys.vni(stored.vni()));
        }
        if (subnet6Key != null && network.name().equals(view.subnets6.get(stored.subnet6()))) {
            gone.add(subnet6Key);
        }
        view.blocksOf(network.name()).keySet().forEach(cidr -> gone.add(keys.block(network.name(), cidr)));
        view.addressesOf(network.name()).keySet().forEach(ip -> gone.add(keys.address(network.name(), ip)));
        view.blocks6Of(network.name()).keySet().forEach(cidr -> gone.add(keys.block6(network.name(), cidr)));
        view.addresses6Of(network.name()).keySet().forEach(ip -> gone.add(keys.address6(network.name(), ip)));
        view.endpointsOf(network.name()).keySet().forEach(n -> gone.add(keys.endpoint(network.name(), n)));
        gone.forEach(key -> view.remove(key, revision));
        forgetNetwork.accept(network.name());
    }
}
