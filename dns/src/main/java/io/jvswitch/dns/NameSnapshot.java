package io.jvswitch.dns;

import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2LongHashMap;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An immutable picture of every local name, built off the dataplane thread and swapped in whole by
 * {@link DnsNameStore}. Lookups allocate nothing: names are keyed by their lower-case wire form in
 * one byte array, found through an open-addressing table probed with the query's own bytes and hash.
 *
 * <p>Each key (a name, an alias, {@code name.network}, or a reverse {@code in-addr.arpa}/{@code
 * ip6.arpa} name) owns a contiguous run of records; every record belongs to one network, and a
 * query sees only the records of the networks its asking container is on.
 */
final class NameSnapshot {
    static final int TYPE_A = DnsWire.TYPE_A;
    static final int TYPE_AAAA = DnsWire.TYPE_AAAA;
    static final int TYPE_PTR = DnsWire.TYPE_PTR;

    /** Network flag bits in {@link #networkFlags}. */
    static final int NETWORK_KNOWN = 1;

    static final int NETWORK_INTERNAL = 2;
    static final int NETWORK_HAS_UPSTREAM = 4;

    private final byte[] keys;
    private final int[] table;
    private final int tableMask;
    private final int[] keyOffset;
    private final int[] keyLength;
    private final int[] keyHash;
    private final int[] firstRecord;
    private final int[] recordCount;

    private final int[] recordType;
    private final int[] recordNetwork;
    /** A: the address; AAAA and PTR: offset of the RDATA in {@link #rdata}. */
    private final int[] recordValue;

    private final int[] recordRdLength;
    private final byte[] rdata;

    /** (networkId << 32 | ip) to the asking container's index. */
    private final Long2LongHashMap askers;

    private final int[] containerNetworksStart;
    private final int[] containerNetworksCount;
    private final int[] containerNetworks;

    private final Int2IntHashMap networkFlags;
    private final Int2ObjectHashMap<List<InetSocketAddress>> upstreams;
    private final List<DnsNetwork> networks;
    private final int names;
    private final int namesOverLimit;

    private NameSnapshot(Builder b) {
        this.keys = b.keys.toByteArray();
        final int n = b.keyList.size();
        this.keyOffset = new int[n];
        this.keyLength = new int[n];
        this.keyHash = new int[n];
        this.firstRecord = new int[n];
        this.recordCount = new int[n];
        int tableSize = 16;
        while (tableSize < n * 2) {
            tableSize <<= 1;
        }
        this.table = new int[tableSize];
        this.tableMask = tableSize - 1;
        int records = 0;
        for (KeyBuild k : b.keyList) {
            records += k.records.size();
        }
        this.recordType = new int[records];
        this.recordNetwork = new int[records];
        this.recordValue = new int[records];
        this.recordRdLength = new int[records];
        int r = 0;
        for (int i = 0; i < n; i++) {
            final KeyBuild k = b.keyList.get(i);
            keyOffset[i] = k.offset;
            keyLength[i] = k.length;
            keyHash[i] = k.hash;
            firstRecord[i] = r;
            recordCount[i] = k.records.size();
            for (long[] rec : k.records) {
                recordType[r] = (int) rec[0];
                recordNetwork[r] = (int) rec[1];
                recordValue[r] = (int) rec[2];
                recordRdLength[r] = (int) rec[3];
                r++;
            }
            int slot = k.hash & tableMask;
            while (table[slot] != 0) {
                slot = (slot + 1) & tableMask;
            }
            table[slot] = i + 1;
        }
        this.rdata = b.rdata.toByteArray();
        this.askers = b.askers;
        final int containers = b.containerNetworks.size();
        this.containerNetworksStart = new int[containers];
        this.containerNetworksCount = new int[containers];
        int total = 0;
        for (List<Integer> nets : b.containerNetworks) {
            total += nets.size();
        }
        this.containerNetworks = new int[total];
        int c = 0;
        int pos = 0;
        for (List<Integer> nets : b.containerNetworks) {
            containerNetworksStart[c] = pos;
            containerNetworksCount[c] = nets.size();
            for (int id : nets) {
                containerNetworks[pos++] = id;
            }
            c++;
        }
        this.networkFlags = b.networkFlags;
        this.upstreams = b.upstreams;
        this.networks = List.copyOf(b.networks);
        this.names = n;
        this.namesOverLimit = b.overLimit;
    }

    static NameSnapshot empty() {
        return new Builder(1, List.of()).build(List.of(), List.of());
    }

    /** The key index of a lower-case wire name, or -1. Allocates nothing. */
    int find(byte[] name, int length, int hash) {
        int slot = hash & tableMask;
        while (true) {
            final int entry = table[slot];
            if (entry == 0) {
                return -1;
            }
            final int k = entry - 1;
            if (keyHash[k] == hash && keyLength[k] == length && sameBytes(keys, keyOffset[k], name, length)) {
                return k;
            }
            slot = (slot + 1) & tableMask;
        }
    }

    private static boolean sameBytes(byte[] keys, int offset, byte[] name, int length) {
        return Arrays.equals(keys, offset, offset + length, name, 0, length);
    }

    /** The container index of the endpoint {@code clientIp} on {@code networkId}, or -1 if unknown. */
    int asker(int networkId, int clientIp) {
        return (int) askers.get(((long) networkId << 32) | (clientIp & 0xFFFFFFFFL));
    }

    /** True when a record of {@code networkId} is visible to {@code asker} asking on {@code askedOn}. */
    boolean visible(int asker, int askedOn, int networkId) {
        if (asker < 0) {
            return networkId == askedOn;
        }
        final int start = containerNetworksStart[asker];
        for (int i = start, end = start + containerNetworksCount[asker]; i < end; i++) {
            if (containerNetworks[i] == networkId) {
                return true;
            }
        }
        return false;
    }

    int firstRecord(int key) {
        return firstRecord[key];
    }

    int recordCount(int key) {
        return recordCount[key];
    }

    int recordType(int record) {
        return recordType[record];
    }

    int recordNetwork(int record) {
        return recordNetwork[record];
    }

    int recordValue(int record) {
        return recordValue[record];
    }

    int recordRdLength(int record) {
        return recordRdLength[record];
    }

    byte[] rdata() {
        return rdata;
    }

    /** {@link #NETWORK_KNOWN} and friends, 0 for an unknown network. */
    int networkFlags(int networkId) {
        return networkFlags.get(networkId);
    }

    /** The network's own upstream servers, or null to use the defaults. Not for the dataplane thread. */
    List<InetSocketAddress> upstreamsOf(int networkId) {
        return upstreams.get(networkId);
    }

    List<DnsNetwork> networks() {
        return networks;
    }

    int names() {
        return names;
    }

    int namesOverLimit() {
        return namesOverLimit;
    }

    /** Builds snapshots; not thread-safe, used by one control thread at a time. */
    static final class Builder {
        private final int maxRecords;
        private final List<InetSocketAddress> defaultUpstreams;
        private final ByteArrayOutputStream keys = new ByteArrayOutputStream();
        private final ByteArrayOutputStream rdata = new ByteArrayOutputStream();
        private final Map<String, KeyBuild> byKey = new LinkedHashMap<>();
        private final List<KeyBuild> keyList = new ArrayList<>();
        private final Long2LongHashMap askers = new Long2LongHashMap(-1);
        private final List<List<Integer>> containerNetworks = new ArrayList<>();
        private final Int2IntHashMap networkFlags = new Int2IntHashMap(0);
        private final Int2ObjectHashMap<List<InetSocketAddress>> upstreams = new Int2ObjectHashMap<>();
        private final List<DnsNetwork> networks = new ArrayList<>();
        private int records;
        private int overLimit;

        Builder(int maxRecords, List<InetSocketAddress> defaultUpstreams) {
            this.maxRecords = maxRecords;
            this.defaultUpstreams = List.copyOf(defaultUpstreams);
        }

        NameSnapshot build(List<DnsNetwork> networkList, List<DnsEndpointName> endpoints) {
            final Map<Integer, String> networkNames = new LinkedHashMap<>();
            for (DnsNetwork network : networkList) {
                final List<InetSocketAddress> own = network.upstreams();
                final boolean hasUpstream = !(own.isEmpty() ? defaultUpstreams : own).isEmpty();
                networkFlags.put(
                        network.networkId(),
                        NETWORK_KNOWN
                                | (network.internal() ? NETWORK_INTERNAL : 0)
                                | (hasUpstream ? NETWORK_HAS_UPSTREAM : 0));
                upstreams.put(network.networkId(), own.isEmpty() ? defaultUpstreams : own);
                networkNames.put(network.networkId(), network.name());
                networks.add(network);
            }
            final Map<String, Integer> containers = new LinkedHashMap<>();
            for (DnsEndpointName e : endpoints) {
                final int container = containers.computeIfAbsent(e.container(), c -> {
                    containerNetworks.add(new ArrayList<>());
                    return containerNetworks.size() - 1;
                });
                final List<Integer> nets = containerNetworks.get(container);
                if (!nets.contains(e.networkId())) {
                    nets.add(e.networkId());
                }
                if (e.ipv4() != 0) {
                    askers.put(((long) e.networkId() << 32) | (e.ipv4() & 0xFFFFFFFFL), container);
                }
            }
            for (DnsEndpointName e : endpoints) {
                final String network = e.networkName() != null ? e.networkName() : networkNames.get(e.networkId());
                final List<String> names = new ArrayList<>();
                names.add(e.name());
                names.addAll(e.aliases());
                final int ptrOffset = rdata.size();
                final byte[] target = network == null ? wireName(e.name()) : wireName(e.name() + "." + network);
                if (target == null) {
                    overLimit++;
                    continue;
                }
                rdata.writeBytes(target);
                int v6Offset = -1;
                if (e.ipv6() != null) {
                    v6Offset = rdata.size();
                    rdata.writeBytes(e.ipv6());
                }
                for (String name : names) {
                    addAddresses(name, e, v6Offset);
                    if (network != null) {
                        addAddresses(name + "." + network, e, v6Offset);
                    }
                }
                if (e.ipv4() != 0) {
                    add(reverseV4(e.ipv4()), TYPE_PTR, e.networkId(), ptrOffset, target.length);
                }
                if (e.ipv6() != null) {
                    add(reverseV6(e.ipv6()), TYPE_PTR, e.networkId(), ptrOffset, target.length);
                }
            }
            return new NameSnapshot(this);
        }

        private void addAddresses(String name, DnsEndpointName e, int v6Offset) {
            if (e.ipv4() != 0) {
                add(name, TYPE_A, e.networkId(), e.ipv4(), 4);
            }
            if (v6Offset >= 0) {
                add(name, TYPE_AAAA, e.networkId(), v6Offset, 16);
            }
        }

        private void add(String name, int type, int networkId, int value, int rdLength) {
            if (records >= maxRecords) {
                overLimit++;
                return;
            }
            final String lower = name.toLowerCase(Locale.ROOT);
            KeyBuild key = byKey.get(lower);
            if (key == null) {
                final byte[] wire = wireName(lower);
                if (wire == null) {
                    overLimit++; // not a valid DNS name: nothing could ask for it
                    return;
                }
                key = new KeyBuild(keys.size(), wire.length, DnsQuery.hash(wire, 0, wire.length));
                keys.writeBytes(wire);
                byKey.put(lower, key);
                keyList.add(key);
            }
            for (long[] existing : key.records) {
                if (existing[0] == type && existing[1] == networkId && existing[2] == value) {
                    return; // an alias equal to the name: one record is enough
                }
            }
            key.records.add(new long[] {type, networkId, value, rdLength});
            records++;
        }
    }

    private static final class KeyBuild {
        final int offset;
        final int length;
        final int hash;
        final List<long[]> records = new ArrayList<>(1);

        KeyBuild(int offset, int length, int hash) {
            this.offset = offset;
            this.length = length;
            this.hash = hash;
        }
    }

    /** A dotted name in wire format (labels, then a zero byte), or null if it is not a valid DNS name. */
    static byte[] wireName(String dotted) {
        final String name = dotted.endsWith(".") ? dotted.substring(0, dotted.length() - 1) : dotted;
        if (name.isEmpty()) {
            return null;
        }
        final byte[] ascii = name.getBytes(StandardCharsets.US_ASCII);
        if (ascii.length + 2 > DnsWire.MAX_NAME_LENGTH) {
            return null;
        }
        final byte[] wire = new byte[ascii.length + 2];
        int labelStart = 0;
        int out = 0;
        for (int i = 0; i <= ascii.length; i++) {
            if (i == ascii.length || ascii[i] == '.') {
                final int len = i - labelStart;
                if (len == 0 || len > DnsWire.MAX_LABEL_LENGTH) {
                    return null;
                }
                wire[out++] = (byte) len;
                System.arraycopy(ascii, labelStart, wire, out, len);
                out += len;
                labelStart = i + 1;
            }
        }
        wire[out] = 0;
        return wire;
    }

    static String reverseV4(int ip) {
        return (ip & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + ((ip >>> 16) & 0xFF) + "." + (ip >>> 24)
                + ".in-addr.arpa";
    }

    static String reverseV6(byte[] ip) {
        final StringBuilder sb = new StringBuilder(72);
        for (int i = 15; i >= 0; i--) {
            sb.append(Character.forDigit(ip[i] & 0xF, 16)).append('.');
            sb.append(Character.forDigit((ip[i] >>> 4) & 0xF, 16)).append('.');
        }
        return sb.append("ip6.arpa").toString();
    }
}
