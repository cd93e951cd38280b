package io.jvswitch.control.ipam;

import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The IPv6 addresses of one network: subnet, gateway (default: the subnet's first address after
 * the subnet-router anycast address), optional ip-range and aux addresses, and the addresses handed
 * out to endpoints. Mutable, not thread-safe: the daemon serialises calls, as for {@link AddressPool}.
 *
 * <p>IPv6 has no broadcast address; the network address itself is the subnet-router anycast
 * address (RFC 4291 2.6.1), so it is never handed out either. Taken addresses are one ordered set:
 * the lowest free one is found by walking up from the range's start past taken ones, so an
 * allocation costs O(k log k) for k consecutive taken addresses and memory is one entry per taken
 * address, never proportional to a /64's 2^64 addresses.
 */
public final class Ipv6Pool {
    private final Ipv6Cidr subnet;
    private final BigInteger gateway;
    private final Ipv6Cidr ipRange;
    private final Map<String, BigInteger> aux;
    private final TreeSet<BigInteger> taken = new TreeSet<>();

    /**
     * @throws IllegalArgumentException with a user-facing message when the options do not fit together
     */
    public Ipv6Pool(Ipv6Cidr subnet, BigInteger gateway, Ipv6Cidr ipRange, Map<String, BigInteger> aux) {
        this.subnet = Objects.requireNonNull(subnet, "subnet");
        if (subnet.prefixLength() > 126) {
            throw new IllegalArgumentException("IPv6 subnet " + subnet + " is too small: use a /126 or larger");
        }
        final BigInteger gw = gateway != null ? gateway : subnet.address().add(BigInteger.ONE);
        if (!subnet.contains(gw)) {
            throw new IllegalArgumentException("gateway " + Ipv6Cidr.format(gw) + " is outside subnet " + subnet);
        }
        if (gw.equals(subnet.address())) {
            throw new IllegalArgumentException(
                    "gateway " + Ipv6Cidr.format(gw) + " is the subnet-router anycast address of " + subnet);
        }
        this.gateway = gw;
        if (ipRange != null && !subnet.contains(ipRange)) {
            throw new IllegalArgumentException("ip-range " + ipRange + " is not inside subnet " + subnet);
        }
        this.ipRange = ipRange;
        final Map<String, BigInteger> byName = new LinkedHashMap<>();
        for (Map.Entry<String, BigInteger> e : (aux == null ? Map.<String, BigInteger>of() : aux).entrySet()) {
            final String what = "aux address '" + e.getKey() + "' (" + Ipv6Cidr.format(e.getValue()) + ")";
            if (!subnet.contains(e.getValue())) {
                throw new IllegalArgumentException(what + " is outside subnet " + subnet);
            }
            if (e.getValue().equals(gw) || e.getValue().equals(subnet.address())) {
                throw new IllegalArgumentException(what + " is the gateway or the network address of " + subnet);
            }
            if (byName.containsValue(e.getValue())) {
                throw new IllegalArgumentException(what + " is given twice");
            }
            byName.put(e.getKey(), e.getValue());
        }
        this.aux = Collections.unmodifiableMap(byName);
    }

    public Ipv6Cidr subnet() {
        return subnet;
    }

    public BigInteger gateway() {
        return gateway;
    }

    public Optional<Ipv6Cidr> ipRange() {
        return Optional.ofNullable(ipRange);
    }

    public Map<String, BigInteger> auxAddresses() {
        return aux;
    }

    /**
     * The lowest free address of the ip-range (else of the subnet).
     *
     * @throws IllegalStateException when the range is exhausted
     */
    public BigInteger allocate() {
        final Ipv6Cidr range = ipRange != null ? ipRange : subnet;
        BigInteger candidate = range.address();
        while (candidate.compareTo(range.last()) <= 0) {
            if (!isSpecial(candidate) && !taken.contains(candidate)) {
                taken.add(candidate);
                return candidate;
            }
            candidate = candidate.add(BigInteger.ONE);
        }
        throw new IllegalStateException(
                ipRange != null
                        ? "no free IPv6 address left in ip-range " + ipRange + " of subnet " + subnet
                        : "no free IPv6 address left in " + subnet);
    }

    /**
     * Takes a specific address ({@code --ip6}).
     *
     * @throws IllegalArgumentException outside the subnet, or its network, gateway or an aux address
     * @throws IllegalStateException already in use
     */
    public void reserve(BigInteger address) {
        final String text = Ipv6Cidr.format(address);
        if (!subnet.contains(address)) {
            throw new IllegalArgumentException("address " + text + " is outside subnet " + subnet);
        }
        if (address.equals(subnet.address())) {
            throw new IllegalArgumentException(text + " is the subnet-router anycast address of " + subnet);
        }
        if (address.equals(gateway)) {
            throw new IllegalArgumentException(text + " is the gateway of " + subnet);
        }
        if (aux.containsValue(address)) {
            throw new IllegalArgumentException(text + " is reserved as an aux address");
        }
        if (!taken.add(address)) {
            throw new IllegalStateException("address " + text + " is already in use");
        }
    }

    /** Returns an address; releasing one that is not held does nothing, so cleanup may release twice. */
    public void release(BigInteger address) {
        taken.remove(address);
    }

    public boolean inUse(BigInteger address) {
        return taken.contains(address);
    }

    public int allocatedCount() {
        return taken.size();
    }

    /** The addresses handed out, ascending (what a saved pool keeps). */
    public List<BigInteger> allocated() {
        return List.copyOf(taken);
    }

    private boolean isSpecial(BigInteger a) {
        return a.equals(subnet.address()) || a.equals(gateway) || aux.containsValue(a);
    }
}
