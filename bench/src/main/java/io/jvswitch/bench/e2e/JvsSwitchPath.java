package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

import java.util.List;

/**
 * The jvs switch: the real daemon in its own host namespace, both containers attached with
 * {@code jvs attach} through TAPs on one network, exactly as a user would do it.
 */
final class JvsSwitchPath extends JvsPath {
    private final String key;
    private final boolean ipv6;
    private Endpoints endpoints;
    private JvsHost host;

    /**
     * @param key {@code jvs}, or {@code jvs-NAME} for a variant measured beside it
     * @param daemonArgs extra {@code jvs daemon} options, e.g. {@code --idle busy-spin}
     */
    JvsSwitchPath(String key, List<String> daemonArgs) {
        this(key, daemonArgs, false);
    }

    /** With {@code ipv6}: a dual-stack network, the client reaching the server at its IPv6 address. */
    JvsSwitchPath(String key, List<String> daemonArgs, boolean ipv6) {
        super(daemonArgs);
        this.key = key;
        this.ipv6 = ipv6;
    }

    @Override
    public String referenceKey() {
        return ipv6 ? "bridge6" : "bridge";
    }

    @Override
    public String notMeasured(Figure figure) {
        final String ipv6Note = ipv6 ? Ipv6Paths.notMeasured(figure) : null;
        return ipv6Note != null ? ipv6Note : super.notMeasured(figure);
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String title() {
        final String title = daemonArgs().isEmpty() ? "jvs switch (TAP)" : "jvs " + String.join(" ", daemonArgs());
        return ipv6 ? title + ", IPv6" : title;
    }

    @Override
    public void setUp(NetnsLab lab, BenchWorkspace workspace) throws Exception {
        host = startHost(lab.add(key + "-host"), workspace.dir(key));
        final String client = lab.add(key + "-c");
        final String server = lab.add(key + "-s");
        if (ipv6) {
            host.cli("network", "create", "bench", "--ipv6", "--subnet", "10.203.0.0/24", "--subnet", "fd00:203::/64");
            host.cli("attach", "--netns", client, "--network", "bench", "--name", "client", "--ip6", "fd00:203::10");
            host.cli("attach", "--netns", server, "--network", "bench", "--name", "server", "--ip6", "fd00:203::11");
            endpoints = new Endpoints(client, server, "fd00:203::11");
            return;
        }
        host.cli("network", "create", "bench", "--subnet", "10.202.0.0/24");
        host.cli("attach", "--netns", client, "--network", "bench", "--name", "client", "--ip", "10.202.0.10");
        host.cli("attach", "--netns", server, "--network", "bench", "--name", "server", "--ip", "10.202.0.11");
        endpoints = new Endpoints(client, server, "10.202.0.11");
    }

    @Override
    public Endpoints endpoints() {
        return endpoints;
    }

    @Override
    public boolean hasPairs() {
        return !ipv6;
    }

    @Override
    public Endpoints addPair(NetnsLab lab, int index) {
        final String client = lab.add(key + "-c" + index);
        final String server = lab.add(key + "-s" + index);
        final String serverIp = "10.202.0." + (30 + index);
        host.cli(
                "attach",
                "--netns",
                client,
                "--network",
                "bench",
                "--name",
                "client" + index,
                "--ip",
                "10.202.0." + (20 + index));
        host.cli("attach", "--netns", server, "--network", "bench", "--name", "server" + index, "--ip", serverIp);
        return new Endpoints(client, server, serverIp);
    }
}
