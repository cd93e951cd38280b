package io.jvswitch.control.cluster;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.jvswitch.control.ipam.Cidr;

import java.io.IOException;
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
 */
final class ClusterView {
    private static final System.Logger LOG = System.getLogger("jvs.cluster");

    /** Lenient on unknown fields, so a newer jvs may add some. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final ClusterKeys keys;
    final Map<String, HostAdvert> hosts = new TreeMap<>();
    final Map<String, ClusterNetwork> networks = new TreeMap<>();
    final Map<Integer, String> vnis = new TreeMap<>();
    /** network -> cidr (10.10.0.64/26) -> owner. */
    final Map<String, Map<String, OwnerClaim>> blocks = new TreeMap<>();
    /** network -> ip -> owner. */
    final Map<String, Map<String, OwnerClaim>> addresses = new TreeMap<>();
    /** network -> endpoint name -> advert. */
    final Map<String, Map<String, EndpointAdvert>> endpoints = new TreeMap<>();
    /** Keys that did not parse. */
    final Set<String> ignoredKeys = new TreeSet<>();

    long ignoredTotal;

    ClusterView(ClusterKeys keys) {
        this.keys = keys;
    }

    void reset() {
        hosts.clear();
        networks.clear();
        vnis.clear();
        blocks.clear();
        addresses.clear();
        endpoints.clear();
        ignoredKeys.clear();
    }

    /** Applies one key's new value; returns false when it was ignored. */
    boolean put(String key, byte[] value) {
        remove(key);
        try {
            if (!parse(key, value)) {
                throw new IOException("not a key of the jvs layout");
            }
            return true;
        } catch (IOException | RuntimeException e) {
            ignoredTotal++;
            if (ignoredKeys.add(key)) {
                LOG.log(System.Logger.Level.WARNING, "ignoring {0} in the cluster store: {1}", key, e.getMessage());
            }
            return false;
        }
    }

    void remove(String key) {
        ignoredKeys.remove(key);
        final String[] p = split(key);
        if (p == null) {
            return;
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
            case "blocks" -> inner(blocks, p).remove(p[2].replace('-', '/'));
            case "addresses" -> inner(addresses, p).remove(p[2]);
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
                Cidr.parseAddress(host.address());
                if (!p[1].equals(host.name()) || host.vxlanPort() < 1 || host.vxlanPort() > 65_535) {
                    return false;
                }
                hosts.put(p[1], host);
            }
            case "networks" -> {
                final ClusterNetwork network = JSON.readValue(value, ClusterNetwork.class);
                Cidr.parse(network.subnet());
                Cidr.parseAddress(network.gateway());
                if (!p[1].equals(network.name()) || network.id() == null || network.vni() < 1) {
                    return false;
                }
                networks.put(p[1], network);
            }
            case "vnis" -> vnis.put(Integer.parseInt(p[1]), JSON.readValue(value, String.class));
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
            case "endpoints" -> {
                final EndpointAdvert advert = JSON.readValue(value, EndpointAdvert.class);
                Cidr.parseAddress(advert.ip());
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
        final boolean nested = p[0].equals("blocks") || p[0].equals("addresses") || p[0].equals("endpoints");
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

    Map<String, EndpointAdvert> endpointsOf(String network) {
        return endpoints.getOrDefault(network, Map.of());
    }
}
