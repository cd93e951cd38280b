package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

import java.util.ArrayList;
import java.util.List;

/**
 * A port published with {@code jvs attach -p}, reached by a client beyond the host at the host's
 * address ({@link PublishedPortTopology}). The host's port rules send such a connection down the
 * host link and the switch translates it (DNAT), so this compares jvs's in-path DNAT with the
 * kernel's (iptables DNAT), both keeping the client's address.
 */
final class JvsPublishedPortPath extends JvsPath {
    private final String variant;
    private Endpoints endpoints;

    /**
     * @param variant null for the path itself, or the name of a {@code --jvs-variant} measured beside
     *     it (its key {@code jvs-nat-NAME})
     * @param daemonArgs extra {@code jvs daemon} options
     */
    JvsPublishedPortPath(String variant, List<String> daemonArgs) {
        super(daemonArgs);
        this.variant = variant;
    }

    @Override
    public String key() {
        return variantKey("jvs-nat", variant);
    }

    @Override
    public String title() {
        return variantTitle("jvs published port", variant);
    }

    @Override
    public String referenceKey() {
        return KernelDnatPath.KEY;
    }

    @Override
    public String unavailableReason() {
        return InstalledTools.missing(List.of("python3"), "apt-get install python3");
    }

    @Override
    public void setUp(NetnsLab lab, BenchWorkspace workspace) throws Exception {
        final PublishedPortTopology topology = PublishedPortTopology.create(lab, variantKey("jnat", variant));
        final JvsHost host = startHost(topology.host(), workspace.dir(key()));
        // the daemon first, then the outside link: the order a host that boots jvs sees
        topology.linkOutside(lab);
        host.cli("network", "create", "bench", "--subnet", PublishedPortTopology.CONTAINER_SUBNET);
        final List<String> attach =
                new ArrayList<>(List.of("attach", "--netns", topology.server(), "--network", "bench", "--name", "srv"));
        for (int port : PublishedPortTopology.PORTS) {
            attach.addAll(List.of("-p", port + ":" + port, "-p", port + ":" + port + "/udp"));
        }
        host.cli(attach.toArray(String[]::new));
        endpoints = topology.endpoints();
    }

    @Override
    public Endpoints endpoints() {
        return endpoints;
    }

    @Override
    public String notMeasured(Figure figure) {
        return PublishedPortTopology.notMeasured(figure, super.notMeasured(figure));
    }
}
