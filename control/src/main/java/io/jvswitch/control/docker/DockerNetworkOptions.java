package io.jvswitch.control.docker;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code -o} options of {@code docker network create -d jvs}, and Docker's own flags that reach
 * a driver ({@code --internal}), read into the jvs network's settings. An option jvs does not know
 * is refused, naming the ones it does, so a typo is not silently ignored.
 */
record DockerNetworkOptions(Integer mtu, boolean internal, Boolean masquerade, String network) {
    /** Docker's generic options key in CreateNetwork's Options. */
    static final String GENERIC = "com.docker.network.generic";

    static final String DOCKER_MTU = "com.docker.network.driver.mtu";
    static final String JVS_MTU = "jvs.mtu";
    static final String JVS_MASQUERADE = "jvs.masquerade";
    static final String JVS_INTERNAL = "jvs.internal";
    /** Attaches the Docker network onto this existing jvs network instead of making one. */
    static final String JVS_NETWORK = "jvs.network";
    /** Set by Docker itself for {@code --internal}. */
    static final String DOCKER_INTERNAL = "com.docker.network.internal";

    private static final Set<String> KNOWN = Set.of(DOCKER_MTU, JVS_MTU, JVS_MASQUERADE, JVS_INTERNAL, JVS_NETWORK);

    /** Reads CreateNetwork's {@code Options}; throws {@link PluginException} with a clear message. */
    static DockerNetworkOptions parse(JsonNode options) {
        Integer mtu = null;
        boolean internal = options != null && options.path(DOCKER_INTERNAL).asBoolean(false);
        Boolean masquerade = null;
        String network = null;
        final JsonNode generic = options == null ? null : options.get(GENERIC);
        if (generic != null && generic.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = generic.fields(); it.hasNext(); ) {
                final Map.Entry<String, JsonNode> option = it.next();
                final String value = option.getValue().asText();
                switch (option.getKey()) {
                    case DOCKER_MTU, JVS_MTU -> mtu = parseMtu(option.getKey(), value);
                    case JVS_MASQUERADE -> masquerade = parseBoolean(option.getKey(), value);
                    case JVS_NETWORK -> network = parseNetwork(value);
                    case JVS_INTERNAL -> internal = internal || parseBoolean(option.getKey(), value);
                    case DOCKER_INTERNAL ->
                        internal = internal || option.getValue().asBoolean(false);
                    default ->
                        throw new PluginException("unknown option '" + option.getKey()
                                + "' for the jvs driver: it knows " + String.join(", ", new TreeSet<>(KNOWN)));
                }
            }
        }
        return new DockerNetworkOptions(mtu, internal, masquerade, network);
    }

    /** Whether any option but jvs.network was given: those are the jvs network's own settings. */
    boolean setsNetworkSettings() {
        return mtu != null || internal || masquerade != null;
    }

    private static String parseNetwork(String value) {
        final String name = value.strip();
        if (name.isEmpty()) {
            throw new PluginException("invalid " + JVS_NETWORK + " '': the name of a jvs network (jvs network ls)");
        }
        return name;
    }

    private static int parseMtu(String key, String value) {
        try {
            final int mtu = Integer.parseInt(value.strip());
            if (mtu >= 68 && mtu <= 65_535) {
                return mtu;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new PluginException("invalid " + key + " '" + value + "': an MTU within 68..65535");
    }

    private static boolean parseBoolean(String key, String value) {
        return switch (value.strip()) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new PluginException("invalid " + key + " '" + value + "': true or false");
        };
    }
}
