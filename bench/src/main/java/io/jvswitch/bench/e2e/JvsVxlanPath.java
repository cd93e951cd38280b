package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.control.lab.OverlayLab;

import java.util.List;

/**
 * jvs VTEPs between two hosts: a jvs daemon in each of two host namespaces joined by a veth
 * underlay, one overlay network (same VNI, {@code --local}/{@code --peer} on the underlay) created
 * on both, the client container attached on host A and the server on host B. The CPU figure is
 * both daemons' CPU time summed: the sender's encapsulation and the receiver's decapsulation are
 * both the dataplane's work, as both hosts' softirq time is the kernel's.
 */
final class JvsVxlanPath extends JvsPath {
    private static final int VNI = 4205;

    private final String variant;
    private Endpoints endpoints;
    private JvsHost daemonA;
    private JvsHost daemonB;

    /**
     * @param variant null for the path itself, or the name of a {@code --jvs-variant} measured beside
     *     it (its key {@code jvs-vxlan-NAME})
     * @param daemonArgs extra {@code jvs daemon} options of both hosts' daemons
     */
    JvsVxlanPath(String variant, List<String> daemonArgs) {
        super(daemonArgs);
        this.variant = variant;
    }

    @Override
    public String key() {
        return variantKey("jvs-vxlan", variant);
    }

    @Override
    public String title() {
        return variantTitle("jvs VTEPs (2 hosts)", variant);
    }

    @Override
    public String referenceKey() {
        return KernelVxlanPath.KEY;
    }

    @Override
    public void setUp(NetnsLab lab, BenchWorkspace workspace) throws Exception {
        final String hostA = lab.add(namespaceTag() + "-a");
        final String hostB = lab.add(namespaceTag() + "-b");
        final String client = lab.add(namespaceTag() + "-c");
        final String server = lab.add(namespaceTag() + "-s");
        new OverlayLab(lab).underlay(hostA, "ua", "10.215.0.1/24", hostB, "ub", "10.215.0.2/24");
        final JvsHost a = startHost(hostA, workspace.dir(key() + "-a"));
        final JvsHost b = startHost(hostB, workspace.dir(key() + "-b"));
        this.daemonA = a;
        this.daemonB = b;
        overlay(a, "10.205.0.0/25", "10.215.0.1", "10.215.0.2");
        overlay(b, "10.205.0.128/25", "10.215.0.2", "10.215.0.1");
        a.cli("attach", "--netns", client, "--network", "bench", "--name", "client", "--ip", "10.205.0.10");
        b.cli("attach", "--netns", server, "--network", "bench", "--name", "server", "--ip", "10.205.0.140");
        endpoints = new Endpoints(client, server, "10.205.0.140");
    }

    /** {@code jvx}, or {@code jvx-NAME} for a variant: each path's namespaces are its own. */
    private String namespaceTag() {
        return variantKey("jvx", variant);
    }

    /** The same overlay on each host; the address ranges are split so the two IPAMs never collide. */
    private static void overlay(JvsHost host, String ipRange, String local, String peer) {
        host.cli(
                "network",
                "create",
                "bench",
                "--driver",
                "overlay",
                "--vni",
                Integer.toString(VNI),
                "--subnet",
                "10.205.0.0/24",
                "--ip-range",
                ipRange,
                "--local",
                local,
                "--peer",
                peer);
    }

    @Override
    public Endpoints endpoints() {
        return endpoints;
    }

    @Override
    public boolean hasPairs() {
        return true;
    }

    @Override
    public Endpoints addPair(NetnsLab lab, int index) {
        final String client = lab.add(namespaceTag() + "-c" + index);
        final String server = lab.add(namespaceTag() + "-s" + index);
        final String serverIp = "10.205.0." + (140 + index);
        daemonA.cli(
                "attach",
                "--netns",
                client,
                "--network",
                "bench",
                "--name",
                "client" + index,
                "--ip",
                "10.205.0." + (10 + index));
        daemonB.cli("attach", "--netns", server, "--network", "bench", "--name", "server" + index, "--ip", serverIp);
        return new Endpoints(client, server, serverIp);
    }
}
