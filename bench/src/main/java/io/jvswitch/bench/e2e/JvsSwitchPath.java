package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

import java.util.List;

/**
 * The jvs switch: the real daemon in its own host namespace, both containers attached with
 * {@code jvs attach} through TAPs on one network, exactly as a user would do it.
 */
final class JvsSwitchPath extends JvsPath {
    private final String key;
    private Endpoints endpoints;

    /**
     * @param key {@code jvs}, or {@code jvs-NAME} for a variant measured beside it
     * @param daemonArgs extra {@code jvs daemon} options, e.g. {@code --idle busy-spin}
     */
    JvsSwitchPath(String key, List<String> daemonArgs) {
        super(daemonArgs);
        this.key = key;
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String title() {
        return daemonArgs().isEmpty() ? "jvs switch (TAP)" : "jvs " + String.join(" ", daemonArgs());
    }

    @Override
    public void setUp(NetnsLab lab, BenchWorkspace workspace) throws Exception {
        final JvsHost host = startHost(lab.add(key + "-host"), workspace.dir(key));
        final String client = lab.add(key + "-c");
        final String server = lab.add(key + "-s");
        host.cli("network", "create", "bench", "--subnet", "10.202.0.0/24");
        host.cli("attach", "--netns", client, "--network", "bench", "--name", "client", "--ip", "10.202.0.10");
        host.cli("attach", "--netns", server, "--network", "bench", "--name", "server", "--ip", "10.202.0.11");
        endpoints = new Endpoints(client, server, "10.202.0.11");
    }

    @Override
    public Endpoints endpoints() {
        return endpoints;
    }
}
