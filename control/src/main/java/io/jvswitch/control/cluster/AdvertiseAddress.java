package io.jvswitch.control.cluster;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;

import java.net.InetAddress;

/**
 * {@code --cluster-advertise}: this host's underlay address, of either family, and its VXLAN port:
 * {@code 10.200.0.1}, {@code 10.200.0.1:4790}, {@code fd00:99::1}, {@code [fd00:99::1]:4790}. The
 * address is kept as canonical text, so two spellings of one address are one host.
 */
public record AdvertiseAddress(String address, int port) {
    public static final int DEFAULT_PORT = 4789;

    /** Parses the option; IllegalArgumentException with a message naming the option when it is not one. */
    public static AdvertiseAddress parse(String text) {
        String address = text;
        String port = null;
        if (text.startsWith("[")) {
            final int close = text.indexOf(']');
            if (close < 0 || (close + 1 < text.length() && text.charAt(close + 1) != ':')) {
                throw invalid(text, "[IPv6]:PORT");
            }
            address = text.substring(1, close);
            port = close + 1 < text.length() ? text.substring(close + 2) : null;
            if (!Ipv6Cidr.looksLikeIpv6(address)) {
                throw invalid(text, "brackets hold an IPv6 address");
            }
        } else if (text.indexOf(':') == text.lastIndexOf(':') && text.indexOf(':') >= 0) {
            address = text.substring(0, text.indexOf(':'));
            port = text.substring(text.indexOf(':') + 1);
        }
        return new AdvertiseAddress(canonical(text, address), port == null ? DEFAULT_PORT : port(text, port));
    }

    public boolean ipv6() {
        return UnderlayFamily.isIpv6(address);
    }

    private static String canonical(String text, String address) {
        if (Ipv6Cidr.looksLikeIpv6(address)) {
            final String formatted = Ipv6Cidr.format(Ipv6Cidr.parseAddress(address, "--cluster-advertise address"));
            final InetAddress parsed = UnderlayFamily.parse(formatted);
            if (parsed.isAnyLocalAddress() || parsed.isMulticastAddress() || parsed.isLinkLocalAddress()) {
                throw invalid(text, "a routable unicast IPv6 address (not ::, multicast or link-local)");
            }
            return formatted;
        }
        final int ip = Cidr.parseAddress(address, "--cluster-advertise address");
        if (ip == 0 || ip == -1 || (ip >>> 28) == 0xE) {
            throw invalid(text, "a unicast IPv4 address");
        }
        return Cidr.format(ip);
    }

    private static int port(String text, String port) {
        try {
            final int p = Integer.parseInt(port);
            if (p >= 1 && p <= 65_535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("invalid --cluster-advertise port in '" + text + "'");
    }

    private static IllegalArgumentException invalid(String text, String expected) {
        return new IllegalArgumentException("invalid --cluster-advertise '" + text + "': " + expected
                + " (ADDRESS, ADDRESS:PORT, IPV6 or [IPV6]:PORT)");
    }
}
