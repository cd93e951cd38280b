package io.jvswitch.bench.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.cluster.ClusterKeys;
import io.jvswitch.control.cluster.ClusterNetwork;
import io.jvswitch.control.cluster.EndpointAdvert;
import io.jvswitch.control.cluster.HostAdvert;
import io.jvswitch.control.cluster.KeyValueStore;
import io.jvswitch.control.cluster.OwnerClaim;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.EndpointMac;
import io.jvswitch.packet.MacAddress;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes a simulated cluster into etcd in the very records (and key layout) the jvs daemons write
 * and read: {@code hosts} hosts under one lease, one global network, and {@code endpoints}
 * endpoints spread evenly over the hosts, each with its durable address claim inside an address
 * block its host owns. Hosts sit on the underlay from 10.211.1.1 up (addresses nothing answers:
 * the simulated hosts have no VTEP), endpoints from 10.64.0.0/14 in /26 blocks as the daemons
 * claim them.
 */
final class ClusterRecordWriter {
    static final String NETWORK = "scale";
    static final String SUBNET = "10.64.0.0/14";
    static final String GATEWAY = "10.64.0.1";
    /** etcd refuses transactions of more than 128 operations by default. */
    private static final int TXN_OPS = 100;
    /** Addresses handed out per /26 block: network, broadcast and gateway-like ends left alone. */
    private static final int PER_BLOCK = 60;

    private final KeyValueStore store;
    private final ClusterKeys keys = new ClusterKeys(ClusterKeys.DEFAULT_PREFIX);
    private final ObjectMapper json = new ObjectMapper();
    private final List<KeyValueStore.Op> pending = new ArrayList<>();
    private final int hosts;
    private long lease;
    private int nextBlock;
    private int written;

    ClusterRecordWriter(KeyValueStore store, int hosts) {
        this.store = store;
        this.hosts = hosts;
    }

    static String hostName(int i) {
        return "sim" + i;
    }

    static String hostAddress(int i) {
        return "10.211." + (1 + i / 250) + "." + (1 + i % 250);
    }

    /** Writes the network, the hosts and {@code endpoints} endpoints; returns the keys written. */
    int populate(int endpoints, int vxlanPort) {
        lease = store.grantLease(3_600);
        final ClusterNetwork network = new ClusterNetwork(
                UUID.randomUUID().toString().replace("-", ""),
                NETWORK,
                4096,
                SUBNET,
                GATEWAY,
                1450,
                true,
                List.of(),
                null,
                vxlanPort,
                64,
                Instant.now().toString(),
                "bench");
        add(keys.network(NETWORK), network, 0);
        add(keys.vni(4096), NETWORK, 0);
        final String since = Instant.now().toString();
        for (int h = 0; h < hosts; h++) {
            add(keys.host(hostName(h)), new HostAdvert(hostName(h), hostAddress(h), vxlanPort, since), lease);
        }
        final int perHost = (endpoints + hosts - 1) / hosts;
        int made = 0;
        for (int h = 0; h < hosts && made < endpoints; h++) {
            for (int k = 0; k < perHost && made < endpoints; k += PER_BLOCK) {
                made += block(h, "e" + h + "-", Math.min(PER_BLOCK, Math.min(perHost - k, endpoints - made)));
            }
        }
        flush();
        return written;
    }

    /**
     * One new endpoint on host {@code host}, as that host's attach writes it (the address and the
     * name in one transaction, in a block of its own); returns its address.
     */
    String addEndpoint(int host, String name) {
        final int first = blockAddress(nextBlock++) + 2;
        add(keys.block(NETWORK, new Cidr(first - 2, 26).toString()), new OwnerClaim(hostName(host), null), 0);
        flush();
        endpoint(host, name, first);
        flush();
        return Cidr.format(first);
    }

    private int block(int host, String prefix, int count) {
        final int base = blockAddress(nextBlock++);
        add(keys.block(NETWORK, new Cidr(base, 26).toString()), new OwnerClaim(hostName(host), null), 0);
        for (int i = 0; i < count; i++) {
            endpoint(host, prefix + written, base + 2 + i);
        }
        return count;
    }

    private void endpoint(int host, String name, int ip) {
        final String text = Cidr.format(ip);
        add(keys.address(NETWORK, text), new OwnerClaim(hostName(host), name), 0);
        add(
                keys.endpoint(NETWORK, name),
                new EndpointAdvert(name, List.of(), text, MacAddress.format(EndpointMac.derive(ip)), hostName(host)),
                lease);
    }

    /** The first address of the {@code n}th /26 of the subnet, skipping the one the gateway is in. */
    private static int blockAddress(int n) {
        return Cidr.parse(SUBNET).network() + (n + 1) * 64;
    }

    private void add(String key, Object value, long leaseId) {
        try {
            pending.add(new KeyValueStore.Op.Put(key, json.writeValueAsBytes(value), leaseId));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        written++;
        if (pending.size() == TXN_OPS) {
            flush();
        }
    }

    private void flush() {
        if (!pending.isEmpty()) {
            store.txn(List.of(), List.copyOf(pending), List.of());
            pending.clear();
        }
    }
}
