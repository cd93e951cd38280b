package io.jvswitch.control.docker;

/** A plugin call Docker made that jvs refuses; its message is what Docker shows the user. */
final class PluginException extends RuntimeException {
    PluginException(String message) {
        super(message);
    }

    /** {@code -o jvs.network} or {@code --ipam-opt jvs.network} naming a network this host does not have. */
    static PluginException unknownNetwork(String name) {
        return new PluginException(
                "unknown jvs network '" + name + "': create it first (jvs network create), jvs network ls lists them");
    }

    /**
     * {@code -o jvs.network} or {@code --ipam-opt jvs.network} naming an IPv6-only network: every
     * Docker network this plugin serves has an IPv4 pool (Docker before 28 has no {@code --ipv4=false}).
     */
    static PluginException ipv6Only(String name) {
        return new PluginException("jvs network " + name + " is IPv6-only (--ipv4=false) and a Docker network through"
                + " jvs has an IPv4 subnet: attach containers to it with jvs attach instead");
    }

    /** {@code --ipv6} with {@code -o jvs.network} or {@code --ipam-opt jvs.network} naming an IPv4-only network. */
    static PluginException noIpv6Side(String name) {
        return new PluginException("jvs network " + name + " has no IPv6 side: create the Docker network without"
                + " --ipv6, or put it onto a jvs network created with --ipv6");
    }
}
