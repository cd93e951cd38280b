package io.jvswitch.control.service;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.netns.CommandRunner;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The addresses of the daemon's namespace, as {@code ip -o address show} lists them: what a
 * container may aim at to reach the host (a published port, a host service), and what is never
 * masqueraded. Loopback and link-local addresses are left out: a container cannot reach them.
 */
final class HostAddresses {
    private HostAddresses() {}

    /** The IPv4 addresses, not 127/8. */
    static List<Integer> ipv4(CommandRunner runner) {
        final List<Integer> out = new ArrayList<>();
        for (String address : addresses(runner, "-4", "inet")) {
            try {
                final int ip = Cidr.parseAddress(address);
                if ((ip >>> 24) != 127) {
                    out.add(ip);
                }
            } catch (IllegalArgumentException ignored) {
                // not an address: skip
            }
        }
        return out;
    }

    /** The global IPv6 addresses (not ::1, not fe80::/10). */
    static List<BigInteger> ipv6(CommandRunner runner) {
        final List<BigInteger> out = new ArrayList<>();
        for (String address : addresses(runner, "-6", "inet6")) {
            try {
                out.add(Ipv6Cidr.parseAddress(address, "host address"));
            } catch (IllegalArgumentException ignored) {
                // not an address: skip
            }
        }
        return out;
    }

    /**
     * The addresses a client beyond the host may aim a published port at, as {@link HostPortRules}
     * routes them: the networks' gateways of one family and the host's own addresses of it.
     */
    static List<String> forPortRules(CommandRunner runner, Collection<NetworkRecord> networks, boolean ipv6) {
        final List<String> out = new ArrayList<>();
        for (NetworkRecord n : networks) {
            if (ipv6 && n.ipv6() != null) {
                out.add(Ipv6Cidr.format(Ipv6Cidr.parseAddress(n.ipv6().gateway(), "gateway")));
            } else if (!ipv6 && n.hasIpv4()) {
                out.add(n.gateway());
            }
        }
        if (ipv6) {
            ipv6(runner).forEach(a -> out.add(Ipv6Cidr.format(a)));
        } else {
            ipv4(runner).forEach(a -> out.add(Cidr.format(a)));
        }
        return out.stream().distinct().toList();
    }

    /** The words after {@code keyword} in the listing, without their prefix length. */
    private static List<String> addresses(CommandRunner runner, String family, String keyword) {
        final List<String> out = new ArrayList<>();
        final List<String> command = "-6".equals(family)
                ? List.of("ip", family, "-o", "address", "show", "scope", "global")
                : List.of("ip", family, "-o", "address", "show");
        final CommandRunner.Result result = runner.run(command);
        if (!result.ok()) {
            return out;
        }
        for (String line : result.stdout().split("\n")) {
            final String[] words = line.trim().split("\\s+");
            for (int i = 0; i + 1 < words.length; i++) {
                if (words[i].equals(keyword)) {
                    out.add(words[i + 1].replaceAll("/.*", ""));
                }
            }
        }
        return out;
    }
}
