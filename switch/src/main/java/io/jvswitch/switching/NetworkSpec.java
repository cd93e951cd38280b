package io.jvswitch.switching;

/**
 * A network as the dataplane needs it. {@code prefixLength} 0 means the network is not routed: its
 * gateway still answers ARP, but nothing addressed to it leaves the network.
 *
 * @param gatewayIp the gateway's address, owned by the switch (0 for none)
 * @param gatewayMac the MAC the gateway answers ARP with and routes from
 * @param prefixLength the subnet's prefix length (the subnet is the gateway's), 0 for not routed
 * @param mtu the network's MTU: routed packets larger than this are fragmented or refused with
 *     "fragmentation needed"
 * @param internal an internal network reaches nothing outside itself, not even the host
 */
public record NetworkSpec(
        int id,
        String name,
        int gatewayIp,
        long gatewayMac,
        int prefixLength,
        int mtu,
        boolean internal,
        EtherTypePolicy etherTypePolicy) {

    public NetworkSpec {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length must be within 0..32: " + prefixLength);
        }
        if (prefixLength > 0 && gatewayIp == 0) {
            throw new IllegalArgumentException("a routed network needs a gateway address");
        }
        if (mtu < 68 || mtu > 65_535) {
            throw new IllegalArgumentException("MTU must be within 68..65535: " + mtu);
        }
    }

    /** A switched-only network, as before routing existed: no subnet, MTU as large as frames go. */
    public static NetworkSpec switchedOnly(
            int id, String name, int gatewayIp, long gatewayMac, EtherTypePolicy policy) {
        return new NetworkSpec(id, name, gatewayIp, gatewayMac, 0, 65_535, false, policy);
    }

    int subnetMask() {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }
}
