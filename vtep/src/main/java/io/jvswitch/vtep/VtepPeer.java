package io.jvswitch.vtep;

import io.jvswitch.packet.Ipv4Address;
import io.jvswitch.packet.Ipv6Address;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/** A remote VTEP of one network: its underlay address and its counters. Immutable but for the counters. */
public final class VtepPeer {
    private final int ip;
    private final InetSocketAddress address;
    private final VtepCounters counters = new VtepCounters();

    VtepPeer(int ip, int udpPort) {
        this(ip, toInet(ip), udpPort);
    }

    /** A peer of either family; {@code id} is an IPv4 peer's address, or an IPv6 peer's {@link Ipv6PeerIds} id. */
    VtepPeer(int id, InetAddress address, int udpPort) {
        this.ip = id;
        this.address = new InetSocketAddress(address, udpPort);
    }

    static Inet4Address toInet(int ip) {
        try {
            return (Inet4Address) InetAddress.getByAddress(
                    new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always a valid address
        }
    }

    /** The peer's id in the tunnel's tables: its IPv4 address, or an IPv6 peer's id (not an address). */
    public int ip() {
        return ip;
    }

    /** The peer's underlay address as text, of either family. */
    public String ipText() {
        return address.getAddress() instanceof Inet6Address v6 ? canonical(v6) : Ipv4Address.format(ip);
    }

    /** RFC 5952 text ({@code fd00::2}), as the control plane keeps it; getHostAddress() does not shorten. */
    static String canonical(Inet6Address address) {
        final ByteBuffer b = ByteBuffer.wrap(address.getAddress());
        return Ipv6Address.format(b.getLong(), b.getLong());
    }

    InetSocketAddress address() {
        return address;
    }

    public VtepCounters counters() {
        return counters;
    }
}
