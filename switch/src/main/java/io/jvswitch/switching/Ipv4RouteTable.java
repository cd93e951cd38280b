package io.jvswitch.switching;

/**
 * The routed networks' IPv4 subnets, longest prefix first, so the first match is the most
 * specific. Replaced whole when the set of networks changes (a command); read per packet.
 */
final class Ipv4RouteTable {
    private BridgeDomain[] routed = new BridgeDomain[0];

    /** {@code domains} must be sorted longest prefix first. */
    void replace(BridgeDomain[] domains) {
        routed = domains;
    }

    /** The routed network whose subnet holds {@code address}, or null. */
    BridgeDomain lookup(int address) {
        final BridgeDomain[] networks = routed;
        for (int i = 0; i < networks.length; i++) {
            final BridgeDomain d = networks[i];
            if ((address & d.subnetMask) == d.subnet) {
                return d;
            }
        }
        return null;
    }
}
