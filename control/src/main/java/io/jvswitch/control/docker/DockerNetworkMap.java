package io.jvswitch.control.docker;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which jvs network each Docker network of the jvs driver is. A Docker network created without
 * {@code -o jvs.network} has a jvs network of its own, named from its id ({@code docker-<id12>}),
 * and needs no entry; one created with {@code -o jvs.network=NAME} is attached onto the existing
 * network NAME (a global one shared by every host's Docker network of that name, typically), and
 * that choice is kept in {@code docker-networks.json} beside the daemon's state, so a restarted
 * daemon still knows where the Docker network's endpoints go. Called on the control thread only.
 */
public final class DockerNetworkMap {
    /** Most Docker networks mapped onto jvs networks: a table bound (Docker makes one per create). */
    static final int MAX_MAPPED = 1024;

    /** The file's content: Docker network id to jvs network name. */
    record Saved(int version, Map<String, String> networks) {}

    private final JsonStateFile<Saved> file;
    private final Map<String, String> byDockerId = new LinkedHashMap<>();

    public DockerNetworkMap(Path stateDir, ObjectMapper json) {
        this.file = new JsonStateFile<>(stateDir, "docker-networks.json", json, Saved.class);
    }

    public void load() {
        final Saved saved = file.read();
        if (saved != null && saved.networks() != null) {
            byDockerId.putAll(saved.networks());
        }
    }

    /** The jvs network a Docker network's endpoints go to. */
    String jvsNetwork(String dockerId) {
        final String mapped = byDockerId.get(dockerId);
        return mapped != null ? mapped : ownNetworkName(dockerId);
    }

    /** Whether the Docker network was attached onto an existing jvs network (not one of its own). */
    boolean mapped(String dockerId) {
        return byDockerId.containsKey(dockerId);
    }

    void put(String dockerId, String jvsNetwork) {
        if (!byDockerId.containsKey(dockerId) && byDockerId.size() >= MAX_MAPPED) {
            throw new PluginException(
                    MAX_MAPPED + " Docker networks are mapped onto jvs networks: the jvs driver's limit");
        }
        byDockerId.put(dockerId, jvsNetwork);
        save();
    }

    void remove(String dockerId) {
        if (byDockerId.remove(dockerId) != null) {
            save();
        }
    }

    /** Docker network id to jvs network, for reconciliation. */
    Map<String, String> entries() {
        return Map.copyOf(byDockerId);
    }

    /** The name of the jvs network a Docker network of its own gets. */
    static String ownNetworkName(String dockerId) {
        return "docker-" + (dockerId.length() <= 12 ? dockerId : dockerId.substring(0, 12));
    }

    private void save() {
        file.write(new Saved(1, new LinkedHashMap<>(byDockerId)));
    }
}
