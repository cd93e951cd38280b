package io.jvswitch.control.cluster;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;

/**
 * The underlay family of a cluster: the hosts advertise underlay addresses ({@code
 * --cluster-advertise}) of one family, IPv4 or IPv6, since a VTEP's socket is bound to one address
 * and sends to peers of its family only. A host of the other family is refused at start, and one
 * that appears anyway (an older jvs, etcdctl) is left out of the peers and reported.
 */
final class UnderlayFamily {
    private UnderlayFamily() {}

    /** The address of an underlay literal of either family; IllegalArgumentException when it is none. */
    static InetAddress parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no underlay address");
        }
        try {
            if (Ipv6Cidr.looksLikeIpv6(text)) {
                return InetAddress.getByAddress(Ipv6Cidr.bytes(Ipv6Cidr.parseAddress(text, "underlay address")));
            }
            final int ip = Cidr.parseAddress(text, "underlay address");
            return InetAddress.getByAddress(
                    new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip});
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid underlay address '" + text + "'", e);
        }
    }

    static boolean isIpv6(String text) {
        return text.indexOf(':') >= 0;
    }

    static String name(String text) {
        return isIpv6(text) ? "IPv6" : "IPv4";
    }

    /**
     * Refuses to join a cluster whose live hosts advertise the other family than {@code
     * advertise}: the message names one of them and says what to do.
     */
    static void requireSame(String advertise, String self, Collection<HostAdvert> hosts) {
        for (HostAdvert h : hosts) {
            if (!h.name().equals(self) && isIpv6(h.address()) != isIpv6(advertise)) {
                throw new IllegalStateException("--cluster-advertise " + advertise + " is " + name(advertise)
                        + " but host " + h.name() + " advertises " + h.address() + " (" + name(h.address())
                        + "): the hosts of one cluster reach each other over one underlay family;"
                        + " advertise an " + name(h.address()) + " address");
            }
        }
    }
}
