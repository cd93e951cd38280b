package io.jvswitch.control.service;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.VxlanHeader;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A VXLAN underlay address ({@code --local}, {@code --peer}) of either family, kept in the state
 * file as canonical text ({@code 192.0.2.1}, {@code fd00:99::1}), so two spellings of one address
 * are one peer. An overlay's underlay is one family: its socket is bound to {@code --local}, and
 * sends to peers of that family only.
 */
final class UnderlayAddress {
    /** Outer IPv6 is 20 bytes longer than outer IPv4: the overlay's default MTU is that much smaller. */
    static final int IPV6_EXTRA_OVERHEAD = 20;

    private UnderlayAddress() {}

    /** Canonical text of a unicast underlay address, or a bad request naming {@code what}. */
    static String canonical(String text, String what) {
        try {
            if (Ipv6Cidr.looksLikeIpv6(text)) {
                final String formatted = Ipv6Cidr.format(Ipv6Cidr.parseAddress(text, what));
                final InetAddress address = parse(formatted);
                if (address.isAnyLocalAddress() || address.isMulticastAddress() || address.isLinkLocalAddress()) {
                    throw ControlException.invalid(
                            "invalid " + what + " '" + text + "': not a routable unicast IPv6 address");
                }
                return formatted;
            }
            final int ip = Cidr.parseAddress(text, what);
            if (ip == 0 || Ipv4Address.isMulticast(ip) || ip == -1) {
                throw ControlException.invalid("invalid " + what + " '" + text + "': not a unicast IPv4 address");
            }
            return Cidr.format(ip);
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        }
    }

    /** The address of canonical text (no name lookup: the text is a literal). */
    static InetAddress parse(String canonical) {
        try {
            return InetAddress.getByName(canonical);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not an address literal: " + canonical, e);
        }
    }

    static boolean isIpv6(String canonical) {
        return canonical.indexOf(':') >= 0;
    }

    /** Refuses a peer of the other family than the underlay's {@code local}. */
    static void requireSameFamily(String local, String peer) {
        if (isIpv6(local) != isIpv6(peer)) {
            throw ControlException.invalid(
                    "peer " + peer + " is IPv" + (isIpv6(peer) ? 6 : 4) + " but the underlay (--local " + local
                            + ") is IPv" + (isIpv6(local) ? 6 : 4) + ": an overlay's underlay is one family");
        }
    }

    /** The overlay MTU that fits a 1500-byte underlay link of {@code local}'s family. */
    static int defaultOverlayMtu(String local, int underlayMtu) {
        return underlayMtu - VxlanHeader.OVERHEAD - (isIpv6(local) ? IPV6_EXTRA_OVERHEAD : 0);
    }
}
