package io.jvswitch.vtep;

import io.jvswitch.packet.Ipv4Address;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** A remote VTEP of one network: its underlay address and its counters. Immutable but for the counters. */
public final class VtepPeer {
    private final int ip;
    private final InetSocketAddress address;
    private final VtepCounters counters = new VtepCounters();

    VtepPeer(int ip, int udpPort) {
        this.ip = ip;
        this.address = new InetSocketAddress(toInet(ip), udpPort);
    }

    static Inet4Address toInet(int ip) {
        try {
            return (Inet4Address) InetAddress.getByAddress(
                    new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always a valid address
        }
    }

    public int ip() {
        return ip;
    }

    public String ipText() {
        return Ipv4Address.format(ip);
    }

    InetSocketAddress address() {
        return address;
    }

    public VtepCounters counters() {
        return counters;
    }
}
