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
}
