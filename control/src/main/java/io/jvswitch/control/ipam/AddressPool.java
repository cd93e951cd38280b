package io.jvswitch.control.ipam;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The IPv4 addresses of one network: its subnet, gateway, optional ip-range and aux addresses, and
 * the addresses handed out to endpoints. Mutable and not thread-safe: the daemon serialises calls.
 *
 * <h2>Data structure</h2>
 * Every address that may not be handed out — subnet network and broadcast, gateway, aux addresses
 * and endpoint addresses — is kept in one ordered set of disjoint, coalesced runs
 * {@code [first, last]} (a {@link TreeMap} from first to last, as unsigned {@code long}s). Because
 * adjacent runs are always merged, the address right after the run that holds (or precedes) the
 * start of the ip-range is free, so {@link #allocate()} finds the lowest free address with one
 * {@code floorEntry} lookup: O(log r) for r runs, never a scan of the subnet. Reserve and release
 * are O(log r) too (release may split a run). Memory is proportional to the number of runs, which
 * is at most the number of taken addresses and typically a handful (sequential allocation in a /8
 * stays one run), independent of the subnet size; a bitmap would cost 2 MiB for a /8 up front.
 *
 * <h2>Errors</h2>
 * {@link IllegalArgumentException} for requests that can never succeed (address outside the
 * subnet, network/broadcast/gateway/aux address); {@link IllegalStateException} for conflicts with
 * the current state (address already in use, pool exhausted).
 */
public final class AddressPool {

    private final Cidr subnet;
    private final int gateway;
    private final Cidr ipRange; // null: the whole subnet
    private final Map<String, Integer> auxByName; // insertion order, unmodifiable
    private final Map<Integer, String> auxByAddress;

    /** Taken addresses as coalesced runs: first -> last (inclusive), unsigned. */
    private final TreeMap<Long, Long> taken = new TreeMap<>();

    private int allocatedCount;

    private AddressPool(Builder b) {
        Cidr subnet = Objects.requireNonNull(b.subnet, "subnet");
        if (subnet.prefixLength() > 30) {
            throw new IllegalArgumentException("subnet " + subnet + " is too small: a /" + subnet.prefixLength()
                    + " has no room for a gateway and an endpoint besides the network and broadcast"
                    + " addresses; use a /30 or larger");
        }
        this.subnet = subnet;

        int gw = b.gateway != null ? b.gateway : subnet.network() + 1;
        if (!subnet.contains(gw)) {
            throw new IllegalArgumentException("gateway " + Ipv4.format(gw) + " is outside subnet " + subnet);
        }
        if (gw == subnet.network()) {
            throw new IllegalArgumentException("gateway " + Ipv4.format(gw) + " is the network address of " + subnet);
        }
        if (gw == subnet.broadcast()) {
            throw new IllegalArgumentException("gateway " + Ipv4.format(gw) + " is the broadcast address of " + subnet);
        }
        this.gateway = gw;

        if (b.ipRange != null && !subnet.contains(b.ipRange)) {
            throw new IllegalArgumentException("ip-range " + b.ipRange + " is not inside subnet " + subnet);
        }
        this.ipRange = b.ipRange;

        Map<String, Integer> byName = new LinkedHashMap<>();
        Map<Integer, String> byAddress = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : b.aux.entrySet()) {
            String name = e.getKey();
            int a = e.getValue();
            String what = "aux address '" + name + "' (" + Ipv4.format(a) + ")";
            if (!subnet.contains(a)) {
                throw new IllegalArgumentException(what + " is outside subnet " + subnet);
            }
            if (a == gw) {
                throw new IllegalArgumentException(what + " is the gateway of " + subnet);
            }
            if (a == subnet.network()) {
                throw new IllegalArgumentException(what + " is the network address of " + subnet);
            }
            if (a == subnet.broadcast()) {
                throw new IllegalArgumentException(what + " is the broadcast address of " + subnet);
            }
            String other = byAddress.putIfAbsent(a, name);
            if (other != null) {
                throw new IllegalArgumentException(
                        "aux addresses '" + other + "' and '" + name + "' are both " + Ipv4.format(a));
            }
            byName.put(name, a);
        }
        this.auxByName = Collections.unmodifiableMap(byName);
        this.auxByAddress = byAddress;

        add(subnet.network());
        add(subnet.broadcast());
        add(gw);
        for (int a : byAddress.keySet()) {
            add(a);
        }
    }

    /** A pool for {@code subnet} with the default gateway (first usable address), no ip-range, no aux addresses. */
    public static AddressPool of(Cidr subnet) {
        return builder(subnet).build();
    }

    public static Builder builder(Cidr subnet) {
        return new Builder(subnet);
    }

    /** Collects the {@code docker network create} IPAM options; {@link #build()} validates them. */
    public static final class Builder {
        private final Cidr subnet;
        private Integer gateway;
        private Cidr ipRange;
        private final Map<String, Integer> aux = new LinkedHashMap<>();

        private Builder(Cidr subnet) {
            this.subnet = Objects.requireNonNull(subnet, "subnet");
        }

        /** {@code --gateway}; default: the subnet's first usable address. */
        public Builder gateway(int address) {
            this.gateway = address;
            return this;
        }

        /** {@code --ip-range}: dynamic allocation is limited to it; must lie within the subnet. */
        public Builder ipRange(Cidr range) {
            this.ipRange = Objects.requireNonNull(range, "ipRange");
            return this;
        }

        /** {@code --aux-address name=address}: never handed out; must be in the subnet, not the gateway. */
        public Builder auxAddress(String name, int address) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("aux address " + Ipv4.format(address) + " needs a name");
            }
            if (aux.putIfAbsent(name, address) != null) {
                throw new IllegalArgumentException("aux address name '" + name + "' is given twice");
            }
            return this;
        }

        /** @throws IllegalArgumentException with a user-facing message if the options are inconsistent */
        public AddressPool build() {
            return new AddressPool(this);
        }
    }

    public Cidr subnet() {
        return subnet;
    }

    public int gateway() {
        return gateway;
    }

    /** The {@code --ip-range}, if one was given. */
    public Optional<Cidr> ipRange() {
        return Optional.ofNullable(ipRange);
    }

    /** Aux addresses by name, in the order given. */
    public Map<String, Integer> auxAddresses() {
        return auxByName;
    }

    /**
     * Hands out the lowest free address of the ip-range (or of the subnet if there is none); never the
     * network, broadcast, gateway or an aux address.
     *
     * @throws IllegalStateException "no free address left in 10.0.0.0/30" when the range is exhausted
     */
    public int allocate() {
        Cidr range = ipRange != null ? ipRange : subnet;
        long candidate = Ipv4.unsigned(range.network());
        Map.Entry<Long, Long> run = taken.floorEntry(candidate);
        if (run != null && run.getValue() >= candidate) {
            candidate = run.getValue() + 1; // free: runs are coalesced
        }
        if (candidate > Ipv4.unsigned(range.broadcast())) {
            throw new IllegalStateException(
                    ipRange != null
                            ? "no free address left in ip-range " + ipRange + " of subnet " + subnet
                            : "no free address left in " + subnet);
        }
        int address = (int) candidate;
        add(address);
        allocatedCount++;
        return address;
    }

    /**
     * Takes a specific address ({@code --ip}). It may lie outside the ip-range but must be in the subnet.
     *
     * @throws IllegalArgumentException if the address is outside the subnet or is its network,
     *                                  broadcast, gateway or an aux address
     * @throws IllegalStateException    "address 172.19.0.5 is already in use"
     */
    public void reserve(int address) {
        checkAssignable(address);
        if (isTaken(address)) {
            throw new IllegalStateException("address " + Ipv4.format(address) + " is already in use");
        }
        add(address);
        allocatedCount++;
    }

    /**
     * Returns an endpoint address to the pool. Releasing an address that is not in use does nothing,
     * so cleanup paths may release twice.
     *
     * @throws IllegalArgumentException if the address is outside the subnet or is its network,
     *                                  broadcast, gateway or an aux address (those are never released)
     */
    public void release(int address) {
        checkAssignable(address);
        if (isTaken(address)) {
            remove(address);
            allocatedCount--;
        }
    }

    /** Whether the address is held by an endpoint (from {@link #allocate()} or {@link #reserve(int)}). */
    public boolean inUse(int address) {
        return subnet.contains(address) && !isSpecial(address) && isTaken(address);
    }

    /** Whether {@link #reserve(int)} would succeed for the address. */
    public boolean isFree(int address) {
        return subnet.contains(address) && !isTaken(address);
    }

    /** Number of addresses held by endpoints. */
    public int allocatedCount() {
        return allocatedCount;
    }

    /** Addresses held by endpoints, ascending (unsigned order). */
    public List<Integer> allocated() {
        List<Integer> out = new ArrayList<>(allocatedCount);
        for (Map.Entry<Long, Long> run : taken.entrySet()) {
            for (long a = run.getKey(); a <= run.getValue(); a++) {
                if (!isSpecial((int) a)) {
                    out.add((int) a);
                }
            }
        }
        return Collections.unmodifiableList(out);
    }

    @Override
    public String toString() {
        return "AddressPool[subnet=" + subnet + ", gateway=" + Ipv4.format(gateway)
                + (ipRange != null ? ", ipRange=" + ipRange : "")
                + (auxByName.isEmpty() ? "" : ", aux=" + auxByName.size())
                + ", allocated=" + allocatedCount + "]";
    }

    // ---- internals --------------------------------------------------------------------------

    private boolean isSpecial(int a) {
        return a == subnet.network() || a == subnet.broadcast() || a == gateway || auxByAddress.containsKey(a);
    }

    private void checkAssignable(int address) {
        String ip = Ipv4.format(address);
        if (!subnet.contains(address)) {
            throw new IllegalArgumentException("address " + ip + " is outside subnet " + subnet);
        }
        if (address == subnet.network()) {
            throw new IllegalArgumentException(ip + " is the network address of " + subnet);
        }
        if (address == subnet.broadcast()) {
            throw new IllegalArgumentException(ip + " is the broadcast address of " + subnet);
        }
        if (address == gateway) {
            throw new IllegalArgumentException(ip + " is the gateway of " + subnet);
        }
        String aux = auxByAddress.get(address);
        if (aux != null) {
            throw new IllegalArgumentException(ip + " is reserved as aux address '" + aux + "'");
        }
    }

    private boolean isTaken(int address) {
        long a = Ipv4.unsigned(address);
        Map.Entry<Long, Long> run = taken.floorEntry(a);
        return run != null && run.getValue() >= a;
    }

    /** Marks a free address taken, merging with neighbouring runs. */
    private void add(int address) {
        long a = Ipv4.unsigned(address);
        long first = a;
        long last = a;
        Map.Entry<Long, Long> below = taken.floorEntry(a);
        if (below != null) {
            if (below.getValue() >= a) {
                return; // already taken
            }
            if (below.getValue() == a - 1) {
                first = below.getKey();
            }
        }
        Long aboveLast = taken.remove(a + 1);
        if (aboveLast != null) {
            last = aboveLast;
        }
        taken.put(first, last);
    }

    /** Marks a taken address free, splitting its run. */
    private void remove(int address) {
        long a = Ipv4.unsigned(address);
        Map.Entry<Long, Long> run = taken.floorEntry(a);
        long first = run.getKey();
        long last = run.getValue();
        taken.remove(first);
        if (first < a) {
            taken.put(first, a - 1);
        }
        if (a < last) {
            taken.put(a + 1, last);
        }
    }
}
