package io.jvswitch.control.cluster;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * This host's copy of everything under the cluster prefix, parsed: filled by one range read and
 * kept current by the watch's deltas. A record that does not parse (or a key outside the layout)
 * is ignored and counted, never fatal: another version of jvs, or a person with etcdctl, may have
 * written it. Confined to the control thread.
 *
 * <p>Bounded: at most {@link #MAX_KEYS} keys (a new key beyond is ignored and counted in {@code
 * overflowTotal}; the ones it has keep changing), at most {@link #MAX_IGNORED_SHOWN} ignored keys
 * named (all counted), and the revisions of deleted keys kept only until the watch has passed them.
 * It also notes what changed since the dataplane last looked ({@link #takeChanges}), so that one
 * endpoint's change costs one endpoint's work.
 */
final class ClusterView {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    /** Lenient on unknown fields, so a newer jvs may add some. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** 20,000 endpoints take about 40,400 keys (endpoint, address, blocks); this leaves room for 6 times that. */
    static final int MAX_KEYS = 262_144;

    static final int MAX_IGNORED_SHOWN = 64;

    /** The kinds of key with a network in them: kind/network/name. */
    private static final Set<String> NESTED = Set.of("blocks", "addresses", "blocks6", "addresses6", "endpoints");

    private final ClusterKeys keys;
    final Map<String, HostAdvert> hosts = new TreeMap<>();
    final Map<String, ClusterNetwork> networks = new TreeMap<>();
    final Map<Integer, String> vnis = new TreeMap<>();
    /** IPv6 subnet (fd00:32::/64) -> the global network that claimed it. */
    final Map<String, String> subnets6 = new TreeMap<>();
    /** network -> cidr (10.10.0.64/26) -> owner. */
    final Map<String, Map<String, OwnerClaim>> blocks = new TreeMap<>();
    /** network -> ip -> owner. */
    final Map<String, Map<String, OwnerClaim>> addresses = new TreeMap<>();
    /** network -> IPv6 cidr (fd00:30::1:0/112) -> owner. */
    final Map<String, Map<String, OwnerClaim>> blocks6 = new TreeMap<>();
    /** network -> IPv6 address (canonical text) -> owner. */
    final Map<String, Map<String, OwnerClaim>> addresses6 = new TreeMap<>();
    /** network -> endpoint name -> advert. */
    final Map<String, Map<String, EndpointAdvert>> endpoints = new TreeMap<>();
    /** Keys that did not parse. */
    final Set<String> ignoredKeys = new TreeSet<>();

    long ignoredTotal;
    /** New keys not taken because the view holds {@link #MAX_KEYS}. */
    long overflowTotal;

    /**
     * The revision each key of the view last changed at: a watch event older than what the view
     * already has (this host's own write, applied when the store confirmed it, arriving again
     * through the watch after a later change) is dropped.
     */
    private final Map<String, Long> revisions = new HashMap<>();

    /** The same for deleted keys, until the watch has passed their revision ({@link #watchedTo}). */
    private final Map<String, Long> tombstones = new HashMap<>();

    private final ArrayDeque<String> tombstoneOrder = new ArrayDeque<>();

    /** What changed since {@link #takeChanges}: hosts or networks (everything is looked at again), endpoints by network. */
    private boolean structureChanged = true;

    private final Map<String, Set<String>> changedEndpoints = new HashMap<>();

    /** Everything up to this revision came with the last full read. */
    private long floor;

    ClusterView(ClusterKeys keys) {
        this.keys = keys;
    }

    /** Empties the view before a full read; {@link #readAt} closes it. */
    void reset() {
        revisions.clear();
        tombstones.clear();
        tombstoneOrder.clear();
        structureChanged = true;
        changedEndpoints.clear();
        floor = 0;
        hosts.clear();
        networks.clear();
        vnis.clear();
        subnets6.clear();
        blocks.clear();
        addresses.clear();
        blocks6.clear();
        addresses6.clear();
        endpoints.clear();
        ignoredKeys.clear();
    }

    /** The full read was at {@code revision}: older changes are in it already. */
    void readAt(long revision) {
        floor = revision;
    }

    /**
     * Applies one key's value as of {@code revision} (its mod revision); returns false when the
     * value was ignored because it does not parse. Older news than the view has changes nothing.
     */
    boolean put(String key, byte[] value, long revision) {
        if (stale(key, revision)) {
            return true;
        }
        if (!revisions.containsKey(key) && revisions.size() >= MAX_KEYS) {
            if (overflowTotal++ == 0) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "the cluster store holds more than {0} keys under the prefix: ignoring new ones",
                        MAX_KEYS);
            }
            return false;
        }
        tombstones.remove(key);
        revisions.put(key, revision);
        forget(key);
        try {
            if (!parse(key, value)) {
                throw new IOException("not a key of the jvs layout");
            }
            return true;
        } catch (IOException | RuntimeException e) {
            ignoredTotal++;
            if (ignoredKeys.size() < MAX_IGNORED_SHOWN && ignoredKeys.add(key)) {
                LOG.log(System.Logger.Level.WARNING, "ignoring {0} in the cluster store: {1}", key, e.getMessage());
            }
            return false;
        }
    }

    /** The revision {@code key} last changed at, as the view has it; 0 when the view does not hold it. */
    long revisionOf(String key) {
        return revisions.getOrDefault(key, 0L);
    }

    /** The key was deleted at {@code revision}. */
    void remove(String key, long revision) {
        if (stale(key, revision)) {
            return;
        }
        revisions.remove(key);
        if (tombstones.put(key, revision) == null) {
            tombstoneOrder.add(key);
        }
        forget(key);
    }

    private boolean stale(String key, long revision) {
        return revision <= floor
                || revision <= revisions.getOrDefault(key, 0L)
                || revision <= tombstones.getOrDefault(key, 0L);
    }

    /**
     * The watch has delivered everything up to {@code revision}: no event older than that can
     * come, so the deletions it covers need not be remembered any more.
     */
    void watchedTo(long revision) {
        while (!tombstoneOrder.isEmpty()) {
            final String key = tombstoneOrder.peekFirst();
            final Long deletedAt = tombstones.get(key);
            if (deletedAt != null && deletedAt > revision) {
                return;
            }
            tombstoneOrder.removeFirst();
            if (deletedAt != null) {
                tombstones.remove(key);
            }
        }
    }

    /** Deleted keys remembered now (for the tests of the bound). */
    int tombstones() {
        return tombstones.size();
    }

    /**
     * What changed since the last call: null when hosts or networks changed (or the view was read
     * again), so that everything must be looked at; otherwise the names of the endpoints that
     * changed, by network.
     */
    Map<String, Set<String>> takeChanges() {
        final Map<String, Set<String>> out = structureChanged ? null : Map.copyOf(changedEndpoints);
        structureChanged = false;
        changedEndpoints.clear();
        return out;
    }

    /** Drops a key from the view whatever its revision (a withdrawal the store has not confirmed yet). */
    void forget(String key) {
        ignoredKeys.remove(key);
        final String[] p = split(key);
        if (p == null) {
            return;
        }
        switch (p[0]) {
            case "hosts", "networks" -> structureChanged = true;
            case "endpoints" ->
                changedEndpoints.computeIfAbsent(p[1], k -> new HashSet<>()).add(p[2]);
            default -> {}
        }
        switch (p[0]) {
            case "hosts" -> hosts.remove(p[1]);
            case "networks" -> networks.remove(p[1]);
            case "vnis" -> {
                try {
                    vnis.remove(Integer.parseInt(p[1]));
                } catch (NumberFormatException ignored) {
                    // never stored
                }
            }
            case "subnets6" -> subnets6.remove(p[1].replace('-', '/'));
            case "blocks" -> inner(blocks, p).remove(p[2].replace('-', '/'));
            case "addresses" -> inner(addresses, p).remove(p[2]);
            case "blocks6" -> inner(blocks6, p).remove(p[2].replace('-', '/'));
            case "addresses6" -> inner(addresses6, p).remove(p[2]);
            case "endpoints" -> inner(endpoints, p).remove(p[2]);
            default -> {}
        }
    }

    private boolean parse(String key, byte[] value) throws IOException {
        final String[] p = split(key);
        if (p == null) {
            return false;
        }
        switch (p[0]) {
            case "hosts" -> {
                final HostAdvert host = JSON.readValue(value, HostAdvert.class);
                UnderlayFamily.parse(host.address());
                if (!p[1].equals(host.name()) || host.vxlanPort() < 1 || host.vxlanPort() > 65_535) {
                    return false;
                }
                hosts.put(p[1], host);
            }
            case "networks" -> {
                final ClusterNetwork network = JSON.readValue(value, ClusterNetwork.class);
                // an IPv6-only network has no IPv4 side; a network has at least one
                if (network.subnet() != null || network.subnet6() == null) {
                    Cidr.parse(network.subnet());
                    Cidr.parseAddress(network.gateway());
                }
                if (network.subnet6() != null) {
                    Ipv6Cidr.parse(network.subnet6(), "subnet6");
                    Ipv6Cidr.parseAddress(network.gateway6(), "gateway6");
                }
                if (!p[1].equals(network.name()) || network.id() == null || network.vni() < 1) {
                    return false;
                }
                networks.put(p[1], network);
            }
            case "vnis" -> vnis.put(Integer.parseInt(p[1]), JSON.readValue(value, String.class));
            case "subnets6" -> {
                final String cidr = p[1].replace('-', '/');
                Ipv6Cidr.parse(cidr, "subnet6");
                final String network = JSON.readValue(value, String.class);
                if (network == null) {
                    return false;
                }
                subnets6.put(cidr, network);
            }
            case "blocks" -> {
                final OwnerClaim claim = JSON.readValue(value, OwnerClaim.class);
                final String cidr = p[2].replace('-', '/');
                Cidr.parse(cidr);
                if (claim.host() == null) {
                    return false;
                }
                blocks.computeIfAbsent(p[1], k -> new TreeMap<>()).put(cidr, claim);
            }
            case "addresses" -> {
                final OwnerClaim claim = JSON.readValue(value, OwnerClaim.class);
                Cidr.parseAddress(p[2]);
                if (claim.host() == null) {
                    return false;
                }
                addresses.computeIfAbsent(p[1], k -> new TreeMap<>()).put(p[2], claim);
            }
            case "blocks6" -> {
                final OwnerClaim claim = JSON.readValue(value, OwnerClaim.class);
                final String cidr = p[2].replace('-', '/');
                Ipv6Cidr.parse(cidr, "block");
                if (claim.host() == null) {
                    return false;
                }
                blocks6.computeIfAbsent(p[1], k -> new TreeMap<>()).put(cidr, claim);
            }
            case "addresses6" -> {
                final OwnerClaim claim = JSON.readValue(value, OwnerClaim.class);
                if (claim.host() == null || !p[2].equals(Ipv6Cidr.format(Ipv6Cidr.parseAddress(p[2], "address")))) {
                    return false;
                }
                addresses6.computeIfAbsent(p[1], k -> new TreeMap<>()).put(p[2], claim);
            }
            case "endpoints" -> {
                final EndpointAdvert advert = JSON.readValue(value, EndpointAdvert.class);
                // an endpoint of an IPv6-only network has no IPv4 address; one has at least one
                if (advert.ip() != null || advert.ip6() == null) {
                    Cidr.parseAddress(advert.ip());
                }
                if (advert.ip6() != null) {
                    Ipv6Cidr.parseAddress(advert.ip6(), "ip6");
                }
                if (advert.host() == null || advert.mac() == null || !p[2].equals(advert.name())) {
                    return false;
                }
                endpoints.computeIfAbsent(p[1], k -> new LinkedHashMap<>()).put(p[2], advert);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** [kind, name] or [kind, network, name] for a key of the layout, else null. */
    private String[] split(String key) {
        if (!key.startsWith(keys.prefix())) {
            return null;
        }
        final String[] p = key.substring(keys.prefix().length()).split("/", -1);
        final boolean nested = NESTED.contains(p[0]);
        if (p.length != (nested ? 3 : 2)) {
            return null;
        }
        for (String part : p) {
            if (part.isEmpty()) {
                return null;
            }
        }
        return p;
    }

    private static <V> Map<String, V> inner(Map<String, Map<String, V>> outer, String[] p) {
        return outer.getOrDefault(p[1], new TreeMap<>());
    }

    Map<String, OwnerClaim> blocksOf(String network) {
        return blocks.getOrDefault(network, Map.of());
    }

    Map<String, OwnerClaim> addressesOf(String network) {
        return addresses.getOrDefault(network, Map.of());
    }

    Map<String, OwnerClaim> blocks6Of(String network) {
        return blocks6.getOrDefault(network, Map.of());
    }

    Map<String, OwnerClaim> addresses6Of(String network) {
        return addresses6.getOrDefault(network, Map.of());
    }

    Map<String, EndpointAdvert> endpointsOf(String network) {
        return endpoints.getOrDefault(network, Map.of());
    }
}
